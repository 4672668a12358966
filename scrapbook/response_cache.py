"""Cached answers that a write makes stale at once: generations, not timeouts.

Every cached answer is a read declared in scrapbook/cached_data.py, which names the data
it was built from, e.g. `("movies", "reviews")`; writes announce the data they change
(scrapbook/change_announcements.py), which calls `invalidate`. Each
name has a generation in the Django cache, a random token; a write to that data replaces
the token (`invalidate`). An answer is stored with the tokens it was built under, and
served only while they are still the current ones: one read of the cache (`get_many`)
fetches both, which is one round trip to Redis. A read that races a write can only store
the old answer under the old tokens, which no longer match.

`invalidate` runs twice within a transaction: at once, so the writer's own next request sees
its write even in a test's never-committed transaction, and after the commit, so that a
reader who rebuilt the answer between the two cannot keep the pre-commit state. A write
outside a transaction is committed when it is announced: once is enough.

A request that makes several cached reads (the movie page: the caller's account, the shared
page, the caller's watchlist and review) names them first with `fetch_together`: one
`get_many` fetches every answer and generation they need, and each `cached_value` of the
request then finds its own there (`reads_fetched_together` bounds what was fetched to one
request).

The cache is the Django cache: Redis when REDIS_URL is set, shared by every worker; the
process's own memory otherwise, which is exact for one worker (`make run`). Several
workers without Redis would each keep their own generations, so API_CACHE_SECONDS also
bounds how old an answer can get.
"""

import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from .cached_data import read_depends_on
from .stored_answers import answer_servable_again, record_generations, record_write

GENERATION_PREFIX = "generation:"
ANSWER_PREFIX = "answer:"

# What the running request fetched ahead from the cache, by key (absent keys: None), while
# `reads_fetched_together` is open; None outside it.
_fetched_ahead: ContextVar[dict | None] = ContextVar("fetched_ahead", default=None)


def _new_token() -> int:
    # An int: Django's Redis cache stores it as it is, not pickled, and reads it back faster.
    return uuid.uuid4().int >> 66


def _generation_seconds() -> int:
    # A lost generation only makes its answers miss, so it needs to outlive them and no
    # more: per-user generations would otherwise pile up in Redis for every user ever seen.
    return 2 * settings.API_CACHE_SECONDS


def invalidate(*names: str) -> None:
    """Make every answer built from `names` stale, now and after the transaction (outside
    one, now only: the write is committed already, and on_commit would run at once)."""

    def replace_tokens():
        tokens = {GENERATION_PREFIX + name: _new_token() for name in names}
        cache.set_many(tokens, timeout=_generation_seconds())
        fetched = _fetched_ahead.get()
        if fetched:  # what this request fetched before its own write is stale now
            fetched.clear()

    record_write()
    replace_tokens()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(replace_tokens)


def _current_tokens(found: dict, generation_keys: list[str]) -> tuple | None:
    """The generations' tokens, starting those not in the cache yet; None if it is down."""
    missing = [key for key in generation_keys if key not in found]
    if missing:
        # add(): two readers starting the same name agree on the first one's token.
        for key in missing:
            cache.add(key, _new_token(), timeout=_generation_seconds())
        started = cache.get_many(missing)
        found = {**found, **started}
        fetched = _fetched_ahead.get()
        if fetched is not None:
            fetched.update(started)
        if any(key not in found for key in missing):
            return None
    return tuple(found[key] for key in generation_keys)


@functools.lru_cache(maxsize=65_536)
def _generation_keys(read: str, user_id, movie_id) -> tuple[str, ...]:
    # Remembered: a warm movie page asks for seven reads' keys, which cost more CPU to build
    # than the cache's round trip.
    names = read_depends_on(read, user_id=user_id, movie_id=movie_id)
    return tuple(GENERATION_PREFIX + name for name in names)


@dataclass(frozen=True)
class CachedRead:
    """A cached read a request is about to make: its declared name, key and user, as
    `cached_value` takes them."""

    read: str
    key: str = ""
    user_id: int | None = None
    movie_id: int | None = None

    def generation_keys(self) -> tuple[str, ...]:
        return _generation_keys(self.read, self.user_id, self.movie_id)

    def answer_key(self) -> str:
        return f"{ANSWER_PREFIX}{self.read}:{self.user_id or ''}:{self.key}"


@contextmanager
def reads_fetched_together():
    """Within the block (one request), what `fetch_together` fetched serves `cached_value`."""
    scope = _fetched_ahead.set({})
    try:
        yield
    finally:
        _fetched_ahead.reset(scope)


