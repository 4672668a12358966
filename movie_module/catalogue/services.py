"""Where the IMDb API meets the catalogue: the functions the movie endpoints and the
recommender call. None of them raises on API trouble: they log and answer from what is stored.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models.functions import Lower
from django.utils import timezone

from movie_module.imdb.client import ImdbClient, ImdbConfig
from movie_module.imdb.errors import ImdbCircuitOpen, ImdbError
from movie_module.imdb.matching import wanted_title
from movie_module.imdb.parsing import TitleDetails, title_id
from movie_module.models import Movie

logger = logging.getLogger(__name__)

# At most this many background refreshes wait per process; past it, a stale page waits its turn.
MAX_QUEUED_REFRESHES = 100

_client_lock = threading.Lock()
_client: ImdbClient | None = None

_refresh_lock = threading.Lock()
_refresh_executor: ThreadPoolExecutor | None = None
_refreshing: set[str] = set()
_refresh_futures: set[Future] = set()


class RefreshOutcome(Enum):
    REFRESHED = "refreshed"
    NOT_FOUND = "not found"


def get_client() -> ImdbClient | None:
    """The process-wide client, or None when `RAPIDAPI_KEY` is unset (the API is off).

    The client is rebuilt (with a fresh breaker) when the settings it was built from change.
    """
    global _client
    if not settings.RAPIDAPI_KEY:
        return None
    config = ImdbConfig.from_settings()
    with _client_lock:
        if _client is None or _client.config != config:
            if _client is not None:
                _client.close()
            _client = ImdbClient(config)
        return _client


def reset_client() -> None:
    """Forget the process-wide client and its breaker state (tests; a changed key)."""
    global _client
    with _client_lock:
        if _client is not None:
            _client.close()
        _client = None


def store_search_results(text: str) -> None:
    """Search the API for `text` and add the titles the catalogue lacks as new movies.

    Movies already stored are left as they are (they may hold richer details). A no-op
    when the API is off; API trouble is logged, never raised.
    """
    client = get_client()
    if client is None or not (text or "").strip():
        return
    try:
        results = client.search(text)
        if not results:
            return
        known = set(
            Movie.objects.filter(imdb_id__in=[result.imdb_id for result in results]).values_list(
                "imdb_id", flat=True
            )
        )
        new_movies = [
            Movie(
                imdb_id=result.imdb_id,
                title=result.title,
                year=result.year,
                poster_url=result.poster_url or "",
                source=Movie.Source.IMDB,
            )
            for result in results
            if result.imdb_id not in known
        ]
        # A concurrent request may store the same titles: the unique imdb_id settles it.
        if new_movies:
            Movie.objects.bulk_create(new_movies, ignore_conflicts=True)
    except ImdbError as exc:
        _log_degraded(exc, "IMDb search for %r unavailable, local results only", text[:100])
    except Exception:
        logger.exception("IMDb search for %r failed, local results only", text[:100])


def fetch_movie(imdb_id: str) -> Movie | None:
    """The movie with this id: the stored one, else fetched from the API and stored.

    Returns None when the API does not know the id, is off, or is failing.
    """
    movie = Movie.objects.filter(imdb_id=imdb_id).first()
    if movie is not None:
        return movie
    client = get_client()
    if client is None or title_id(imdb_id) != imdb_id:
        return None
    try:
        details = client.title_details(imdb_id)
        if details is None:
            return None
        return _store_details(details)
    except ImdbError as exc:
        _log_degraded(exc, "IMDb details of %s unavailable", imdb_id)
    except Exception:
        logger.exception("IMDb details of %s could not be fetched", imdb_id)
    return None


def is_stale(movie: Movie) -> bool:
    """Whether the movie's details were never fetched, or longer ago than IMDB_REFRESH_AFTER_DAYS."""
    if movie.refreshed_at is None:
        return True
    return movie.refreshed_at < timezone.now() - timedelta(days=settings.IMDB_REFRESH_AFTER_DAYS)


def refresh_if_stale(movie: Movie) -> Future | None:
    """Refresh a stale movie's details in a background thread, without blocking the caller.

    At most one refresh per movie runs at a time, across threads (an in-process set) and
    processes (a cache lock). Returns the refresh's Future, or None when nothing was started
    (API off, movie fresh, already refreshing, queue full). Never raises.
    """
    try:
        client = get_client()
        if client is None or not is_stale(movie):
            return None
        imdb_id = movie.imdb_id
        with _refresh_lock:
            if imdb_id in _refreshing or len(_refreshing) >= MAX_QUEUED_REFRESHES:
                return None
            _refreshing.add(imdb_id)
        if not _lock_refresh(imdb_id, client):
            with _refresh_lock:
                _refreshing.discard(imdb_id)
            return None
        future = _executor().submit(_refresh_in_background, imdb_id, client)
        with _refresh_lock:
            _refresh_futures.add(future)
        future.add_done_callback(_forget_refresh)
        return future
    except Exception:
        logger.exception("Could not schedule the refresh of %s", getattr(movie, "imdb_id", movie))
        return None


def wait_for_refreshes(timeout: float | None = None) -> bool:
    """Wait for the background refreshes started so far; True if all finished in time."""
    with _refresh_lock:
        pending = set(_refresh_futures)
    return not wait(pending, timeout=timeout).not_done


