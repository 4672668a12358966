from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class MovieModuleConfig(AppConfig):
    name = "movie_module"
    verbose_name = "Movies"

    def ready(self):
        from . import signals
        from .catalogue.search_index import ensure_title_search_triggers

        post_migrate.connect(ensure_title_search_triggers, sender=self)
        for model_name, forget in [
            ("Movie", signals.forget_movie),
            ("Review", signals.forget_review),
            ("WatchlistItem", signals.forget_watchlist_item),
        ]:
            model = self.get_model(model_name)
            post_save.connect(forget, sender=model)
            post_delete.connect(forget, sender=model)
