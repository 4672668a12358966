"""Where the IMDb API meets the catalogue: the functions the movie endpoints, the recommender
and the background tasks call. Those of the endpoints and the recommender never raise on API
trouble: they log and answer from what is stored. The background refresh raises, to be retried.
"""

import logging
import threading
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from movie_module.imdb.client import ImdbClient, ImdbConfig
from movie_module.imdb.errors import ImdbCircuitOpen, ImdbError
from movie_module.imdb.parsing import MAX_CAST, SearchResult, TitleDetails, title_id
from movie_module.models import Movie
from movie_module.titles import title_key
from scrapbook.background import enqueue

from . import selectors
from .genres import set_movie_genres

logger = logging.getLogger(__name__)

# A movie's refresh is queued at most once in this many seconds, across processes: its page
# may be shown many times while the refresh waits, and a failing one is not queued again
# at once (a worker retries it meanwhile).
REFRESH_QUEUED_SECONDS = 300

_client_lock = threading.Lock()
_client: ImdbClient | None = None


class RefreshOutcome(Enum):
    REFRESHED = "refreshed"
    NOT_FOUND = "not found"


def imdb_config() -> ImdbConfig:
    """The IMDb client's configuration, from Django's settings."""
    return ImdbConfig(
        api_key=settings.RAPIDAPI_KEY,
        base_url=settings.IMDB_API_URL.rstrip("/"),
        host=settings.IMDB_API_HOST,
        connect_timeout=settings.IMDB_CONNECT_TIMEOUT,
        read_timeout=settings.IMDB_READ_TIMEOUT,
        max_retries=settings.IMDB_MAX_RETRIES,
        backoff_seconds=settings.IMDB_BACKOFF_SECONDS,
        backoff_max_seconds=settings.IMDB_BACKOFF_MAX_SECONDS,
        call_budget_seconds=settings.IMDB_CALL_BUDGET_SECONDS,
        breaker_threshold=settings.IMDB_BREAKER_THRESHOLD,
        breaker_cooldown_seconds=settings.IMDB_BREAKER_COOLDOWN_SECONDS,
        search_cache_seconds=settings.IMDB_SEARCH_CACHE_SECONDS,
        lookup_cache_seconds=settings.IMDB_LOOKUP_CACHE_SECONDS,
        not_found_cache_seconds=settings.IMDB_NOT_FOUND_CACHE_SECONDS,
        rate_per_second=settings.IMDB_RATE_PER_SECOND,
        pool_size=settings.IMDB_POOL_SIZE,
    )


def get_client() -> ImdbClient | None:
    """The process-wide client, or None when `RAPIDAPI_KEY` is unset (the API is off).

    The client is rebuilt (with a fresh breaker) when the settings it was built from change.
    """
    global _client
    if not settings.RAPIDAPI_KEY:
        return None
    config = imdb_config()
    with _client_lock:
        if _client is None or _client.config != config:
            if _client is not None:
                _client.close()
            _client = ImdbClient(config, cache=cache)
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
        known = {
            movie.imdb_id: movie
            for movie in Movie.objects.filter(imdb_id__in=[result.imdb_id for result in results]).only(
                "imdb_id", "title", "alternate_titles"
            )
        }
        _store_alternate_titles(
            {known[result.imdb_id]: result.title for result in results if result.imdb_id in known}
        )
        # What the search gives is enough to show in a list; the movie's page fetches the rest.
        new_movies = [
            Movie(
                imdb_id=result.imdb_id,
                title=result.title,
                year=result.year,
                poster_url=result.poster_url or "",
                cast=cast_of(result),
                source=Movie.Source.IMDB,
            )
            for result in results
            if result.imdb_id not in known and result.is_film
        ]
        # A concurrent request may store the same titles: the unique imdb_id settles it.
        if new_movies:
            Movie.objects.bulk_create(new_movies, ignore_conflicts=True)
    except ImdbError as exc:
        _log_degraded(exc, "IMDb search for %r unavailable, local results only", text[:100])
    except Exception:
        logger.exception("IMDb search for %r failed, local results only", text[:100])


