"""The PostgreSQL pool's check before it lends a connection: a round trip only when the
server has closed the connection, not one for every request.

With a pool and CONN_HEALTH_CHECKS (which Scrapbook's DATABASE_URL sets), Django creates
psycopg_pool's ConnectionPool with `check=ConnectionPool.check_connection`: an empty query,
one more round trip to PostgreSQL before each request's first query. A connection the
server has closed (a restart, `pg_terminate_backend`, an idle timeout) is told apart without
one: the server sends its goodbye (an error message, then end of file) before it closes,
so the socket has something to read, while a healthy idle connection has nothing. Only then
is psycopg_pool's own check run; it fails on such a connection, and the pool opens another.

Django 5.2 passes `check=` to the pool itself, so a `check` in `OPTIONS["pool"]` raises
TypeError (Django ticket #37075, fixed on Django's main branch, docs/UPSTREAM.md). Until
then, on each connection the pool lends (`connection_created`), its check is replaced once.

psycopg_pool's internals used here, and nowhere else (tests/test_library_internals.py
pins them):

- `ConnectionPool._check` holds the `check` callable the pool was created with, and
  `ConnectionPool._check_connection` calls it before each lend.

Written against Django 5.2.19 and psycopg-pool 3.3.3 (`WRITTEN_AGAINST`). The stock
behaviour, with PSYCOPG_POOL_QUIET_CHECK=0: psycopg_pool's check, a round trip a lend.
"""

import select

from django.conf import settings
from django.db.backends.signals import connection_created

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"Django": "5.2.19", "psycopg-pool": "3.3.3"}


def check_connection_unless_quiet(connection) -> None:
    """Raise if `connection` is not usable (the pool then discards it and tries another);
    ask the server only when it has spoken unasked."""
    from psycopg_pool import ConnectionPool

    if not (connection.closed or connection.broken):
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return
    ConnectionPool.check_connection(connection)  # raises on a closed or broken connection


def check_quietly(sender, connection, **kwargs) -> None:
    """On a connection from the PostgreSQL pool: the pool's check made quiet, once."""
    if connection.vendor != "postgresql" or connection.pool is None:
        return
    from psycopg_pool import ConnectionPool

    if connection.pool._check is ConnectionPool.check_connection:
        connection.pool._check = check_connection_unless_quiet


def install() -> None:
    if settings.PSYCOPG_POOL_QUIET_CHECK:
        connection_created.connect(check_quietly, dispatch_uid="psycopg_pool_quiet_check")
