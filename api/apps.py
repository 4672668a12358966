from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from scrapbook.internals import psycopg_pool_check, psycopg_timestamps

        psycopg_timestamps.install()
        psycopg_pool_check.install()
