# The Celery application is loaded with Django, so that every app's @shared_task uses it.
from .celery import app as celery_app

__all__ = ("celery_app",)
