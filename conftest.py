import glob

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from authentication.tests.factories import UserFactory
from movie_module.catalogue import services as imdb_sync
from scrapbook import background
from tests.fake_imdb import SERVER_ERROR, FakeImdb, slow, too_many_requests
from tests.servers import free_port, uvicorn_server

STOCK_POSTGRESQL_BACKEND = "django.db.backends.postgresql"
FAST_FLUSH_POSTGRESQL_BACKEND = "tests.postgresql_fast_flush"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django's hook before it creates the test databases (the suffix per xdist worker
    kept): on PostgreSQL, the test process's connections empty the tables between
    transactional tests with DELETE (tests/postgresql_fast_flush)."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == STOCK_POSTGRESQL_BACKEND:
        database["ENGINE"] = FAST_FLUSH_POSTGRESQL_BACKEND
        # Defining the models made this process's connection, unconnected, with the stock
        # backend; the next use makes another with this one.
        connections["default"].close()
        del connections["default"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness only slows the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def recommender_model_directory(settings, tmp_path):
    """Every test fits into its own folder; none sees the developer's fitted model."""
    from movie_module.recommendations import store as model_store

    settings.RECOMMENDER_MODEL_DIR = tmp_path / "recommender"
    model_store.worker_copy.forget()
    yield settings.RECOMMENDER_MODEL_DIR
    model_store.worker_copy.forget()


@pytest.fixture(autouse=True)
def background_tasks_in_process():
    """Background tasks run on this process's threads, whatever broker the environment names
    (the tests of the Celery worker, tests/test_celery_worker.py, switch this off); none
    outlives its test."""
    # Not the `settings` fixture: that would set it up before `empty_cache`, whose clear()
    # must run after a test's cache settings are undone.
    with override_settings(BACKGROUND_TASKS_IN_PROCESS=True):
        yield
        background.wait_for_tasks(timeout=10)


_redis_clients: dict[str, redis.Redis] = {}


def delete_redis_keys(url: str, prefixes: set[str]) -> None:
    """Delete the keys `prefix:...` of each prefix from the Redis at `url`, if it answers."""
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    try:
        for prefix in prefixes:
            keys = list(client.scan_iter(match=glob.escape(prefix) + ":*", count=1000))
            if keys:
                client.delete(*keys)
    except (redis.ConnectionError, redis.TimeoutError):
        pass  # as the resilient cache's clear() while Redis is down


def clear_cache() -> None:
    """Empty the cache, and with REDIS_URL what this run keeps in Redis: the chat's marks of
    messages already broadcast (under SOCKETIO_CHANNEL; a new run numbers its messages from 1
    again) and Celery's queue. Only this run's keys, under its names: cache.clear() would
    FLUSHDB, the keys of other runs and of the other pytest-xdist workers
    (tests/worker_namespaces.py) sharing the database too."""
    cache = caches["default"]
    prefixes_by_url: dict[str, set[str]] = {}
    if isinstance(cache, RedisCache):
        cache_settings = django_settings.CACHES["default"]
        prefixes_by_url[cache_settings["LOCATION"]] = {cache_settings["KEY_PREFIX"]}
    else:
        cache.clear()
    if django_settings.REDIS_URL:
        prefixes_by_url.setdefault(django_settings.REDIS_URL, set()).update(
            {django_settings.SOCKETIO_CHANNEL, django_settings.CELERY_TASK_DEFAULT_QUEUE}
        )
    for url, prefixes in prefixes_by_url.items():
        delete_redis_keys(url, prefixes)


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttles, rate limits and cached IMDb answers never leak from one test to the next."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def access_token_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


@pytest.fixture
def auth_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.fixture
def other_client(other_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(other_user)}")
    return client


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """A real uvicorn process serving the ASGI application on the test database.

    Tests that use it need `transactional_db`, so what they write is committed and visible.
    """
    with uvicorn_server() as url:
        yield url


# Unmistakable, so a test can assert it never shows up in logs, errors or responses.
TEST_RAPIDAPI_KEY = "test-key-5f0c9e3a-never-log-me"

# Small timeouts and backoffs keep the fault tests fast; a long cool-down never ends mid-test.
FAST_IMDB_SETTINGS = {
    "IMDB_API_HOST": "imdb8.p.rapidapi.com",
    "IMDB_CONNECT_TIMEOUT": 0.5,
    "IMDB_READ_TIMEOUT": 0.3,
    "IMDB_MAX_RETRIES": 2,
    "IMDB_BACKOFF_SECONDS": 0.01,
    "IMDB_BACKOFF_MAX_SECONDS": 0.05,
    "IMDB_CALL_BUDGET_SECONDS": 1.5,
    "IMDB_BREAKER_THRESHOLD": 3,
    "IMDB_BREAKER_COOLDOWN_SECONDS": 60.0,
    "IMDB_RATE_PER_SECOND": 1000.0,
}


@pytest.fixture(autouse=True)
def imdb_api_off(settings):
    """No test reaches the real API, whatever key the environment holds; each starts with a
    fresh client and breaker, and no background refresh outlives its test."""
    settings.RAPIDAPI_KEY = ""
    imdb_sync.reset_client()
    yield
    background.wait_for_tasks(timeout=10)
    imdb_sync.reset_client()


def point_imdb_client_at(settings, url: str) -> None:
    settings.RAPIDAPI_KEY = TEST_RAPIDAPI_KEY
    settings.IMDB_API_URL = url
    for name, value in FAST_IMDB_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def fake_imdb(settings, imdb_api_off):
    """The fake IMDb API (tests/fake_imdb.py) running, and the client configured to use it."""
    with FakeImdb() as server:
        point_imdb_client_at(settings, server.url)
        yield server
        background.wait_for_tasks(timeout=10)


@pytest.fixture
def imdb_refusing_connections(settings, imdb_api_off):
    """The client configured for a port where nothing listens: connection refused."""
    point_imdb_client_at(settings, f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def imdb_client(fake_imdb):
    return imdb_sync.get_client()


# The ways the IMDb API fails that the endpoints must survive.
API_DOWN = ["connection refused", "500", "slow", "429"]


@pytest.fixture
def api_down(request, settings, fake_imdb):
    """The fake API failing in the way the test's parameter names."""
    if request.param == "connection refused":
        settings.IMDB_API_URL = f"http://127.0.0.1:{free_port()}"
    elif request.param == "500":
        fake_imdb.always("*", SERVER_ERROR)
    elif request.param == "429":
        fake_imdb.always("*", too_many_requests(retry_after="1"))
    else:
        settings.IMDB_READ_TIMEOUT = 0.2
        settings.IMDB_CALL_BUDGET_SECONDS = 0.5
        fake_imdb.always("*", slow(2))
    return fake_imdb