def fetch_together(reads: Iterable[CachedRead]) -> None:
    """Fetch every answer and generation `reads` need in one round trip to the cache, for the
    `cached_value` calls that follow in this `reads_fetched_together` block."""
    fetched = _fetched_ahead.get()
    if fetched is None or settings.API_CACHE_SECONDS <= 0:
        return
    keys = list(dict.fromkeys(key for read in reads for key in (*read.generation_keys(), read.answer_key())))
    keys = [key for key in keys if key not in fetched]
    if keys:
        found = cache.get_many(keys)
        fetched.update({key: found.get(key) for key in keys})


def _cache_get_many(keys: list[str]) -> dict:
    """`cache.get_many(keys)`, from what was fetched ahead when it holds them all."""
    fetched = _fetched_ahead.get()
    if fetched and all(key in fetched for key in keys):
        return {key: fetched[key] for key in keys if fetched[key] is not None}
    return cache.get_many(keys)


def cached_value(read: str, build: Callable[[], object], *, key: str = "", user_id=None, movie_id=None):
    """`build()`, or its earlier result while none of the data the declared read `read`
    depends on (cached_data.READS) has been written since. `key` tells apart the answers of
    one read (a movie's IMDb id); `user_id` is the user whose own data the read shows (the
    caller, for their watchlist), `movie_id` the movie whose data it shows.

    Results of None are not cached. With API_CACHE_SECONDS=0, always `build()`.
    """
    timeout = settings.API_CACHE_SECONDS
    wanted = CachedRead(read, key, user_id, movie_id)
    generation_keys = wanted.generation_keys()
    if timeout <= 0:
        return build()
    answer_key = wanted.answer_key()
    found = _cache_get_many([*generation_keys, answer_key])
    tokens = _current_tokens(found, generation_keys)
    record_generations(generation_keys, tokens, read)
    if tokens is None:  # no cache to ask: answer from the database
        return build()
    stored = found.get(answer_key)
    if stored is not None and stored[0] == tokens:
        return stored[1]
    value = build()
    if value is not None:
        cache.set(answer_key, (tokens, value), timeout=timeout)
        fetched = _fetched_ahead.get()
        if fetched is not None and answer_key in fetched:
            fetched[answer_key] = (tokens, value)
    return value


def generation_tokens(read: str, *, user_id=None, movie_id=None) -> tuple | None:
    """The current tokens of the data the read `read` depends on, to store answers of it
    built afterwards (`store_answers`); None with the cache off or down."""
    if settings.API_CACHE_SECONDS <= 0:
        return None
    generation_keys = CachedRead(read, "", user_id, movie_id).generation_keys()
    return _current_tokens(_cache_get_many(generation_keys), generation_keys)


def store_answers(read: str, answers: dict, *, tokens: tuple | None, user_id=None, movie_id=None) -> None:
    """Store several answers of the read `read` at once, {key: value}, built after the
    data's generations were `tokens`: one round trip for answers that are cheaper to build
    together (a user's reviews, read when their map of movies is). As with `cached_value`,
    a write since `tokens` were read makes them stale."""
    if tokens is None or not answers:
        return
    stored = {
        CachedRead(read, key, user_id, movie_id).answer_key(): (tokens, value)
        for key, value in answers.items()
        if value is not None
    }
    cache.set_many(stored, timeout=settings.API_CACHE_SECONDS)
    fetched = _fetched_ahead.get()
    if fetched is not None:
        fetched.update({key: value for key, value in stored.items() if key in fetched})


def request_key(request, *parts) -> str:
    """A short key for `request`'s URL, query parameters in any order, and `parts`.

    The host is part of it: pagination links in the answer are absolute URLs.
    """
    query = sorted((name, value) for name, values in request.query_params.lists() for value in values)
    text = repr((request.build_absolute_uri(request.path), query, parts))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def cached_response(request, read: str, *, build: Callable[[], dict], user_id=None):
    """A 200 answer to a GET with `build()`'s data, built again only after a write to the data
    the declared read `read` depends on. `user_id` as for `cached_value`.

    JSON is cached as rendered bytes, which cost nothing to send again. Errors that `build()`
    raises go through DRF as usual and are never cached.
    """
    body = cached_value(
        read, lambda: JSONRenderer().render(build()), key=request_key(request), user_id=user_id
    )
    answer_servable_again()
    return HttpResponse(body, content_type="application/json")
