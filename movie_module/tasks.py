"""movie_module's Celery tasks live in its rooms; Celery's autodiscovery, which imports each
app's `tasks` module, finds them through this one."""

from .catalogue import tasks as catalogue_tasks
from .recommendations import tasks as recommendation_tasks

__all__ = ["catalogue_tasks", "recommendation_tasks"]
