"""PostgreSQL's timestamps read by psycopg's C loader rather than by Django's Python one.

Django registers its own loader of `timestamptz` text on each psycopg connection: a subclass
of psycopg's pure-Python `TimestamptzLoader` that gives each value the connection's time
zone. It costs 4.6 µs a value on this machine, against 0.26 µs for psycopg's own loader from
its C implementation (psycopg-binary, which requirements.txt installs); a feed page reads
about sixty of them (docs/PERFORMANCE.md).

With USE_TZ and the database's time zone UTC (Django's default: no `TIME_ZONE` in the
database settings), Django keeps each session's TimeZone at UTC
(`DatabaseWrapper.ensure_timezone`, run before `connection_created`), and psycopg's loader
then gives the same values as Django's: aware datetimes whose tzinfo is
`datetime.timezone.utc`. So on each new connection (`connection_created`) the C loader is
registered in Django's place, wrapped in a Python loader carrying the `timezone` attribute
that Django reads (the C class cannot be subclassed).

Django's internals used here, and nowhere else (tests/test_library_internals.py pins them):

- `DatabaseWrapper.create_cursor` compares `timezone` of the connection's timestamptz text
  loader with its own `timezone`, and registers its loader again, per cursor, when they
  differ: the wrapper carries `timezone = datetime.timezone.utc`.

Written against Django 5.2.19 and psycopg 3.3.9 (`WRITTEN_AGAINST`). The stock behaviour,
with PSYCOPG_C_TIMESTAMPS=0, with another time zone, or without psycopg's C implementation:
Django's loader.
"""

import datetime
import functools

from django.conf import settings
from django.db.backends.signals import connection_created

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"Django": "5.2.19", "psycopg": "3.3.9"}


@functools.cache
def c_timestamptz_loader() -> type | None:
    """A loader of timestamptz text that runs psycopg's C loader, with the `timezone` that
    Django's `create_cursor` reads; None where psycopg runs without its C implementation."""
    from psycopg import postgres, pq
    from psycopg.types.datetime import TimestamptzLoader

    c_loader = postgres.adapters.get_loader(postgres.types["timestamptz"].oid, pq.Format.TEXT)
    if c_loader is None or c_loader.__module__.startswith("psycopg."):  # pure Python: no gain
        return None

    class UtcTimestamptzLoader(TimestamptzLoader):
        timezone = datetime.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            # The C loader's own method, which psycopg's C row loader then calls directly
            # (the C class cannot be subclassed).
            self.load = c_loader(oid, context).load

    return UtcTimestamptzLoader


def read_timestamps_in_c(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection in UTC, psycopg's C loader in place of Django's."""
    if connection.vendor != "postgresql" or connection.timezone != datetime.UTC:
        return
    loader = c_timestamptz_loader()
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


def install() -> None:
    if settings.PSYCOPG_C_TIMESTAMPS:
        connection_created.connect(read_timestamps_in_c, dispatch_uid="psycopg_c_timestamps")
