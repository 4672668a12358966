"""The speed-ups that lean on libraries' private internals: every private name they use,
pinned against the installed libraries, with the versions they were written against; the
boundary modules as the only code that names them; and the behaviour the same with each
speed-up on and off (its setting at 0 gives back the library's stock behaviour).

When a test here fails after an upgrade, re-read the library's code behind the names the
boundary module's docstring lists, fix the boundary (or turn its setting off), then update
its WRITTEN_AGAINST. docs/ARCHITECTURE.md, "Library internals", lists the boundaries.
"""

import asyncio
import contextlib
import datetime
import hashlib
import importlib.metadata
import inspect
import json
import logging
import pickle
import re
import socket
import struct
import sys
import threading
import time
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from types import SimpleNamespace

import engineio
import psycopg
import pytest
import redis
import requests
import socketio
from asgiref.sync import SyncToAsync, ThreadSensitiveContext
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import connection
from django.db.models import Value
from django.db.models.query import ValuesIterable
from django.db.models.sql.compiler import SQLCompiler
from drf_spectacular.generators import SchemaGenerator
from engineio import packet as engineio_packet
from engineio.async_drivers import asgi as engineio_asgi
from engineio.async_socket import AsyncSocket
from socketio.async_pubsub_manager import AsyncPubSubManager
from uvicorn import _subprocess as uvicorn_subprocess
from uvicorn.config import Config as UvicornConfig
from uvicorn.supervisors import Multiprocess
from websockets import protocol as websockets_protocol
from websockets import server as websockets_server

from authentication.tests.factories import UserFactory
from chat.internals import socketio_broadcast, websocket_frames
from chat.tests.clients import connected, unique_room
from conftest import access_token_for
from movie_module.catalogue import selectors as catalogue
from movie_module.models import Activity, Follow, Movie
from movie_module.people import selectors as people
from movie_module.tests.factories import MovieFactory, ReviewFactory, WatchFactory, WatchlistItemFactory
from movie_module.tracking import selectors as tracking
from scrapbook.internals import (
    django_asgi_handler,
    django_compiled_queries,
    django_redis_cache,
    psycopg_pool_check,
    psycopg_timestamps,
    request_cycles,
    uvicorn_reuse_port,
)
from tests.servers import uvicorn_server
from tests.test_redis_outage import private_redis  # noqa: F401 (a fixture)

BASE_DIR = Path(__file__).resolve().parent.parent

BOUNDARIES = [
    django_asgi_handler,
    django_redis_cache,
    django_compiled_queries,
    psycopg_timestamps,
    psycopg_pool_check,
    request_cycles,
    uvicorn_reuse_port,
    socketio_broadcast,
    websocket_frames,
]

