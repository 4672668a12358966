"""The one client of the IMDb API on RapidAPI (../shared/IMDB.md). Nothing else imports `requests`.

Every call has connect and read timeouts and a total time budget; connection errors,
timeouts, 5xx and 429 are retried with exponential backoff and jitter (honouring
`Retry-After`); 401/403 are a configuration problem, logged once and never retried. After
`breaker_threshold` consecutive failed calls a circuit breaker refuses calls for a cool-down.
Answers, "not found" included, are cached, and concurrent requests for one uncached answer
make one upstream call. The cache is handed in (Django's, Redis when configured, so every
process shares answers and locks); without one the client keeps answers in its own memory.
The client knows nothing of Django: its configuration and cache are handed in
(movie_module.catalogue.services builds them from the settings), so it can be used and
tested on its own.
"""

import dataclasses
import email.utils
import hashlib
import json
import logging
import math
import random
import threading
import time
import uuid
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import ImdbAuthenticationFailed, ImdbRateLimited, ImdbUnavailable
from .matching import best_match, wanted_title
from .parsing import SearchResult, TitleDetails, has_title, parse_details, parse_search, title_id
from .resilience import CircuitBreaker, SingleFlight, TokenBucket

logger = logging.getLogger(__name__)

SEARCH_PATH = "/auto-complete"
OVERVIEW_PATH = "/title/get-overview-details"
CREDITS_PATH = "/title/get-full-credits"

CACHE_PREFIX = "imdb:v1:"
NOT_FOUND = "imdb:not-found"  # cached in place of an answer that named nothing
NOT_JSON = object()  # a 200 whose body is not JSON: no data, and not cached
MAX_BODY_BYTES = 2_000_000
MAX_QUERY_LENGTH = 100
CACHE_POLL_SECONDS = 0.05
RETRIED_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class ImdbConfig:
    """The client's settings (catalogue.services.imdb_config() reads them from Django's)."""

    api_key: str = dataclasses.field(repr=False)
    base_url: str = "https://imdb8.p.rapidapi.com"
    host: str = "imdb8.p.rapidapi.com"
    connect_timeout: float = 3.05
    read_timeout: float = 5.0
    max_retries: int = 2
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 4.0
    call_budget_seconds: float = 8.0
    breaker_threshold: int = 5
    breaker_cooldown_seconds: float = 30.0
    search_cache_seconds: int = 6 * 3600
    lookup_cache_seconds: int = 24 * 3600
    not_found_cache_seconds: int = 3600
    rate_per_second: float = 5.0
    pool_size: int = 10


