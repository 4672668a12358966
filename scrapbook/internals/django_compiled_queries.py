"""Read queries whose SQL Django compiles once per process, then runs with each call's values.

Django builds a queryset's SQL anew on every evaluation: resolving its filters, joins and
subqueries cost more CPU than running them for the feed (seven joins, four correlated
subqueries: about 3 ms of a 7 ms request) and the profile (docs/PERFORMANCE.md, "The feed
and the profile"). A `CompiledQuery` builds its queryset once per database connection and
shape, with placeholder values for its parameters, keeps the SQL and where each parameter
goes in it, and from then on runs that SQL with the call's values, converting each column
as Django would (`QuerySet.values()` rows, dicts by the same names).

Django's internals used here, and nowhere else (tests/test_library_internals.py pins them):

- `Query.get_compiler(using)`, `SQLCompiler.as_sql()`: the SQL and its parameters, as
  `QuerySet.__iter__` gets them (through `SQLCompiler.execute_sql`);
- `SQLCompiler.select` and `SQLCompiler.col_count`, set by `as_sql()`: the selected
  expressions, whose converters (`DatabaseOperations.get_db_converters(expression)` and
  `Expression.get_db_converters(connection)`) are applied to each value as
  `SQLCompiler.get_converters` / `apply_converters` do;
- `Query.selected`, or `Query.extra_select`, `values_select` and `annotation_select`: the
  names of a row's columns, as `ValuesIterable` reads them;
- on PostgreSQL, `django.db.backends.postgresql.base.ServerBindingCursor` (the cursor class
  of the `server_side_binding` option), set as the psycopg connection's `cursor_factory` for
  the one cursor that runs the query, with the psycopg connection's `prepare_threshold` at
  0 meanwhile (Django leaves it None: never prepare), through `DatabaseWrapper.connection`:
  psycopg then prepares the query on its first run on the connection, so that PostgreSQL
  plans it once per connection (after five custom plans, a generic one when it costs no more).

Parameters are found by placeholder: the queryset is built once with a distinct integer or
string for each, and each must come back among the compiled SQL's parameters, unchanged and
not written into the SQL itself; otherwise compiling raises TypeError (a lookup that
transforms its value, such as `__contains`, cannot be a parameter here: make it part of the
shape). A window (a page: OFFSET and LIMIT) is sent as two parameters, in place of the
numbers Django writes for a slice (found once in the SQL, or TypeError), so that every page
of a list runs one SQL: at the SQL's end for a query the window slices, or where the build
function put it, for one that slices an inner query itself (`builds_its_page`).

Written against Django 5.2.19 (`WRITTEN_AGAINST`). The stock behaviour, with
COMPILED_QUERIES=0: the queryset is built with the call's values and evaluated by Django.
"""

import re
import threading
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.db.models import QuerySet

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"Django": "5.2.19"}

# Far from any id or count a query compares with, and within a 32-bit integer column's range
# (Django drops a comparison with a value out of its column's range).
_INTEGER_PLACEHOLDERS = 1_987_654_321
# A window's placeholders, found in the SQL where Django writes a slice.
_OFFSET_PLACEHOLDER = 1_876_543_210
_LIMIT_PLACEHOLDER = 1_765_432


