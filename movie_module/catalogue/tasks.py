"""The catalogue's background tasks (scrapbook/background.py queues them)."""

from celery import shared_task
from django.conf import settings

from movie_module.imdb.errors import ImdbAuthenticationFailed, ImdbUnavailable
from scrapbook.background import RETRY_POLICY, TRANSIENT_DATABASE_ERRORS

from . import services


@shared_task(
    autoretry_for=(ImdbUnavailable, *TRANSIENT_DATABASE_ERRORS),
    dont_autoretry_for=(ImdbAuthenticationFailed,),  # a refused key needs a person, not a retry
    # Waits of up to 10 s, 20 s, ... 160 s: past the client's breaker cool-down (30 s), and
    # within the 5 minutes that the movie's page does not queue it again (REFRESH_QUEUED_SECONDS).
    **{**RETRY_POLICY, "retry_backoff": 10},
)
def refresh_movie(imdb_id: str) -> str | None:
    """Refresh a movie's details from the IMDb API when they are still stale; a no-op when
    they were refreshed meanwhile. Retried with backoff while the API is unavailable."""
    outcome = services.refresh_if_still_stale(imdb_id=imdb_id)
    return outcome.value if outcome else None


@shared_task(autoretry_for=TRANSIENT_DATABASE_ERRORS, **RETRY_POLICY)
def refresh_stale_movies() -> int:
    """Queue the refresh of the IMDB_REFRESH_BATCH_SIZE stalest movies (celery beat runs it
    every IMDB_REFRESH_BATCH_SECONDS when the API is configured); returns how many."""
    return services.queue_stale_refreshes(limit=settings.IMDB_REFRESH_BATCH_SIZE)
