"""PostgreSQL's pool lends only live connections, and asks the server only about one it has
spoken on (scrapbook/internals/psycopg_pool_check.py): after the server closed every
connection the pool held (as a restart does), the next requests are answered as before."""

import socket
import time

import psycopg
import pytest
import requests
from django.db import connection

from scrapbook.internals.psycopg_pool_check import check_connection_unless_quiet
from tests import servers
from tests.servers import uvicorn_server

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")


SERVER_APPLICATION_NAME = "scrapbook-pool-test"


def close_the_servers_connections() -> int:
    """What a restart does to the server's connections: PostgreSQL ends them (this test's
    own, and its process's pool, are left alone)."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            [SERVER_APPLICATION_NAME],
        ).fetchone()[0]


@pytest.mark.slow
@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quiet_check", ["1", "0"], ids=["quiet-check", "psycopg-pools-check"])
def test_requests_after_postgresql_closed_the_pools_connections_are_answered(quiet_check):
    named = f"?application_name={SERVER_APPLICATION_NAME}"
    settings = {
        "DATABASE_URL": servers.test_database_environment()["DATABASE_URL"] + named,
        "DATABASE_POOL_MAX_SIZE": "4",
        "PSYCOPG_POOL_QUIET_CHECK": quiet_check,
    }
    with uvicorn_server(workers=1, extra_env=settings) as base_url:
        for _ in range(3):
            assert requests.get(f"{base_url}/api/health/", timeout=10).json()["database"] == "ok"

        assert close_the_servers_connections() >= 2  # the pool keeps at least two
        time.sleep(0.2)  # the ended backends' goodbyes reach the server's sockets

        answers = [requests.get(f"{base_url}/api/health/", timeout=10) for _ in range(6)]
        assert [(answer.status_code, answer.json()["database"]) for answer in answers] == [(200, "ok")] * 6


class RecordingConnection:
    """What the check reads of a psycopg connection, over a socket the test controls."""

    closed = broken = False
    autocommit = True

    def __init__(self, sock):
        self.sock = sock
        self.queries = []

    def fileno(self):
        return self.sock.fileno()

    def execute(self, query):
        self.queries.append(query)


def test_a_quiet_connection_is_lent_without_a_query_and_one_the_server_spoke_on_is_asked():
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        lent = RecordingConnection(client_side)
        check_connection_unless_quiet(lent)
        assert lent.queries == []

        server_side.sendall(b"E")  # PostgreSQL's goodbye starts with an ErrorResponse
        check_connection_unless_quiet(lent)
        assert lent.queries == [""]

    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        broken = RecordingConnection(client_side)
        broken.broken = True  # psycopg saw the connection fail: asked, whatever the socket says
        check_connection_unless_quiet(broken)
        assert broken.queries == [""]


@on_postgresql
@pytest.mark.django_db
def test_a_connection_postgresql_ended_fails_the_check():
    params = connection.get_connection_params()
    with (
        psycopg.connect(**params, autocommit=True) as lent,
        psycopg.connect(**params, autocommit=True) as admin,
    ):
        check_connection_unless_quiet(lent)
        admin.execute("SELECT pg_terminate_backend(%s)", [lent.info.backend_pid])
        deadline = time.monotonic() + 5
        with pytest.raises(psycopg.OperationalError):  # once the backend has gone
            while time.monotonic() < deadline:
                check_connection_unless_quiet(lent)
                time.sleep(0.01)
