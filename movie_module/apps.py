from django.apps import AppConfig


class MovieModuleConfig(AppConfig):
    name = "movie_module"
    verbose_name = "Movies"
