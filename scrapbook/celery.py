"""The Celery application: the background tasks of every app, on a broker (Redis).

`make worker` runs it: `celery -A scrapbook worker --beat`. Its configuration is the Django
settings named CELERY_* (scrapbook/settings.py), its tasks each app's `tasks.py`. Without a
broker no worker runs: scrapbook/background.py runs the same tasks in the server process.
"""

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")

app = Celery("scrapbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Scheduler(PersistentScheduler):
    """celery beat's own scheduler, which keeps when each periodic task last ran in a file
    (CELERY_BEAT_SCHEDULE_FILENAME), here in a folder it creates when missing."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
