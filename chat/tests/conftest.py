import os
import re
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.servers import free_port, uvicorn_process, uvicorn_server

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"
SERVER_ERROR_LOG = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback|Internal Server Error")


def services_required() -> bool:
    return os.environ.get("CI_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    """Skip a test that needs a missing service, or fail it where CI requires services."""
    if services_required():
        pytest.fail(f"{reason} (CI_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set, else the local Redis's database 15 when it answers."""
    url = os.environ.get("REDIS_URL") or LOCAL_REDIS_URL
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"no Redis at {url} ({error}); set REDIS_URL or start redis-server")
    return url


@contextmanager
def redis_namespace(redis_url: str):
    """The environment of servers that share this Redis with a cache key prefix and a
    pub/sub channel of their own, so other test runs on it do not interfere; the keys
    are deleted afterwards."""
    namespace = f"scrapbook-test-{uuid.uuid4().hex[:10]}"
    try:
        yield {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": namespace, "SOCKETIO_CHANNEL": namespace}
    finally:
        with redis.Redis.from_url(redis_url) as client:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
            if keys:
                client.delete(*keys)


@pytest.fixture
def redis_server_env(redis_url):
    """The environment of uvicorn processes that share Redis (see redis_namespace)."""
    with redis_namespace(redis_url) as env:
        yield env


@pytest.fixture(scope="session")
def redis_servers(django_db_setup, django_db_blocker, redis_url):
    """Two uvicorn processes on different ports that share one Redis, as two workers do;
    started once, as live_server_url (each test uses rooms and users of its own)."""
    with (
        redis_namespace(redis_url) as env,
        uvicorn_server(extra_env=env) as first,
        uvicorn_server(extra_env=env) as second,
    ):
        yield first, second


@pytest.fixture(scope="session")
def one_process_server(django_db_setup, django_db_blocker):
    """A uvicorn process without Redis, whatever the environment says: one worker, the
    in-memory Socket.IO manager; started once, as live_server_url."""
    with uvicorn_server(extra_env={"REDIS_URL": ""}) as url:
        yield url


@pytest.fixture(params=["one worker in memory", "two workers on Redis"])
def chat_servers(request):
    """(first URL, second URL): the one in-memory worker twice, or two workers sharing Redis."""
    if request.param == "one worker in memory":
        url = request.getfixturevalue("one_process_server")
        return url, url
    return request.getfixturevalue("redis_servers")


class LoggedServer:
    """A uvicorn process whose log a test can read: `mark()` before, `errors_since(mark)` after."""

    def __init__(self, url: str, log_path: Path):
        self.url = url
        self.log_path = log_path

    def mark(self) -> int:
        return self.log_path.stat().st_size

    def errors_since(self, mark: int) -> list[str]:
        """The lines logged since `mark` that report a server error or a traceback."""
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            log.seek(mark)
            return [line for line in log.read().splitlines() if SERVER_ERROR_LOG.search(line)]


@pytest.fixture(scope="session")
def logged_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """Like live_server_url, with the server's output in a file (see LoggedServer)."""
    log_path = tmp_path_factory.mktemp("logged-server") / "server.log"
    port = free_port()
    with open(log_path, "w") as log, uvicorn_process(port=port, stdout=log, stderr=subprocess.STDOUT):
        yield LoggedServer(f"http://127.0.0.1:{port}", log_path)