def cast_of(result: SearchResult) -> list[str]:
    """The main cast a search result names ("Keanu Reeves, Laurence Fishburne")."""
    names = (name.strip() for name in (result.stars or "").split(","))
    return [name for name in names if name][:MAX_CAST]


def fetch_movie(imdb_id: str) -> Movie | None:
    """The movie with this id: the stored one, else fetched from the API and stored.

    Returns None when the API does not know the id (or knows it as no film: a series, an
    episode, a game), is off, or is failing.
    """
    movie = Movie.objects.filter(imdb_id=imdb_id).first()
    if movie is not None:
        return movie
    client = get_client()
    if client is None or title_id(imdb_id) != imdb_id:
        return None
    try:
        details = client.title_details(imdb_id)
        if details is None or not details.is_film:
            return None
        return _store_details(details)
    except ImdbError as exc:
        _log_degraded(exc, "IMDb details of %s unavailable", imdb_id)
    except Exception:
        logger.exception("IMDb details of %s could not be fetched", imdb_id)
    return None


def fetch_missing_details(*, imdb_id: str) -> bool:
    """Fetch and store the details of a stored movie whose details were never fetched (one
    found by a search), within the client's call budget; returns whether they were stored.

    False when the API is off, does not know the id, or cannot answer in time: the caller
    shows what is stored. Never raises.
    """
    client = get_client()
    if client is None:
        return False
    try:
        movie = Movie.objects.filter(imdb_id=imdb_id, refreshed_at__isnull=True).first()
        if movie is None:
            return False  # fetched meanwhile
        return refresh_movie(movie, client=client, fresh=False) is RefreshOutcome.REFRESHED
    except ImdbError as exc:
        _log_degraded(exc, "IMDb details of %s unavailable, the page shows what is stored", imdb_id)
    except Exception:
        logger.exception("IMDb details of %s could not be fetched", imdb_id)
    return False


def is_stale(movie: Movie) -> bool:
    """Whether the movie's details were never fetched, or longer ago than IMDB_REFRESH_AFTER_DAYS."""
    if movie.refreshed_at is None:
        return True
    return movie.refreshed_at < timezone.now() - timedelta(days=settings.IMDB_REFRESH_AFTER_DAYS)


def refresh_if_stale(movie: Movie) -> bool:
    """Queue a background refresh of a stale movie's details; the caller never waits for the API.

    Returns whether a refresh was queued: not when the API is off, the movie is fresh, or
    its refresh was queued less than REFRESH_QUEUED_SECONDS ago. Never raises.
    """
    try:
        if get_client() is None or not is_stale(movie):
            return False
        return queue_refresh(imdb_id=movie.imdb_id)
    except Exception:
        logger.exception("Could not queue the refresh of %s", getattr(movie, "imdb_id", movie))
        return False


def queue_refresh(*, imdb_id: str) -> bool:
    """Queue the background task that refreshes this movie, unless it was queued less than
    REFRESH_QUEUED_SECONDS ago (by any process). Returns whether it was queued now."""
    from .tasks import refresh_movie as refresh_movie_task  # the tasks call this module

    if not cache.add(refresh_queued_key(imdb_id), 1, timeout=REFRESH_QUEUED_SECONDS):
        return False
    enqueue(refresh_movie_task, imdb_id)
    return True


def queue_stale_refreshes(*, limit: int) -> int:
    """Queue the refresh of the `limit` stalest movies (never fetched first, then the oldest
    details) among those older than IMDB_REFRESH_AFTER_DAYS; returns how many were queued.

    Nothing when the API is off; a movie whose refresh is already queued is not queued again.
    """
    if get_client() is None:
        return 0
    stale = selectors.stale_movies(older_than_days=settings.IMDB_REFRESH_AFTER_DAYS)
    imdb_ids = stale.values_list("imdb_id", flat=True)[:limit]
    return sum(queue_refresh(imdb_id=imdb_id) for imdb_id in imdb_ids)


