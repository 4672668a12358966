from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MovieModuleConfig(AppConfig):
    name = "movie_module"
    verbose_name = "Movies"

    def ready(self):
        from .catalogue.counters import connect_counters
        from .catalogue.search_index import ensure_title_search_triggers

        post_migrate.connect(ensure_title_search_triggers, sender=self)
        connect_counters()