def _placeholder(position: int, value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(
            f"A compiled query's parameter is an int, a str or a list of them, not {value!r}: "
            "make it part of the shape."
        )
    if isinstance(value, int):
        return _INTEGER_PLACEHOLDERS - position
    return f"\ue000compiled-parameter-{position}\ue000"


def _placeholders(values: dict) -> dict:
    """A distinct placeholder for each parameter; a list of them for a list (`id__in`)."""
    placeholders, position = {}, 0
    for name, value in values.items():
        if isinstance(value, list):
            placeholders[name] = [_placeholder(position + index, item) for index, item in enumerate(value)]
            position += len(value)
        else:
            placeholders[name] = _placeholder(position, value)
            position += 1
    return placeholders


def _values_shape(values: dict) -> tuple:
    """What of `values` the SQL depends on: their names, and the length of each list."""
    return tuple(
        sorted((name, len(value) if isinstance(value, list) else None) for name, value in values.items())
    )


# Django's slice, as it writes it into the SQL with the window's placeholders.
_WRITTEN_WINDOW = f"LIMIT {_LIMIT_PLACEHOLDER} OFFSET {_OFFSET_PLACEHOLDER}"
# A parameter's place in SQL: %s, not an escaped % (%%) followed by an s.
_PARAMETER = re.compile(r"%%|%s")


@dataclass(frozen=True)
class _CompiledSql:
    sql: str
    # Per SQL parameter: ("value", (name, index in its list or None)), ("constant", value),
    # or ("window", 0 for the LIMIT, 1 for the OFFSET).
    slots: tuple
    names: tuple[str, ...]  # a row's keys
    expressions: tuple  # a row's expressions, whose converters apply to its values

    def run(self, connection, values: dict, converters: list, window: tuple | None = None) -> list[dict]:
        limit_offset = (window[1], window[0]) if window is not None else ()
        params = [
            slot
            if kind == "constant"
            else limit_offset[slot]
            if kind == "window"
            else values[slot[0]]
            if slot[1] is None
            else values[slot[0]][slot[1]]
            for kind, slot in self.slots
        ]
        with _cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        names = self.names
        if not converters:
            return [dict(zip(names, row, strict=True)) for row in rows]
        shown = []
        for row in rows:
            row = list(row)
            for position, functions, expression in converters:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
            shown.append(dict(zip(names, row, strict=True)))
        return shown


@contextmanager
def _cursor(connection):
    """A cursor of `connection`. On PostgreSQL, one that sends its parameters apart from the
    SQL and has psycopg prepare the query on the connection, so that PostgreSQL plans it
    once, not on every run (the feed's joins took 10 ms to plan, 1 to run)."""
    # A cursor that logs its queries (DEBUG, a test counting them) would log a prepared
    # statement's SQL as None: that one binds on the client, as Django's own do.
    if connection.vendor != "postgresql" or not is_psycopg3 or connection.queries_logged:
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    usual = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, 0  # prepared on first use
    try:
        with connection.cursor() as cursor:  # Django's own wrapping and time zone, this class
            yield cursor
    finally:
        raw.cursor_factory, raw.prepare_threshold = usual


def _window_slots(sql: str) -> tuple[str, int]:
    """`sql` with the window, written by Django as the placeholders' numbers, made two
    parameters; and how many parameters come before them."""
    if sql.count(_WRITTEN_WINDOW) != 1:
        raise TypeError("A compiled query's window must be written once in its SQL, as Django slices.")
    before, after = sql.split(_WRITTEN_WINDOW)
    position = sum(1 for found in _PARAMETER.findall(before) if found == "%s")
    return f"{before}LIMIT %s OFFSET %s{after}", position


def _compile(queryset: QuerySet, placeholders: dict, connection, *, windowed: bool) -> _CompiledSql | None:
    """The queryset's SQL with its placeholders located; None when it can have no rows.
    `windowed`: the queryset, or a query within it, was sliced with the window's
    placeholders, whose LIMIT and OFFSET become parameters."""
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    window_position = None
    if windowed:
        sql, window_position = _window_slots(sql)
    where = {}  # placeholder -> (name, index in its list or None)
    for name, placeholder in placeholders.items():
        if isinstance(placeholder, list):
            where.update({item: (name, index) for index, item in enumerate(placeholder)})
        else:
            where[placeholder] = (name, None)
    slots, reached = [], set()
    for param in params:
        # bool is an int, and 1 == True: only an int or a str of the placeholder's own type.
        found = where.get(param) if type(param) in (int, str) else None
        if found is not None:
            slots.append(("value", found))
            reached.add(param)
        else:
            slots.append(("constant", param))
    if window_position is not None:
        slots[window_position:window_position] = [("window", 0), ("window", 1)]
    lost = {name for placeholder, (name, _) in where.items() if placeholder not in reached}
    lost |= {name for placeholder, (name, _) in where.items() if str(placeholder) in sql}
    if windowed and any(str(number) in sql for number in (_OFFSET_PLACEHOLDER, _LIMIT_PLACEHOLDER)):
        raise TypeError("A compiled query's window is written in its SQL more than once.")
    if lost:
        raise TypeError(
            f"Parameters {sorted(lost)} of a compiled query do not reach its SQL as parameters: "
            "make them part of the shape."
        )
    if query.selected:
        names = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    expressions = tuple(selected[0] for selected in compiler.select[: compiler.col_count])
    if len(names) != len(expressions):
        raise TypeError("A compiled query must be a values() query.")
    return _CompiledSql(sql, tuple(slots), names, expressions)


class CompiledQuery:
    """A `values()` read whose SQL is compiled once per database connection and shape.

    `build(**values, **shape)` returns the queryset. `values` are the parameters that change
    from call to call (ints and strs that filters compare with as they are, or lists of them
    for `__in`); `shape` is what changes the SQL itself (a page size, whether an optional
    filter applies), and keys the compiled SQL with the parameters' names and list lengths.

    `builds_its_page`: asked for a window, `build` is given it as `page`, a slice, and
    applies it itself, to the query of a page's ids, say, so that the rows' correlated
    subqueries run for the page's rows alone (PostgreSQL computes a row's columns before
    OFFSET skips it). Otherwise the window slices the whole query.
    """

    def __init__(self, build: Callable[..., QuerySet], *, builds_its_page: bool = False):
        self.build = build
        self.builds_its_page = builds_its_page
        # Per connection (one per thread): the connection's own converters apply to the rows.
        self._compiled = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def rows(
        self, *, values: dict, shape: dict | None = None, window: tuple | None = None, using: str = "default"
    ) -> list[dict]:
        """The rows for `values`, as `list(build(**values, **shape))` gives them; with
        `window`, (offset, limit), that slice of them, sent as parameters: every page of a
        list runs the same SQL."""
        shape = shape or {}
        if window is not None and window[1] <= 0:
            return []
        if not settings.COMPILED_QUERIES:
            return list(self._built(values, shape, None if window is None else slice(window[0], sum(window))))
        connection = connections[using]
        key = (tuple(sorted(shape.items())), _values_shape(values), window is not None)
        compiled_here = self._compiled.get(connection)
        if compiled_here is None:
            with self._lock:
                compiled_here = self._compiled.setdefault(connection, {})
        entry = compiled_here.get(key)
        if entry is None:
            placeholders = _placeholders(values)
            page = slice(_OFFSET_PLACEHOLDER, _OFFSET_PLACEHOLDER + _LIMIT_PLACEHOLDER)
            queryset = self._built(placeholders, shape, None if window is None else page)
            compiled = _compile(queryset, placeholders, connection, windowed=window is not None)
            converters = [] if compiled is None else _converters(compiled.expressions, connection)
            entry = compiled_here[key] = (compiled, converters)
        compiled, converters = entry
        if compiled is None:
            return []
        return compiled.run(connection, values, converters, window)

    def _built(self, values: dict, shape: dict, page: slice | None) -> QuerySet:
        if page is None:
            return self.build(**values, **shape)
        if self.builds_its_page:
            return self.build(**values, **shape, page=page)
        return self.build(**values, **shape)[page]


def _converters(expressions, connection) -> list:
    """(position, converter functions, expression) of each column that has converters."""
    converters = []
    for position, expression in enumerate(expressions):
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if functions:
            converters.append((position, functions, expression))
    return converters