def refresh_if_still_stale(*, imdb_id: str) -> RefreshOutcome | None:
    """The background refresh: refresh the movie when it is still stale, else do nothing.

    Returns the outcome, or None when the API is off, the movie is gone or was refreshed
    meanwhile, so running it twice refreshes once. Raises `ImdbUnavailable` when the API
    cannot answer (the task retries it later).
    """
    client = get_client()
    movie = Movie.objects.filter(imdb_id=imdb_id).first()
    if client is None or movie is None or not is_stale(movie):
        outcome = None
    else:
        outcome = refresh_movie(movie, client=client)
    cache.delete(refresh_queued_key(imdb_id))  # done: its page may queue the next one
    return outcome


def refresh_queued_key(imdb_id: str) -> str:
    """The cache key that says a refresh of this movie was queued lately."""
    return f"imdb:v2:refresh-queued:{imdb_id}"


def refresh_movie(movie: Movie, *, client: ImdbClient, fresh: bool = True) -> RefreshOutcome:
    """Fetch the movie's details (anew unless `fresh` is False: a cached answer will do) and
    store them (stored values the API lacks are kept).

    An id the API no longer knows is marked refreshed too, so it is not asked again at once.
    Raises `ImdbUnavailable` when the API cannot answer.
    """
    details = client.title_details(movie.imdb_id, fresh=fresh)
    now = timezone.now()
    if details is None:
        Movie.objects.filter(pk=movie.pk).update(refreshed_at=now)
        return RefreshOutcome.NOT_FOUND
    fields = _fields_of(details)
    # The title the movie was stored under stays searchable when IMDb names it otherwise.
    alternate_titles = _with_alternate_title(movie, movie.title, new_title=details.title)
    if alternate_titles is not None:
        fields["alternate_titles"] = alternate_titles
    with transaction.atomic():
        Movie.objects.filter(pk=movie.pk).update(**fields, refreshed_at=now)
        if details.genres:
            set_movie_genres({movie.pk: details.genres})
    return RefreshOutcome.REFRESHED


def fetch_title(title: str, year: int | None = None) -> Movie | None:
    """The IMDb API's best match for a recommender title ('Matrix, The (1999)'), fetched and
    stored; None when the API is off or knows no such film. API trouble is logged, never raised.
    Look in the catalogue first (catalogue.selectors.movie_with_title)."""
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
        "poster_url": details.poster_url,
        "plot": details.plot,
        "runtime_minutes": details.runtime_minutes,
        "directors": list(details.directors),
        "cast": list(details.cast),
        "imdb_rating": details.rating,
        "imdb_votes": details.votes,
    }
    return {name: value for name, value in fields.items() if value not in (None, "", [])}


def _with_alternate_title(movie: Movie, name: str, *, new_title: str | None = None) -> list[str] | None:
    """The movie's alternate titles with `name` added, or None when its title (or the title it
    is getting) or an alternate title already reads as `name` (compared by title_key)."""
    alternate_titles = list(movie.alternate_titles or [])
    known = {title_key(text) for text in (new_title or movie.title, *alternate_titles)}
    if not name or title_key(name) in known:
        return None
    return [*alternate_titles, name]


def _store_alternate_titles(names_by_movie: dict[Movie, str]) -> None:
    """Keep the names the IMDb API gives stored movies, when they differ from theirs, as
    alternate titles: what the movie is called elsewhere finds it here too."""
    changed = []
    for movie, name in names_by_movie.items():
        alternate_titles = _with_alternate_title(movie, name)
        if alternate_titles is not None:
            movie.alternate_titles = alternate_titles
            changed.append(movie)
    if changed:
        Movie.objects.bulk_update(changed, ["alternate_titles"])


@transaction.atomic
def _store_details(details: TitleDetails) -> Movie:
    # get_or_create settles a race with another request storing the same id (IntegrityError → reread).
    movie, created = Movie.objects.get_or_create(
        imdb_id=details.imdb_id,
        defaults={**_fields_of(details), "source": Movie.Source.IMDB, "refreshed_at": timezone.now()},
    )
    if created and details.genres:
        set_movie_genres({movie.pk: details.genres})
    return movie