# Each private name, and the one module allowed to name it (tests aside).
PRIVATE_NAMES = {
    r"\._middleware_chain\b": "scrapbook/internals/django_asgi_handler.py",
    r"\._resource_closers\b": "scrapbook/internals/django_asgi_handler.py",
    r"\bresponse\._handler_class\b": "scrapbook/internals/django_asgi_handler.py",
    r"\._class\s*=": "scrapbook/internals/django_redis_cache.py",
    r"\._servers\b": "scrapbook/internals/django_redis_cache.py",
    r"\._pool_options\b": "scrapbook/internals/django_redis_cache.py",
    r"\._pool_class\b": "scrapbook/internals/django_redis_cache.py",
    r"\._get_connection_pool_index\b": "scrapbook/internals/django_redis_cache.py",
    r"\._connect\(": "scrapbook/internals/django_redis_cache.py",
    r"\.get_compiler\(": "scrapbook/internals/django_compiled_queries.py",
    r"\.as_sql\(\)": "scrapbook/internals/django_compiled_queries.py",
    r"\.col_count\b": "scrapbook/internals/django_compiled_queries.py",
    r"\.values_select\b": "scrapbook/internals/django_compiled_queries.py",
    r"\.annotation_select\b": "scrapbook/internals/django_compiled_queries.py",
    r"\bget_db_converters\(": "scrapbook/internals/django_compiled_queries.py",
    r"\bServerBindingCursor\b": "scrapbook/internals/django_compiled_queries.py",
    r"\.prepare_threshold\b": "scrapbook/internals/django_compiled_queries.py",
    r"\._check\b": "scrapbook/internals/psycopg_pool_check.py",
    r"\"_messages\"": "scrapbook/internals/request_cycles.py",
    r"\.renderer_context\b": "scrapbook/internals/request_cycles.py",
    r"\.parser_context\b": "scrapbook/internals/request_cycles.py",
    r"\bConfig\.bind_socket\b": "scrapbook/internals/uvicorn_reuse_port.py",
    r"\.packet_class\b": "chat/internals/socketio_broadcast.py",
    r"\.host_id\b": "chat/internals/socketio_broadcast.py",
    r"\"skip_sid\": None": "chat/internals/socketio_broadcast.py",  # the hand-built pub/sub message
    r"\._async\b": "chat/internals/websocket_frames.py",
    r"\.sockets\.get\(": "chat/internals/websocket_frames.py",
    r"\.handshake_complete\b": "chat/internals/websocket_frames.py",
    r"\.close_sent\b": "chat/internals/websocket_frames.py",
    r"\.expect_continuation_frame\b": "chat/internals/websocket_frames.py",
    r"\.writable\.is_set\b": "chat/internals/websocket_frames.py",
    r"\.last_ping\b": "chat/internals/websocket_frames.py",
    # Not a speed-up: refusing malformed packets (python-socketio 5.18; pinned below too).
    r"\._handle_eio_message\b": "chat/packets.py",
    # Replaced by supported APIs; no module may come back to them.
    r"\._map_serializer\b": None,
    r"\._has_been_logged\b": None,
    r"\._redis_connect\b": None,
    r"\._handle_emit\b": None,
    r"\.eio\.sockets\b": None,
    r"\.queue\.put_nowait\b": None,
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


# Django's code that SyncChainASGIHandler.handle and ._respond copy, as it was when copied
# (Django 5.2.19): a change in any of them means re-reading it and copying it again.
COPIED_FROM_DJANGO = {
    ASGIHandler.handle: "98faeb5bef800331",
    ASGIHandler.run_get_response: "0234ea5fe09a5777",
    BaseHandler.get_response: "3d6a79b124c2cccb",
}


@pytest.mark.parametrize("function", COPIED_FROM_DJANGO, ids=lambda function: function.__qualname__)
def test_the_django_code_the_fast_handler_copies_is_the_code_it_copied(function):
    source = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
    assert source == COPIED_FROM_DJANGO[function], (
        f"Django's {function.__qualname__} changed: copy it again into "
        "scrapbook/internals/django_asgi_handler.py (SyncChainASGIHandler.handle, ._respond)"
    )


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


def test_redis_connections_connect_in_connect_which_sets_the_socket_timeout_and_returns_the_socket():
    source = inspect.getsource(redis.Connection._connect)
    assert "sock.settimeout(self.socket_timeout)" in source
    assert "return sock" in source
    assert "sock = self._connect()" in inspect.getsource(
        redis.connection.AbstractConnection.connect_check_health
    )
    assert redis.Connection(socket_timeout=0.5).socket_timeout == 0.5


@pytest.mark.parametrize("value", [0, 7, 2**62 - 1, -3])
def test_redis_cache_stores_an_int_as_its_decimal_digits_which_stored_answers_compare(private_redis, value):  # noqa: F811
    # scrapbook/stored_answers.py compares generation tokens inside Redis (a Lua script).
    cache = RedisCache(private_redis.url, {})
    cache.set("token", value)
    raw = redis.Redis.from_url(private_redis.url).get(cache.make_key("token"))
    assert raw == django_redis_cache.raw_redis_value(value) == str(value).encode()
    assert cache.get("token") == value
    assert django_redis_cache.raw_redis_value(True) is None  # a bool is pickled
    assert django_redis_cache.raw_redis_value("7") is None


@contextlib.contextmanager
def fake_redis(*, answers: bool):
    """A TCP server on a free port that answers every command with a nil (`answers`) or
    accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection)
            if answers:
                threading.Thread(target=answer_nil, args=(connection,), daemon=True).start()

    def answer_nil(connection):
        # Each command (an array of bulk strings): to redis-py's greeting, RESP3 and OK; to the
        # rest, a nil.
        with contextlib.suppress(OSError), connection.makefile("rb") as commands:
            while header := commands.readline():
                words = []
                for _ in range(int(header[1:])):
                    length = int(commands.readline()[1:])
                    words.append(commands.read(length + 2)[:-2])
                command = words[0].upper()
                if command == b"HELLO":
                    connection.sendall(b"%1\r\n$5\r\nproto\r\n:3\r\n")
                else:
                    connection.sendall(b"+OK\r\n" if command == b"CLIENT" else b"_\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        server.close()
        for connection in accepted:
            connection.close()


@pytest.mark.parametrize("kernel", [True, False], ids=["kernel-timeouts", "stock"])
def test_the_cache_socket_blocks_with_its_timeout_kept_by_the_kernel_only_with_the_setting(settings, kernel):
    from scrapbook.cache import ResilientRedisCache

    settings.REDIS_SHARED_CLIENT = True
    settings.REDIS_KERNEL_TIMEOUTS = kernel
    with fake_redis(answers=True) as url:
        cache = ResilientRedisCache(url, {"OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 1}})
        assert cache.get("anything", "default") == "default"  # a nil: a miss
        pool = cache._cache.get_client().connection_pool
        connection = pool.get_connection()
        try:
            expected = django_redis_cache.KernelTimeoutConnection if kernel else redis.Connection
            assert type(connection) is expected
            sock = connection._sock
            expected_seconds = 0.25 if kernel else 0  # 0: no timeout in the kernel
            for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
                whole, micro = struct.unpack("@ll", sock.getsockopt(socket.SOL_SOCKET, option, 16))
                assert whole + micro / 1e6 == pytest.approx(expected_seconds, abs=0.02)  # in ticks
            assert sock.gettimeout() == (None if kernel else 0.25)
        finally:
            pool.release(connection)
            pool.disconnect()


@pytest.mark.timeout(30)  # without a working timeout, the read would wait forever
@pytest.mark.parametrize("kernel", [True, False], ids=["kernel-timeouts", "stock"])
def test_a_redis_that_never_answers_costs_the_timeout_then_the_cache_degrades(settings, kernel, caplog):
    from scrapbook.cache import ResilientRedisCache

    settings.REDIS_SHARED_CLIENT = True
    settings.REDIS_KERNEL_TIMEOUTS = kernel
    with fake_redis(answers=False) as url:
        cache = ResilientRedisCache(url, {"OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 1}})
        started = time.monotonic()
        assert cache.get("anything", "default") == "default"
        waited = time.monotonic() - started
        cache._cache.get_client().connection_pool.disconnect()
    assert 0.2 < waited < 5
    assert "Redis cache unreachable" in caplog.text


# --- Django's SQL compiler (scrapbook/internals/django_compiled_queries.py) ------------------


@pytest.mark.django_db
def test_django_compiles_a_values_query_into_sql_parameters_and_selected_expressions():
    queryset = Movie.objects.filter(id__in=[7001, 7002]).values("id", "title", shown=Value(1))
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    assert 7001 in params and 7002 in params and "7001" not in sql
    assert compiler.col_count == 3
    assert [type(selected[0]).__name__ for selected in compiler.select[: compiler.col_count]][-1] == "Value"
    names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select]
    assert names[:2] == ["id", "title"] and "shown" in [*names, *query.annotation_select]
    # As Django reads a values() row: its converters, then its names.
    assert "self.select[0 : self.col_count]" in inspect.getsource(SQLCompiler.results_iter)
    converters_source = inspect.getsource(SQLCompiler.get_converters)
    assert "self.connection.ops.get_db_converters(expression)" in converters_source
    assert "expression.get_db_converters(self.connection)" in converters_source
    assert "query.selected" in inspect.getsource(ValuesIterable.__iter__)


def test_django_leaves_psycopg_preparing_off_and_names_its_server_binding_cursor():
    from django.db.backends.postgresql import base as postgresql

    assert issubclass(postgresql.ServerBindingCursor, psycopg.Cursor)
    source = inspect.getsource(postgresql.DatabaseWrapper.get_connection_params)
    assert 'conn_params["prepare_threshold"] = conn_params.pop(' in source
    assert '"prepare_threshold", None' in source
    assert isinstance(inspect.getattr_static(psycopg.Connection, "prepare_threshold"), property)


def feed_world():
    viewer, author = UserFactory(), UserFactory()
    Follow.objects.create(follower=viewer, followed=author)
    for movie in MovieFactory.create_batch(3, genres=["Crime", "Drama"]):
        review = ReviewFactory(user=author, movie=movie)
        Activity.objects.create(user=author, kind="review", review=review)
        watch = WatchFactory(user=author, movie=movie)
        Activity.objects.create(user=author, kind="watch", watch=watch)
    return viewer, author


@pytest.mark.django_db
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "stock"])
def test_compiled_queries_read_the_rows_django_reads(settings, compiled):
    settings.COMPILED_QUERIES = compiled
    viewer, author = feed_world()
    second_newest = Activity.objects.order_by("-id").values_list("id", flat=True)[1]

    def feed_by_django(**before):
        return list(people._feed_page(viewer_id=viewer.pk, limit=4, **before))

    for _ in range(3):  # compiled, then run again (prepared, on PostgreSQL)
        assert people.feed(viewer=viewer, before=None, limit=4) == feed_by_django()
        assert people.feed(viewer=viewer, before=second_newest, limit=4) == feed_by_django(
            before=second_newest
        )
        assert people.profile(user_id=author.pk).stats.top_genres == [
            {"name": "Crime", "count": 3},
            {"name": "Drama", "count": 3},
        ]
        ids = list(Movie.objects.values_list("id", flat=True))
        assert catalogue.genre_names_of(ids) == {movie_id: ["Crime", "Drama"] for movie_id in ids}
        every = list(catalogue.summary_rows(catalogue.movie_list()))
        catalogue_pages = catalogue.whole_catalogue()
        assert catalogue_pages.count() == len(every) == 3
        for start, stop in [(0, 2), (1, 3), (2, 3), (0, 3)]:  # pages of one SQL, the window as parameters
            assert catalogue_pages[start:stop] == every[start:stop]
        assert catalogue.genre_names_of(ids[:1]) == {ids[0]: ["Crime", "Drama"]}


@pytest.mark.django_db
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "stock"])
def test_a_page_built_inside_its_query_reads_its_rows_and_the_lists_length_in_one_query(
    settings, compiled, django_assert_num_queries
):
    settings.COMPILED_QUERIES = compiled
    owner, other = UserFactory(), UserFactory()
    for movie in MovieFactory.create_batch(5, genres=["Drama", "Crime"]):
        WatchlistItemFactory(user=owner, movie=movie)
        WatchlistItemFactory(user=other, movie=movie)
    every = list(tracking.watchlist_rows(tracking.user_watchlist(user=owner)))
    assert len(every) == 5 and all(row["movie__genre_names"] == ["Crime", "Drama"] for row in every)
    for _ in range(2):  # compiled, then run again (prepared, on PostgreSQL)
        # The owner's id is a parameter before the window (the page's ids) and after it.
        for start, stop in [(0, 2), (2, 4), (4, 5), (1, 5), (0, 5)]:
            pages = tracking.whole_watchlist(user=owner)
            with django_assert_num_queries(1):
                pages.read_ahead((start, stop - start))
                assert pages.count() == 5
                assert pages[start:stop] == every[start:stop]
        past_the_end = tracking.whole_watchlist(user=other)
        with django_assert_num_queries(2):  # no row to hold the length: counted apart
            past_the_end.read_ahead((10, 5))
            assert past_the_end.count() == 5


@pytest.mark.django_db
def test_a_parameter_django_transforms_cannot_be_compiled():
    by_title = django_compiled_queries.CompiledQuery(
        lambda *, words: Movie.objects.filter(title__icontains=words).values("id")
    )
    with pytest.raises(TypeError, match="words"):
        by_title.rows(values={"words": "matrix"})


# --- Django's timestamp loader (scrapbook/internals/psycopg_timestamps.py) -------------------


def test_django_registers_its_timestamp_loader_again_only_for_another_time_zone():
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.postgresql.base import DatabaseWrapper

    create_cursor = inspect.getsource(DatabaseWrapper.create_cursor)
    assert "tzloader = self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)" in create_cursor
    assert "if self.timezone != tzloader.timezone:" in create_cursor
    # The session's time zone is set before `connection_created` is sent.
    connect = inspect.getsource(BaseDatabaseWrapper.connect)
    assert connect.index("self.init_connection_state()") < connect.index("connection_created.send(")


@pytest.mark.django_db
def test_timestamps_read_by_psycopgs_c_loader_are_those_djangos_loader_reads():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's timestamps: the PostgreSQL pass runs this")
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg import postgres, pq

    connection.ensure_connection()
    timestamptz = postgres.types["timestamptz"].oid
    ours = psycopg_timestamps.c_timestamptz_loader()
    assert ours is not None  # psycopg-binary is installed
    assert connection.connection.adapters.get_loader(timestamptz, pq.Format.TEXT) is ours
    sql = (
        "SELECT '2026-11-30 12:34:56.123456+05'::timestamptz, '1999-12-31 23:59:59-08:30'::timestamptz,"
        " '2024-02-29 00:00:00.000001+00'::timestamptz, NULL::timestamptz"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        read_in_c = cursor.fetchone()
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own, on this cursor
        assert not isinstance(
            cursor.cursor.adapters.get_loader(timestamptz, pq.Format.TEXT)(timestamptz), ours
        )
        cursor.execute(sql)
        read_by_django = cursor.fetchone()
    assert read_in_c == read_by_django
    assert read_in_c[0] == datetime.datetime(2026, 11, 30, 7, 34, 56, 123456, tzinfo=datetime.UTC)
    assert [value.tzinfo for value in read_in_c[:3]] == [datetime.UTC] * 3
    assert [value.isoformat() for value in read_in_c[:3]] == [
        value.isoformat() for value in read_by_django[:3]
    ]


# --- The PostgreSQL pool's check (scrapbook/internals/psycopg_pool_check.py) -----------------


def test_django_creates_the_pool_with_psycopg_pools_check_which_it_keeps_and_calls_before_a_lend():
    from django.db.backends.postgresql.base import DatabaseWrapper
    from psycopg_pool import ConnectionPool

    assert "check=ConnectionPool.check_connection if enable_checks else None," in inspect.getsource(
        DatabaseWrapper.pool.fget
    )
    checked = []
    pool = ConnectionPool("", open=False, check=checked.append)
    assert pool._check == checked.append
    pool._check_connection("a connection")  # what the pool does before each lend
    assert checked == ["a connection"]
    assert "self._check_connection(conn)" in inspect.getsource(ConnectionPool._getconn_with_check_loop)


@pytest.mark.django_db
def test_the_pool_lends_connections_with_the_quiet_check():
    if connection.vendor != "postgresql" or connection.pool is None:
        pytest.skip("PostgreSQL's pool: the PostgreSQL pass runs this")
    connection.ensure_connection()
    assert connection.pool._check is psycopg_pool_check.check_connection_unless_quiet


# --- python-socketio and python-engineio (chat/internals/socketio_broadcast.py) -------------

ROOM = "movie:tt0133093"


def test_python_socketio_delivers_an_emit_through_the_managers_emit():
    parameters = inspect.signature(socketio.AsyncManager.emit).parameters
    assert list(parameters) == [
        "self", "event", "data", "namespace", "room", "skip_sid", "callback", "to", "kwargs",
    ]  # fmt: skip
    # A pub/sub manager delivers to its own clients by the next emit in the method order.
    assert "await super().emit(" in inspect.getsource(AsyncPubSubManager._handle_emit)
    assert "return await super().emit(" in inspect.getsource(AsyncPubSubManager.emit)


def test_the_socketio_server_exposes_its_serializer_its_engineio_server_and_participants():
    server = socketio.AsyncServer(async_mode="asgi", client_manager=socketio.AsyncManager())
    assert server.packet_class is socketio.packet.Packet
    assert isinstance(server.eio, engineio.AsyncServer)
    assert list(inspect.signature(engineio.AsyncServer.send_packet).parameters) == ["self", "sid", "pkt"]
    server.manager.basic_enter_room("sid-1", "/", None, eio_sid="eio-1")
    server.manager.basic_enter_room("sid-1", "/", ROOM)
    assert "/" in server.manager.rooms
    assert list(server.manager.get_participants("/", ROOM)) == [("sid-1", "eio-1")]


def test_engineio_queues_a_sent_packet_without_waiting_for_the_client():
    engine = engineio.AsyncServer(async_mode="asgi")

    async def sent_without_suspending() -> bool:
        socket = AsyncSocket(engine, "eio-1")
        engine.sockets["eio-1"] = socket
        assert socket.queue.maxsize == 0  # unbounded: a slow client never blocks a put
        sending = engine.send_packet("eio-1", engineio_packet.Packet(engineio_packet.MESSAGE, "2[]"))
        try:
            sending.send(None)
        except StopIteration:
            return socket.queue.qsize() == 1
        sending.close()
        return False

    assert asyncio.run(sent_without_suspending())


def pubsub_manager(host_id: str | None = None) -> socketio.AsyncRedisManager:
    manager = socketio.AsyncRedisManager(REDIS_NOWHERE, channel="scrapbook-pins", write_only=True)
    if host_id is not None:
        manager.host_id = host_id
    return manager


def test_the_hand_built_pubsub_message_is_the_one_python_socketio_publishes():
    manager = pubsub_manager()
    published = []

    async def publish(message):
        published.append(message)

    async def deliver_here(message):
        pass

    manager._publish, manager._handle_emit = publish, deliver_here
    data = {"id": 7, "room": ROOM, "text": "hi", "user": {"id": 1, "username": "alice"}}
    asyncio.run(manager.emit("message", data, namespace="/", room=ROOM))
    publication = socketio_broadcast.pubsub_emit_publication(manager, "message", data, room=ROOM)
    assert json.loads(publication.payload) == published[0]
    assert publication.channel == manager.channel
    # ... and python-socketio writes it to Redis as this: its JSON, on its channel.
    publish_source = inspect.getsource(socketio.AsyncRedisManager._publish)
    assert re.search(r"publish\(\s*self\.channel,\s*self\.json\.dumps\(data\)\)", publish_source)


def test_every_other_host_delivers_the_hand_built_message_to_its_room(monkeypatch):
    publisher = pubsub_manager()
    data = {"id": 7, "room": ROOM, "text": "hi"}
    publication = socketio_broadcast.pubsub_emit_publication(publisher, "message", data, room=ROOM)
    delivered = []

    async def local_emit(
        self, event, data, namespace=None, room=None, skip_sid=None, callback=None, **kwargs
    ):
        delivered.append((self.host_id, event, data, namespace, room, skip_sid, callback))

    monkeypatch.setattr(socketio.AsyncManager, "emit", local_emit)

    def listening(host_id):
        manager = pubsub_manager(host_id)
        manager.server = SimpleNamespace(logger=logging.getLogger("tests.pubsub"))

        async def listen():
            yield publication.payload.encode()  # as Redis hands it over

        manager._listen = listen
        return manager

    for host in (listening("another-host"), listening(publisher.host_id)):
        asyncio.run(host._thread())  # returns once listen() is exhausted
    assert delivered == [("another-host", "message", data, "/", ROOM, None, None)]


def test_python_socketio_hands_each_engineio_message_to_handle_eio_message():
    """Not a speed-up: chat.packets.ChatServer overrides it to refuse malformed packets."""
    server = socketio.AsyncServer(async_mode="asgi")
    assert server.eio.handlers["message"] == server._handle_eio_message
    assert list(inspect.signature(socketio.AsyncServer._handle_eio_message).parameters) == [
        "self", "eio_sid", "data",
    ]  # fmt: skip


# --- python-engineio, uvicorn and websockets (chat/internals/websocket_frames.py) -----------


def test_engineio_serves_a_websocket_with_its_asgi_drivers_class_called_with_the_sockets_handler():
    server = engineio.AsyncServer(async_mode="asgi")
    assert server._async["websocket"] is engineio_asgi.WebSocket
    upgrade = inspect.getsource(AsyncSocket._upgrade_websocket)
    assert (
        "self.server._async['websocket'](" in upgrade and "self._websocket_handler, self.server)" in upgrade
    )
    call = inspect.getsource(engineio_asgi.WebSocket.__call__)
    assert "self.asgi_send = environ['asgi.send']" in call
    assert "await self.asgi_send({'type': 'websocket.send'" in inspect.getsource(engineio_asgi.WebSocket.send)
    # The writer takes what poll() returns and sends each packet with ws.send, nothing between.
    handler = inspect.getsource(AsyncSocket._websocket_handler)
    assert "packets = await self.poll()" in handler
    assert "for pkt in packets:\n                        await ws.send(pkt.encode())" in handler
    socket = AsyncSocket(server, "eio-1")
    assert isinstance(socket.queue, asyncio.Queue) and socket.queue.maxsize == 0
    assert (socket.upgraded, socket.upgrading, socket.closing, socket.closed) == (False, False, False, False)
    assert isinstance(socket.last_ping, float)  # when the last ping was sent (time.time())


async def polled(poll, queued: list, *, timeout: float = 0.05):
    """What `poll` returns, or the exception it raises, for a socket holding `queued`."""
    engine = engineio.AsyncServer(async_mode="asgi", ping_interval=timeout, ping_timeout=0)
    engine.ping_interval, engine.ping_timeout = timeout, 0
    socket = AsyncSocket(engine, "eio-1")
    for item in queued:
        socket.queue.put_nowait(item)
    try:
        packets = await poll(socket)
    except engineio.exceptions.QueueEmpty:
        return "QueueEmpty", socket.queue.qsize()
    return [packet if packet is None else packet.data for packet in packets], socket.queue.qsize()


@pytest.mark.parametrize(
    "queued",
    [["a"], ["a", "b", "c"], [None], ["a", None, "b"], ["a", "b", None], []],
    ids=["one", "several", "stop", "stop-between", "stop-last", "empty-times-out"],
)
def test_the_writers_poll_in_its_own_task_returns_what_engineios_poll_returns(queued):
    packets = [
        item if item is None else engineio_packet.Packet(engineio_packet.MESSAGE, item) for item in queued
    ]
    stock = asyncio.run(polled(AsyncSocket.poll, packets))
    ours = asyncio.run(polled(websocket_frames.poll_in_own_task, packets))
    assert ours == stock


@pytest.mark.parametrize("size", [5, 125, 126, 65535, 65536], ids=lambda size: f"{size}-bytes")
def test_the_broadcast_frame_is_what_websockets_writes_for_the_text(size):
    text = ("4" + "☃" * size)[:size] if size > 3 else "4hi"
    connection = websockets_server.ServerProtocol()
    connection.state = websockets_protocol.State.OPEN
    connection.send_text(text.encode())
    assert connection.data_to_send() == [websocket_frames.broadcast_frame(text)]
    assert connection.extensions == [] and connection.expect_continuation_frame is False


def test_uvicorns_default_websocket_protocol_writes_each_send_at_once_under_flow_control():
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    assert AutoWebSocketsProtocol is WebSocketsSansIOProtocol is websocket_frames.WebSocketsSansIOProtocol
    send = inspect.getsource(WebSocketsSansIOProtocol.send)
    assert send.index("await self.writable.wait()") < send.index("self.conn.send_text(text_data.encode())")
    assert "output = self.conn.data_to_send()\n                    self.transport.write(" in send
    init = inspect.getsource(WebSocketsSansIOProtocol.__init__)
    for attribute in (
        "self.disconnected = False",
        "self.close_sent = False",
        "self.writable = asyncio.Event()",
    ):
        assert attribute in init
    assert "self.handshake_complete = True" in send


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


# --- uvicorn's listening socket (scrapbook/internals/uvicorn_reuse_port.py) ----------------


def test_uvicorn_binds_one_socket_in_the_supervisor_which_multiprocess_hands_to_each_worker():
    uvicorn_main = sys.modules["uvicorn.main"]  # the package's `main` is the click command
    run = inspect.getsource(uvicorn_main.run)
    assert "sock = config.bind_socket()\n            Multiprocess(config, sockets=[sock]).run()" in run
    assert "Process(self.config, self.sockets)" in inspect.getsource(Multiprocess.init_processes)
    assert ".listen(" not in inspect.getsource(Multiprocess)  # the supervisor never listens
    spawned = inspect.getsource(uvicorn_subprocess.get_subprocess)
    assert '"sockets": sockets' in spawned and "spawn.Process(" in spawned
    assert uvicorn_subprocess.spawn.get_start_method() == "spawn"


def test_the_supervisors_socket_pickled_to_a_worker_is_a_socket_of_its_own_at_the_same_address():
    stock = socket.socket()
    stock.bind(("127.0.0.1", 0))
    supervisors = uvicorn_reuse_port.per_worker(stock)
    workers = pickle.loads(ForkingPickler.dumps(supervisors))  # as multiprocessing's spawn sends it
    try:
        assert type(workers) is socket.socket
        assert workers.fileno() != supervisors.fileno()
        assert workers.getsockname() == supervisors.getsockname()
        assert workers.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        workers.listen()
        with socket.create_connection(supervisors.getsockname(), timeout=5):
            workers.accept()[0].close()
    finally:
        supervisors.close()
        workers.close()


def test_uvicorns_config_binds_tcp_with_bind_socket():
    config = UvicornConfig("scrapbook.asgi:application", host="127.0.0.1", port=0, workers=2)
    sock = UvicornConfig.bind_socket(config)
    try:
        assert sock.family == socket.AF_INET and sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


# --- The behaviour with every speed-up on and off, on a real server --------------------------

STOCK = {
    "FAST_REQUEST_THREADS": "0",
    "REDIS_SHARED_CLIENT": "0",
    "SOCKETIO_FAST_BROADCAST": "0",
    "SOCKETIO_PREFRAMED_BROADCAST": "0",
    "COMPILED_QUERIES": "0",
    "PSYCOPG_C_TIMESTAMPS": "0",
    "PSYCOPG_POOL_QUIET_CHECK": "0",
    "SERVE_REUSE_PORT": "0",
    "BREAK_REQUEST_CYCLES": "0",
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("speed_ups", [{}, STOCK], ids=["speed-ups-on", "stock-libraries"])
def test_the_api_and_the_chat_answer_alike_with_the_speed_ups_on_and_off(speed_ups, user, other_user):
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

        tokens = [access_token_for(user), access_token_for(user), access_token_for(other_user)]
        asyncio.run(three_clients_in_a_room_all_get_each_message(url, tokens))


async def three_clients_in_a_room_all_get_each_message(url: str, tokens: list[str]) -> None:
    """Two tabs of one user and another user, in one room: each gets every message, one
    without a client_id (a plain broadcast) and one with (emit_once, with Redis)."""
    room = unique_room()
    async with (
        connected(url, tokens[0]) as first,
        connected(url, tokens[1]) as second,
        connected(url, tokens[2], transports=None) as third,  # long-polling, then upgraded
    ):
        clients = [first, second, third]
        for client in clients:
            assert (await client.call("join", {"room": room}))["ok"] is True
        sent = await third.call("message", {"room": room, "text": "plain broadcast"})
        assert sent["ok"] is True
        sent_once = await first.call("message", {"room": room, "text": "sent once", "client_id": "c-1"})
        assert sent_once["ok"] is True
        for client in clients:
            await client.message("plain broadcast")
            await client.message("sent once")
            assert client.texts(room) == ["plain broadcast", "sent once"]
