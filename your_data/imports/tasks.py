"""The import's background task (scrapbook/background.py queues it)."""

from celery import shared_task

from scrapbook.background import RETRY_POLICY, TRANSIENT_DATABASE_ERRORS

from . import services


@shared_task(autoretry_for=TRANSIENT_DATABASE_ERRORS, **RETRY_POLICY)
def run_import(import_id: int) -> str | None:
    """Import the file of an Import still queued (or whose worker died mid-run); a no-op
    for one already done or failed. Returns its status."""
    return services.import_run(import_id=import_id)