class ImdbClient:
    """Search, title details and title lookup over one pooled `requests.Session`.

    Thread-safe: one instance serves the whole process (see `movie_module.catalogue.services.get_client`).
    """

    def __init__(self, config: ImdbConfig, *, cache=None):
        """`cache`: get/set/add/delete with timeouts in seconds, as Django's cache has; by
        default the client's own memory."""
        self.config = config
        self.cache = cache if cache is not None else MemoryCache()
        self.breaker = CircuitBreaker(
            threshold=config.breaker_threshold, cooldown_seconds=config.breaker_cooldown_seconds
        )
        # No bursts: plans limit requests per second, and a burst plus refill could pass it.
        self.pacer = TokenBucket(rate=config.rate_per_second, burst=1)
        self._flights = SingleFlight()
        self._session = self._new_session()
        self._auth_failure_logged = threading.Event()

    # The cache helps; it is never required. A cache that is down means calling the API.

    def _cache_get(self, key: str):
        try:
            return self.cache.get(key)
        except Exception:
            logger.warning("Cache unreachable reading %s", key, exc_info=True)
            return None

    def _cache_set(self, key: str, value, seconds: int) -> None:
        try:
            self.cache.set(key, value, timeout=seconds)
        except Exception:
            logger.warning("Cache unreachable writing %s", key, exc_info=True)

    def _cache_add(self, key: str, value, seconds: int) -> bool:
        try:
            return self.cache.add(key, value, timeout=seconds)
        except Exception:
            logger.warning("Cache unreachable locking %s", key, exc_info=True)
            return True

    def _cache_delete(self, key: str) -> None:
        try:
            self.cache.delete(key)
        except Exception:
            logger.warning("Cache unreachable unlocking %s", key, exc_info=True)

    def __repr__(self):
        return f"<ImdbClient {self.config.base_url} breaker={self.breaker.state}>"

    def close(self) -> None:
        self._session.close()

    # Public API

    def search(self, text: str) -> list[SearchResult]:
        """The titles the API's search finds for `text`, best first; [] for none.

        Raises `ImdbUnavailable` when the API cannot answer and nothing is cached.
        """
        query = " ".join((text or "").split()).lower()[:MAX_QUERY_LENGTH]
        if not query:
            return []

        def fetch():
            payload = self._get_json(SEARCH_PATH, {"q": query})[1]
            if payload is NOT_JSON:
                return [], None
            results = parse_search(payload)
            seconds = self.config.search_cache_seconds if results else self.config.not_found_cache_seconds
            return results, seconds

        return self._cached("search:" + _digest(query), fetch)

    def title_details(self, imdb_id: str, *, fresh: bool = False) -> TitleDetails | None:
        """The title's overview details with its directors and cast; None if the API knows no
        such title. `fresh` skips the cache (the answer is still cached for others).

        Raises `ImdbUnavailable` when the API cannot answer and nothing is cached.
        """
        imdb_id = title_id(imdb_id)
        if imdb_id is None:
            return None

        def fetch():
            # The overview and the credits together take one call's budget: a page waits for them.
            deadline = time.monotonic() + self.config.call_budget_seconds
            overview_query = {"tconst": imdb_id, "currentCountry": "US"}
            status, overview = self._get_json(OVERVIEW_PATH, overview_query, deadline=deadline)
            if overview is NOT_JSON:
                return None, None
            if status != 200 or not has_title(overview):
                return NOT_FOUND, self.config.not_found_cache_seconds
            status, credits = self._get_json(CREDITS_PATH, {"tconst": imdb_id}, deadline=deadline)
            details = parse_details(overview, credits if status == 200 else None)
            if details is None:
                return NOT_FOUND, self.config.not_found_cache_seconds
            return details, self.config.lookup_cache_seconds

        answer = self._cached("details:" + imdb_id, fetch, fresh=fresh)
        return None if answer == NOT_FOUND else answer

    def find_title(self, title: str, year: int | None = None) -> str | None:
        """The IMDb id that best matches a title such as 'The Matrix', 'Toy Story (1995)' or
        'Matrix, The (1999)'; None when the API finds nothing close enough.

        Raises `ImdbUnavailable` when the API cannot answer and nothing is cached.
        """
        wanted = wanted_title(title, year)
        if not wanted.names:
            return None

        def fetch():
            for name in wanted.names:
                match = best_match(wanted, self.search(name))
                if match is not None:
                    return match.imdb_id, self.config.lookup_cache_seconds
            return NOT_FOUND, self.config.not_found_cache_seconds

        answer = self._cached("find:" + _digest(wanted.cache_key), fetch)
        return None if answer == NOT_FOUND else answer

    # Caching and single-flight

    def _cached(self, key: str, fetch, *, fresh: bool = False):
        """The cached value of `key`, else `fetch()`'s, computed once however many threads and
        processes ask at the same time. `fetch` returns (value, seconds to cache it or None)."""
        key = CACHE_PREFIX + key
        if not fresh:
            hit = self._cache_get(key)
            if hit is not None:
                return hit
        try:
            return self._flights.run(
                key,
                lambda: self._fetch_once(key, fetch, fresh=fresh),
                wait_seconds=self.config.call_budget_seconds * 3,
            )
        except TimeoutError:
            raise ImdbUnavailable("timed out waiting for another request's IMDb API answer") from None

    def _fetch_once(self, key: str, fetch, *, fresh: bool):
        lock_key = key + ":lock"
        lock_seconds = math.ceil(self.config.call_budget_seconds * 3) + 1
        locked = self._cache_add(lock_key, uuid.uuid4().hex, lock_seconds)
        try:
            if not locked:
                # Another process is fetching the same answer: wait for it a while.
                hit = self._wait_for_other_process(key, lock_key)
                if hit is not None:
                    return hit
            elif not fresh:
                hit = self._cache_get(key)  # filled while this thread waited for the lock
                if hit is not None:
                    return hit
            value, seconds = fetch()
            if seconds:
                self._cache_set(key, value, seconds)
            return value
        finally:
            if locked:
                self._cache_delete(lock_key)

    def _wait_for_other_process(self, key: str, lock_key: str):
        deadline = time.monotonic() + self.config.call_budget_seconds
        while time.monotonic() < deadline:
            time.sleep(CACHE_POLL_SECONDS)
            hit = self._cache_get(key)
            if hit is not None:
                return hit
            if self._cache_get(lock_key) is None:
                return None  # the other process gave up; fetch ourselves
        return None

    # HTTP

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.config.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update(
            {
                "X-RapidAPI-Key": self.config.api_key,
                "X-RapidAPI-Host": self.config.host,
                "Accept": "application/json",
                "User-Agent": "Scrapbook/1.0",
            }
        )
        # Cookies would make the shared session stateful across threads; the API needs none.
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        return session

    def _get_json(self, path: str, params: dict, *, deadline: float | None = None) -> tuple[int, Any]:
        """(status, decoded JSON or NOT_JSON) of a GET, retried and guarded by the breaker,
        within the call budget or by `deadline` (time.monotonic()), whichever comes first.

        A 200's body is decoded; other answers that are not retried (404, 400…) come back with
        their status and None. Raises `ImdbUnavailable` (or a subclass) when the call failed.
        """
        self.breaker.before_call()
        try:
            answer = self._get_with_retries(path, params, deadline)
        except ImdbUnavailable:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return answer

    def _get_with_retries(self, path: str, params: dict, deadline: float | None) -> tuple[int, Any]:
        config = self.config
        deadline = min(deadline or math.inf, time.monotonic() + config.call_budget_seconds)
        problem = "no attempt made"
        rate_limited = False
        retry_after = None
        sent = 0
        for attempt in range(config.max_retries + 1):
            if attempt:
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                if delay >= deadline - time.monotonic():
                    break  # the retry could not happen within the budget: give up now
                time.sleep(delay)
            if not self.pacer.acquire(timeout=deadline - time.monotonic()):
                problem, rate_limited = "local rate limit reached", True
                break
            sent += 1
            try:
                status, payload, retry_after = self._send(path, params, deadline)
            except requests.Timeout:
                problem, retry_after = "timed out", None
                continue
            except requests.ConnectionError:
                problem, retry_after = "connection failed", None
                continue
            except requests.RequestException as exc:
                problem, retry_after = type(exc).__name__, None
                continue
            if status in (401, 403):
                self._log_auth_failure(status)
                raise ImdbAuthenticationFailed(
                    f"IMDb API refused the key (HTTP {status}): check RAPIDAPI_KEY and the subscription"
                )
            if status in RETRIED_STATUSES:
                problem, rate_limited = f"HTTP {status}", status == 429
                continue
            return status, payload
        error = ImdbRateLimited if rate_limited else ImdbUnavailable
        logger.warning("IMDb API %s failed after %d attempt(s): %s", path, sent, problem)
        raise error(f"IMDb API {path} failed: {problem}")

    def _send(self, path: str, params: dict, deadline: float) -> tuple[int, Any, float | None]:
        """One GET: (status, body, Retry-After seconds). Timeouts never pass the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise requests.Timeout("call budget spent")
        timeout = (min(self.config.connect_timeout, remaining), min(self.config.read_timeout, remaining))
        url = self.config.base_url + path
        answer = self._session.get(url, params=params, timeout=timeout, stream=True, allow_redirects=False)
        with answer as response:
            status = response.status_code
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            if status != 200:
                return status, None, retry_after
            body = self._read_body(response, deadline)
        if body is None:
            logger.warning("IMDb API %s answered more than %d bytes; ignored", path, MAX_BODY_BYTES)
            return status, NOT_JSON, None
        try:
            return status, json.loads(body), None
        except ValueError:
            logger.warning("IMDb API %s answered 200 with a body that is not JSON; treated as no data", path)
            return status, NOT_JSON, None

    @staticmethod
    def _read_body(response: requests.Response, deadline: float) -> bytes | None:
        # The read timeout bounds each socket read; this bounds the whole body by the budget.
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None
            if time.monotonic() > deadline:
                raise requests.Timeout("call budget spent while reading the answer")
        return b"".join(chunks)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_max_seconds, self.config.backoff_seconds * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)

    def _log_auth_failure(self, status: int) -> None:
        if self._auth_failure_logged.is_set():
            logger.debug("IMDb API refused the key again (HTTP %d)", status)
            return
        self._auth_failure_logged.set()
        logger.error(
            "IMDb API refused the key (HTTP %d): RAPIDAPI_KEY is wrong or not subscribed to %s",
            status,
            self.config.host,
        )


def _retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if absent or odd."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class MemoryCache:
    """A cache in the client's own memory, for use without Django: get/set/add/delete."""

    def __init__(self):
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, default=None):
        with self._lock:
            expires, value = self._entries.get(key, (0.0, default))
            if expires and expires < time.monotonic():
                del self._entries[key]
                return default
            return value

    def set(self, key: str, value, timeout: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + timeout, value)

    def add(self, key: str, value, timeout: float) -> bool:
        with self._lock:
            expires, _ = self._entries.get(key, (0.0, None))
            if expires and expires >= time.monotonic():
                return False
            self._entries[key] = (time.monotonic() + timeout, value)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)
