"""The recommender's background tasks (scrapbook/background.py queues them)."""

from celery import shared_task

from scrapbook.background import RETRY_POLICY, TRANSIENT_DATABASE_ERRORS

from . import services


@shared_task(bind=True, autoretry_for=TRANSIENT_DATABASE_ERRORS, **RETRY_POLICY)
def refit_recommender_if_due(self) -> dict | None:
    """Refit when enough reviews arrived since the last fit; a no-op when not due (celery beat
    queues it every RECOMMENDER_REFIT_CHECK_SECONDS) or while another fit runs."""
    return services.recommender_refit(only_if_due=True, job_id=self.request.id)


@shared_task(bind=True, autoretry_for=TRANSIENT_DATABASE_ERRORS, **RETRY_POLICY)
def refit_recommender(self) -> dict | None:
    """Refit now, unless another fit is running."""
    return services.recommender_refit(job_id=self.request.id)
