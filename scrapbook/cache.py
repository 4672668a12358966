"""Django's Redis cache, made to degrade instead of failing requests when Redis is down.

Everything Scrapbook keeps in the cache can be recomputed or skipped: throttle counters,
IMDb answers, locks against duplicate work. So while Redis is unreachable a read misses,
a write is dropped and the request goes on; the outage is logged, and /api/health/ names
it. After a failure the cache stops trying for a few seconds, so a dead Redis costs one
connection timeout per few seconds per worker, not one per call.
"""

import functools
import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .internals.django_redis_cache import shared_client_use

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


def _degrades_to(fallback):
    """Run the cache operation, or answer `fallback(*args, **kwargs)` while Redis is down."""

    def decorate(operation):
        @functools.wraps(operation)
        def guarded(self, *args, **kwargs):
            if self._down_until > time.monotonic():
                return fallback(*args, **kwargs)
            try:
                return operation(self, *args, **kwargs)
            except OUTAGE_ERRORS as error:
                self._mark_down(error)
                return fallback(*args, **kwargs)

        return guarded

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _true(*args, **kwargs):
    # add() is the cache's "first one wins": with no cache, everyone goes ahead, as if
    # alone, rather than waiting for a winner that cannot be known.
    return True


def _empty(*args, **kwargs):
    return {}


def _fresh_counter(key, delta=1, *args, **kwargs):
    return delta


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, degrading while Redis is down; with REDIS_SHARED_CLIENT, one
    Redis client per process (scrapbook/internals/django_redis_cache.py)."""

    retry_after_seconds = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        if settings.REDIS_SHARED_CLIENT:
            shared_client_use(self)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def validate_key(self, key):
        """Any key: Redis takes them all. Django's check, which warns of keys memcached would
        refuse character by character, was 16 of the 56 µs of CPU of the `get_many` of a warm
        movie page's eleven keys."""

    def _mark_down(self, error):
        with self._lock:
            already_down = self._down_until > time.monotonic()
            self._down_until = time.monotonic() + self.retry_after_seconds
        if not already_down:
            logger.warning("Redis cache unreachable, serving without it: %s", error)

    get = _degrades_to(_default)(RedisCache.get)
    set = _degrades_to(_nothing)(RedisCache.set)
    add = _degrades_to(_true)(RedisCache.add)
    touch = _degrades_to(_false)(RedisCache.touch)
    delete = _degrades_to(_false)(RedisCache.delete)
    get_many = _degrades_to(_empty)(RedisCache.get_many)
    set_many = _degrades_to(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    delete_many = _degrades_to(_nothing)(RedisCache.delete_many)
    has_key = _degrades_to(_false)(RedisCache.has_key)
    incr = _degrades_to(_fresh_counter)(RedisCache.incr)
    clear = _degrades_to(_false)(RedisCache.clear)
