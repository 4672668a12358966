"""The speed-ups that lean on libraries' private internals: every private name they use,
pinned against the installed libraries, with the versions they were written against; the
boundary modules as the only code that names them; and the behaviour the same with each
speed-up on and off (its setting at 0 gives back the library's stock behaviour).

When a test here fails after an upgrade, re-read the library's code behind the names the
boundary module's docstring lists, fix the boundary (or turn its setting off), then update
its WRITTEN_AGAINST. docs/ARCHITECTURE.md, "Library internals", lists the boundaries.
"""

import importlib.metadata
import inspect
import re
from pathlib import Path

import pytest
import redis
import requests
from asgiref.sync import SyncToAsync, ThreadSensitiveContext
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from drf_spectacular.generators import SchemaGenerator

from conftest import access_token_for
from movie_module.tests.factories import MovieFactory
from scrapbook.internals import django_asgi_handler, django_redis_cache
from tests.servers import uvicorn_server

BASE_DIR = Path(__file__).resolve().parent.parent

BOUNDARIES = [django_asgi_handler, django_redis_cache]

# Each private name, and the one module allowed to name it (tests aside).
PRIVATE_NAMES = {
    r"\._middleware_chain\b": "scrapbook/internals/django_asgi_handler.py",
    r"\._class\s*=": "scrapbook/internals/django_redis_cache.py",
    r"\._servers\b": "scrapbook/internals/django_redis_cache.py",
    r"\._pool_options\b": "scrapbook/internals/django_redis_cache.py",
    r"\._pool_class\b": "scrapbook/internals/django_redis_cache.py",
    r"\._get_connection_pool_index\b": "scrapbook/internals/django_redis_cache.py",
    # Replaced by supported APIs; no module may come back to them.
    r"\._map_serializer\b": None,
    r"\._has_been_logged\b": None,
}


def boundary_id(module) -> str:
    return module.__name__


@pytest.mark.parametrize("boundary", BOUNDARIES, ids=boundary_id)
def test_the_libraries_are_the_versions_the_boundaries_were_written_against(boundary):
    for distribution, written_against in boundary.WRITTEN_AGAINST.items():
        installed = importlib.metadata.version(distribution)
        assert installed == written_against, (
            f"{distribution} is {installed}, but {boundary.__name__} was written against "
            f"{written_against}: re-check the boundary {boundary.__name__} (the private names "
            f"its docstring lists) against {distribution} {installed}, then update the pinned "
            f"version in its WRITTEN_AGAINST."
        )


def project_sources():
    for path in sorted(BASE_DIR.rglob("*.py")):
        relative = path.relative_to(BASE_DIR).as_posix()
        if relative.startswith((".", "tests/", "node_modules")) or "/tests/" in relative:
            continue
        if "/node_modules/" in relative or relative.startswith(("bench/", "var/")):
            continue
        yield relative, path.read_text()


def test_private_names_appear_only_in_their_boundary_module():
    found = []
    for relative, text in project_sources():
        for pattern, allowed in PRIVATE_NAMES.items():
            if relative != allowed and re.search(pattern, text):
                found.append(f"{relative}: {pattern}")
    assert found == [], "private library names outside their boundary module"


# --- Django's ASGI handler (scrapbook/internals/django_asgi_handler.py) ---------------------


def test_django_asgi_handler_builds_its_chain_with_load_middleware_is_async_true():
    calls = []

    class Recording(ASGIHandler):
        def load_middleware(self, is_async=False):
            calls.append(is_async)
            super().load_middleware(is_async=is_async)

    Recording()
    assert calls == [True]
    assert "is_async" in inspect.signature(BaseHandler.load_middleware).parameters


def test_a_sync_chain_is_a_plain_callable_in_middleware_chain():
    handler = BaseHandler()
    handler.load_middleware(is_async=False)
    assert callable(handler._middleware_chain)
    assert not inspect.iscoroutinefunction(handler._middleware_chain)


def test_django_awaits_middleware_chain_and_enters_a_thread_sensitive_context_per_request():
    assert "await self._middleware_chain(request)" in inspect.getsource(BaseHandler.get_response_async)
    assert "ThreadSensitiveContext()" in inspect.getsource(ASGIHandler.__call__)
    assert "executor" in inspect.signature(ThreadSensitiveContext).parameters


