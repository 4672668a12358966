from django.apps import AppConfig


class ScrapbookConfig(AppConfig):
    """The project's own infrastructure, as an app so that it can connect signals."""

    name = "scrapbook"
    verbose_name = "Scrapbook"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
        from .change_announcements import connect_announcements

        connect_announcements()
