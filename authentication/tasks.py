"""The accounts' background tasks (scrapbook/background.py queues them)."""

from celery import shared_task

from scrapbook.background import RETRY_POLICY, TRANSIENT_DATABASE_ERRORS

from . import services


@shared_task(autoretry_for=(*TRANSIENT_DATABASE_ERRORS, OSError), **RETRY_POLICY)
def send_password_reset(user_id: int) -> bool:
    """Mail a password reset link; retried while the mail server or database is unreachable."""
    return services.password_reset_send(user_id=user_id)
