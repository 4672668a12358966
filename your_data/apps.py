from django.apps import AppConfig


class YourDataConfig(AppConfig):
    """A user's data in and out: imports from other services, the export, (issue 16)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "your_data"
    verbose_name = "Your data"