def test_the_fast_handler_enters_the_sync_chain_with_one_sync_to_async():
    handler = django_asgi_handler.SyncChainASGIHandler(threads=1)
    try:
        assert isinstance(handler._middleware_chain, SyncToAsync)
        assert not inspect.iscoroutinefunction(handler._middleware_chain.func)
    finally:
        handler.threads[0].shutdown()


# --- Django's Redis cache client (scrapbook/internals/django_redis_cache.py) ----------------

REDIS_NOWHERE = "redis://127.0.0.1:1/0"  # never connected to: building clients does not


def test_redis_cache_builds_its_client_from_class():
    cache = RedisCache(REDIS_NOWHERE, {})
    assert cache._class is RedisCacheClient
    source = inspect.getsource(RedisCache._cache.func)
    assert "self._class(self._servers, **self._options)" in source


def test_redis_cache_client_has_the_attributes_the_shared_client_reads():
    client = RedisCacheClient([REDIS_NOWHERE], socket_timeout=2)
    assert client._servers == [REDIS_NOWHERE]
    assert client._pool_options["socket_timeout"] == 2
    assert client._pool_class is redis.ConnectionPool
    assert client._client is redis.Redis
    assert client._get_connection_pool_index(True) == 0
    assert client._get_connection_pool_index(False) == 0
    signature = inspect.signature(RedisCacheClient.get_client)
    assert list(signature.parameters) == ["self", "key", "write"]
    assert signature.parameters["write"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("shared", [True, False], ids=["shared-client", "stock"])
def test_caches_share_one_redis_client_per_process_only_with_the_setting(settings, shared):
    from scrapbook.cache import ResilientRedisCache

    settings.REDIS_SHARED_CLIENT = shared
    first = ResilientRedisCache(REDIS_NOWHERE, {"OPTIONS": {"socket_timeout": 2}})
    second = ResilientRedisCache(REDIS_NOWHERE, {"OPTIONS": {"socket_timeout": 2}})
    expected = django_redis_cache.SharedClientRedisCacheClient if shared else RedisCacheClient
    assert type(first._cache) is expected
    one, other = first._cache.get_client(write=True), second._cache.get_client(write=True)
    assert isinstance(one, redis.Redis)
    assert (one is other) is shared


# --- drf-spectacular: no private names; the outcome they were once used for ----------------


@pytest.mark.django_db
def test_the_watchlist_patch_body_requires_watched_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"]["/api/watchlist/{id}/"]["patch"]["requestBody"]
    reference = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert component["required"] == ["watched"]
    assert set(component["properties"]) == {"watched", "watched_at"}
    assert body["required"] is True


# --- The behaviour with every speed-up on and off, on a real server --------------------------

STOCK = {"FAST_REQUEST_THREADS": "0", "REDIS_SHARED_CLIENT": "0"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("speed_ups", [{}, STOCK], ids=["speed-ups-on", "stock-libraries"])
def test_the_api_answers_alike_with_the_speed_ups_on_and_off(speed_ups, user):
    movie = MovieFactory()
    signed_in = {"Authorization": f"Bearer {access_token_for(user)}"}
    with uvicorn_server(extra_env=speed_ups) as url, requests.Session() as session:
        assert session.get(f"{url}/api/health/", timeout=10).status_code == 200
        for _ in range(2):  # built, then cached
            listed = session.get(f"{url}/api/movies/", timeout=10)
            assert listed.status_code == 200
            assert [item["imdb_id"] for item in listed.json()["results"]] == [movie.imdb_id]

        missing = session.get(f"{url}/api/nothing-here/", timeout=10)
        assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
        assert missing.headers["X-Content-Type-Options"] == "nosniff"

        assert session.get(f"{url}/api/watchlist/", headers=signed_in, timeout=10).json()["count"] == 0
        added = session.post(
            f"{url}/api/watchlist/", json={"imdb_id": movie.imdb_id}, headers=signed_in, timeout=10
        )
        assert added.status_code == 201
        item_url = f"{url}/api/watchlist/{added.json()['id']}/"
        watched = session.patch(item_url, json={"watched": True}, headers=signed_in, timeout=10)
        assert watched.status_code == 200 and watched.json()["watched"] is True
        listed = session.get(f"{url}/api/watchlist/", headers=signed_in, timeout=10).json()
        assert [item["movie"]["imdb_id"] for item in listed["results"]] == [movie.imdb_id]
