"""One `redis.Redis` client and connection pool per process for Django's Redis cache.

Django's caches are context-local, so under ASGI every request built its own cache object,
whose own pool opened a new connection to Redis: about 1.4 ms of CPU per request
(bench/api.py). Django also builds a new `redis.Redis` for every call, which costs more
than a GET on loopback (about 80 µs against 35). redis-py's clients are safe to share
between threads, each command taking a connection from the pool. Sharing one client per
process took a cached movie list from 1.8 to 0.7 ms of CPU (docs/PERFORMANCE.md, "Redis:
one connection pool per process").

Django's internals used here, and nowhere else (tests/test_library_internals.py pins them):

- `RedisCache._class`, set to the client class below: `RedisCache._cache` (a cached
  property) builds `self._class(self._servers, **self._options)`. Django offers no option
  to choose the client class.
- `RedisCacheClient.get_client(key, *, write)`, overridden (Django's comment there invites
  custom clients), reading `RedisCacheClient._servers`, `_pool_options`, `_pool_class`,
  `_client` and `_get_connection_pool_index(write)`, all set by its `__init__`.

- How `RedisCache` stores a value: its serializer (`RedisSerializer.dumps`) leaves an int
  unpickled, which redis-py sends as its decimal digits (`raw_redis_value`). Stored answers
  (scrapbook/stored_answers.py) compare the generation tokens, ints, inside Redis.

redis-py's internals used here (with REDIS_KERNEL_TIMEOUTS, on by default):

- `Connection._connect()`, extended: it returns the connected socket, which it has given
  `socket_timeout` with `sock.settimeout`; here that socket is made blocking and its
  timeouts are given to the kernel instead (`KernelTimeoutConnection`).

Written against Django 5.2.19 and redis-py 8.1.0 (`WRITTEN_AGAINST`). The stock behaviour,
with REDIS_SHARED_CLIENT=0: Django's `RedisCacheClient`, a pool per cache object and a
`redis.Redis` per call (scrapbook.cache.ResilientRedisCache then leaves `_class` alone);
with REDIS_KERNEL_TIMEOUTS=0, redis-py's own `Connection`.
"""

import socket
import struct
import threading
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"Django": "5.2.19", "redis": "8.1.0"}


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, with one connection pool and one `redis.Redis` per process
    for each server and set of pool options."""

    _clients = {}  # (server URL, pool options, kernel timeouts) -> redis.Redis, for the process
    _clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        server = self._servers[self._get_connection_pool_index(write)]
        kernel_timeouts = settings.REDIS_KERNEL_TIMEOUTS and urlsplit(server).scheme == "redis"
        shared_key = (server, repr(sorted(self._pool_options.items())), kernel_timeouts)
        client = self._clients.get(shared_key)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(shared_key)
                if client is None:
                    options = dict(self._pool_options)
                    if kernel_timeouts:
                        options.setdefault("connection_class", KernelTimeoutConnection)
                    pool = self._pool_class.from_url(server, **options)
                    client = self._clients[shared_key] = self._client(connection_pool=pool)
        return client


def shared_client_use(cache: RedisCache) -> None:
    """Make `cache`, a RedisCache not used yet, share its process's Redis client."""
    cache._class = SharedClientRedisCacheClient


class KernelTimeoutConnection(redis.Connection):
    """A Redis connection on a blocking socket whose read and write timeouts the kernel keeps
    (SO_RCVTIMEO, SO_SNDTIMEO), instead of Python.

    Python keeps a socket's timeout by polling before every send and every receive, and each
    of those system calls lets go of the GIL, which a request thread then waits to take back
    from the busy event loop: a cached read's round trip went from five such hand-overs to
    three (the pool's own check that the connection is clean stays), and a cached API answer
    cost 10-15% less CPU (docs/PERFORMANCE.md, "Redis: timeouts kept by the kernel").

    A read or write past the timeout fails as before, as a ConnectionError instead of a
    TimeoutError, and the connection is dropped: scrapbook.cache degrades the same way. Where
    the kernel refuses the options, Python keeps the timeout as redis-py would.
    """

    def __init__(self, *args, socket_timeout=None, **kwargs):
        super().__init__(*args, socket_timeout=socket_timeout, **kwargs)
        self.kernel_timeout = socket_timeout
        self.socket_timeout = None  # _connect() then leaves the socket blocking

    def _connect(self):
        sock = super()._connect()
        if self.kernel_timeout:
            try:
                timeval = _timeval(self.kernel_timeout)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
            except (OSError, struct.error):
                sock.settimeout(self.kernel_timeout)
        return sock


def _timeval(seconds: float) -> bytes:
    """`seconds` as the C `struct timeval` that SO_RCVTIMEO takes (two longs on Linux)."""
    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1_000_000))


def raw_redis_value(value) -> bytes | None:
    """The bytes Redis holds for `value` stored through Django's RedisCache, for an int (the
    generation tokens); None for anything else, which Django pickles."""
    if type(value) is not int:
        return None
    return str(value).encode()
