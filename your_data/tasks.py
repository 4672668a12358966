"""your_data's Celery tasks live in its rooms; Celery's autodiscovery, which imports each
app's `tasks` module, finds them through this one."""

from .imports import tasks as import_tasks

__all__ = ["import_tasks"]