def refresh_movie(movie: Movie, *, client: ImdbClient) -> RefreshOutcome:
    """Fetch the movie's details anew and store them (stored values the API lacks are kept).

    An id the API no longer knows is marked refreshed too, so it is not asked again at once.
    Raises `ImdbUnavailable` when the API cannot answer.
    """
    details = client.title_details(movie.imdb_id, fresh=True)
    now = timezone.now()
    if details is None:
        Movie.objects.filter(pk=movie.pk).update(refreshed_at=now)
        return RefreshOutcome.NOT_FOUND
    Movie.objects.filter(pk=movie.pk).update(**_fields_of(details), refreshed_at=now)
    return RefreshOutcome.REFRESHED


def resolve_title(title: str, year: int | None = None) -> Movie | None:
    """The movie a recommender title names ('The Matrix', 'Toy Story (1995)', 'Matrix, The').

    The local catalogue first (case-insensitive exact title; with a year, the same year or
    one off by one, the exact year preferred), then the API's best match, fetched and stored.
    None when neither knows it; API trouble is logged, never raised.
    """
    wanted = wanted_title(title, year)
    if not wanted.names:
        return None
    names = [name.lower() for name in wanted.names]
    local = Movie.objects.alias(title_lower=Lower("title")).filter(title_lower__in=names)
    if wanted.year:
        local = local.filter(year__range=(wanted.year - 1, wanted.year + 1))
    candidates = list(local.order_by("id")[:20])
    if candidates:
        return min(
            candidates,
            key=lambda movie: (
                names.index(movie.title.lower()) if movie.title.lower() in names else len(names),
                abs(movie.year - wanted.year) if wanted.year and movie.year else 0,
            ),
        )
    client = get_client()
    if client is None:
        return None
    try:
        imdb_id = client.find_title(title, year)
    except ImdbError as exc:
        _log_degraded(exc, "IMDb lookup of %r unavailable", title[:100])
        return None
    except Exception:
        logger.exception("IMDb lookup of %r failed", title[:100])
        return None
    return fetch_movie(imdb_id) if imdb_id else None


def _log_degraded(error: ImdbError, message: str, *args) -> None:
    # The client already logged the failed call as a warning; an open circuit is expected quiet.
    level = logging.DEBUG if isinstance(error, ImdbCircuitOpen) else logging.INFO
    logger.log(level, message + ": %s", *args, error)


# Storing


def _fields_of(details: TitleDetails) -> dict:
    """The Movie fields the details fill; empty values are left out, never stored over data."""
    fields = {
        "title": details.title,
        "year": details.year,
        "genres": list(details.genres),
        "poster_url": details.poster_url,
        "plot": details.plot,
        "runtime_minutes": details.runtime_minutes,
        "directors": list(details.directors),
        "cast": list(details.cast),
        "imdb_rating": details.rating,
        "imdb_votes": details.votes,
    }
    return {name: value for name, value in fields.items() if value not in (None, "", [])}


def _store_details(details: TitleDetails) -> Movie:
    # get_or_create settles a race with another request storing the same id (IntegrityError → reread).
    movie, _ = Movie.objects.get_or_create(
        imdb_id=details.imdb_id,
        defaults={**_fields_of(details), "source": Movie.Source.IMDB, "refreshed_at": timezone.now()},
    )
    return movie


# Background refreshes


def _executor() -> ThreadPoolExecutor:
    global _refresh_executor
    with _refresh_lock:
        if _refresh_executor is None:
            _refresh_executor = ThreadPoolExecutor(
                max_workers=max(1, settings.IMDB_REFRESH_WORKERS), thread_name_prefix="imdb-refresh"
            )
        return _refresh_executor


def _refresh_lock_key(imdb_id: str) -> str:
    return f"imdb:v1:refresh-lock:{imdb_id}"


def _lock_refresh(imdb_id: str, client: ImdbClient) -> bool:
    seconds = int(client.config.call_budget_seconds * 3) + 10
    try:
        return cache.add(_refresh_lock_key(imdb_id), 1, timeout=seconds)
    except Exception:
        logger.warning("Cache unreachable: refreshing %s without a cross-process lock", imdb_id)
        return True


def _refresh_in_background(imdb_id: str, client: ImdbClient) -> RefreshOutcome | None:
    try:
        # Reread: another process may have refreshed it since the page was read.
        movie = Movie.objects.filter(imdb_id=imdb_id).first()
        if movie is None or not is_stale(movie):
            return None
        return refresh_movie(movie, client=client)
    except ImdbError as exc:
        _log_degraded(exc, "Background refresh of %s skipped", imdb_id)
    except Exception:
        logger.exception("Background refresh of %s failed", imdb_id)
    finally:
        with _refresh_lock:
            _refreshing.discard(imdb_id)
        try:
            cache.delete(_refresh_lock_key(imdb_id))
        except Exception:
            logger.warning("Cache unreachable: the refresh lock of %s expires on its own", imdb_id)
        # This thread's database connection would otherwise stay open until the process ends.
        connections.close_all()
    return None


def _forget_refresh(future: Future) -> None:
    with _refresh_lock:
        _refresh_futures.discard(future)
