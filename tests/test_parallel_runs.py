"""What lets `make test` run the suite on several pytest-xdist workers, and beside other test
runs on the same Redis and PostgreSQL: a Redis namespace per worker (tests/worker_namespaces.py),
a cache clear that keeps to it (conftest.py), and a cheap flush on PostgreSQL
(tests/postgresql_fast_flush)."""

import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from chat.models import Message
from chat.tests.conftest import redis_url  # noqa: F401 (the fixture)
from conftest import FAST_FLUSH_POSTGRESQL_BACKEND, clear_cache
from movie_module.models import Movie, Review, WatchlistItem
from movie_module.tests.factories import ReviewFactory, WatchlistItemFactory
from tests.servers import BASE_DIR

LOAD_SETTINGS_AS_PYTEST_DOES = (
    "import django, tests.worker_namespaces; django.setup(); from django.conf import settings; "
    "print(settings.CACHE_KEY_PREFIX, settings.SOCKETIO_CHANNEL, settings.CELERY_TASK_DEFAULT_QUEUE)"
)


NAMESPACE_VARIABLES = {"PYTEST_XDIST_WORKER", "CACHE_KEY_PREFIX", "SOCKETIO_CHANNEL", "CELERY_QUEUE"}


def namespace_settings(**environment) -> list[str]:
    """The namespace settings of a process that loaded the plugin first, as pytest does, in
    this environment less the namespace variables, plus `environment`."""
    inherited = {name: value for name, value in os.environ.items() if name not in NAMESPACE_VARIABLES}
    finished = subprocess.run(
        [sys.executable, "-c", LOAD_SETTINGS_AS_PYTEST_DOES],
        cwd=BASE_DIR,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "scrapbook.settings", **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return finished.stdout.split()


@pytest.mark.slow
def test_each_xdist_worker_has_a_redis_namespace_of_its_own():
    base = {"CACHE_KEY_PREFIX": "ci", "SOCKETIO_CHANNEL": "ci-chat", "CELERY_QUEUE": ""}
    assert namespace_settings(**base, PYTEST_XDIST_WORKER="gw3") == ["ci-gw3", "ci-chat-gw3", "ci-gw3"]
    assert namespace_settings(**{**base, "CELERY_QUEUE": "jobs"}, PYTEST_XDIST_WORKER="gw3")[2] == "jobs-gw3"
    gw0, gw1 = (namespace_settings(PYTEST_XDIST_WORKER=worker) for worker in ("gw0", "gw1"))
    assert all(mine != theirs for mine, theirs in zip(gw0, gw1, strict=True))
    assert namespace_settings(**base) == ["ci", "ci-chat", "ci"]  # without xdist, as set


def test_this_worker_loaded_its_namespace_before_the_settings(settings):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        pytest.skip("not run by pytest-xdist")
    assert settings.CACHE_KEY_PREFIX.endswith(f"-{worker}")
    assert settings.SOCKETIO_CHANNEL.endswith(f"-{worker}")
    assert settings.CELERY_TASK_DEFAULT_QUEUE.endswith(f"-{worker}")


def test_between_tests_this_runs_redis_keys_go_and_other_runs_keys_stay(settings, redis_url):  # noqa: F811
    run = f"scrapbook-test-{uuid.uuid4().hex[:10]}"
    settings.REDIS_URL = redis_url
    settings.SOCKETIO_CHANNEL = f"{run}-chat"
    settings.CELERY_TASK_DEFAULT_QUEUE = f"{run}-tasks"
    backend = "scrapbook.cache.ResilientRedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": redis_url, "KEY_PREFIX": run}}
    mine = [f"{run}-chat:emitted:message:1", f"{run}-tasks:celery:{run}-tasks"]
    others = [f"{run}-other:1:throttle", f"{run}-other-chat:emitted:message:1"]
    with redis.Redis.from_url(redis_url) as client:
        for key in mine + others:
            client.set(key, "1", ex=60)
        try:
            cache.set("throttle", "mine", 60)
            clear_cache()
            assert cache.get("throttle") is None
            assert [client.exists(key) for key in mine] == [0, 0]
            assert [client.exists(key) for key in others] == [1, 1]
        finally:
            client.delete(*mine, *others)


@pytest.mark.django_db(transaction=True)
def test_the_flush_between_transactional_tests_empties_every_table():
    if connection.vendor == "postgresql":
        assert connection.settings_dict["ENGINE"] == FAST_FLUSH_POSTGRESQL_BACKEND
    ReviewFactory()  # rows that refer to others, in several tables
    WatchlistItemFactory()
    Message.objects.create(room="lobby", user=Review.objects.get().user, text="hello")

    # As pytest-django's transactional_db (Django's TransactionTestCase) calls it.
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, allow_cascade=False)

    assert not Movie.objects.exists()
    assert not Review.objects.exists()
    assert not WatchlistItem.objects.exists()
    assert not Message.objects.exists()
    assert not Review.user.field.related_model.objects.exists()
