"""Counts and lists of related rows computed inside the reading query, so a list shows them
without a query per row."""

import json

from django.db import DEFAULT_DB_ALIAS
from django.db.models import BooleanField, Count, Expression, F, Field, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_of(rows: QuerySet, *, per: str):
    """The number of `rows` (filtered on an OuterRef, grouped by their column `per`), as an
    annotation: 0 when there are none."""
    counted = rows.order_by().values(per).annotate(count=Count("*")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class _ListedValuesField(Field):
    """Reads what `ListedValues` selects: PostgreSQL's array comes as a list; SQLite's JSON
    array is decoded and sorted here (its json_group_array promises no order of its rows;
    its BINARY collation orders text as Python orders str)."""

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str):
            return sorted(json.loads(value))
        return value


class ListedValues(Subquery):
    """The values of `column` of `rows` (filtered on an OuterRef), by that column, as a list
    ([] when there are none): a page's genres read within the page's own query, not by a
    second one."""

    template = "ARRAY(%(subquery)s)"  # PostgreSQL

    def __init__(self, rows: QuerySet, column: str):
        listed = rows.order_by(column).values(listed=F(column))
        super().__init__(listed, output_field=_ListedValuesField())

    def as_sqlite(self, compiler, connection, **extra_context):
        template = '(SELECT json_group_array("rows"."listed") FROM (%(subquery)s) AS "rows")'
        return self.as_sql(compiler, connection, template=template, **extra_context)


class AmongIds(Expression):
    """A filter: `column` is among the ids that `ids` (a sliced, one-column values() query)
    selects. PostgreSQL reads those ids first, once, then looks each up by index: given
    `IN (subquery)` instead, it hashed the page's ids and scanned a whole table, joins and
    all, to find them (docs/PERFORMANCE.md)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, ids: QuerySet):
        super().__init__()
        self.column, self.ids = F(column), Subquery(ids)

    def get_source_expressions(self):
        return [self.column, self.ids]

    def set_source_expressions(self, expressions):
        self.column, self.ids = expressions

    def as_sql(self, compiler, connection, template="%(column)s IN %(ids)s"):
        column_sql, column_params = compiler.compile(self.column)
        ids_sql, ids_params = compiler.compile(self.ids)
        return template % {"column": column_sql, "ids": ids_sql}, (*column_params, *ids_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="%(column)s = ANY(ARRAY%(ids)s)")


class _JsonRowsField(Field):
    """Reads what `JsonRows` selects: psycopg decodes PostgreSQL's json; SQLite's is text."""

    def from_db_value(self, value, expression, connection):
        return json.loads(value) if isinstance(value, str) else value


class JsonRows(Subquery):
    """The rows of `rows` (a values() query, a union included) as a list of lists of their
    `columns`, in the rows' order: a profile's years and genres read within the profile's
    own query, not by one query each."""

    def __init__(self, rows: QuerySet, *columns: str):
        self.columns = columns
        super().__init__(rows, output_field=_JsonRowsField())

    def _template(self, connection, aggregate: str, row: str, empty: str) -> str:
        listed = ", ".join(f'"rows".{connection.ops.quote_name(column)}' for column in self.columns)
        return f'(SELECT COALESCE({aggregate}({row}({listed})), {empty}) FROM (%(subquery)s) AS "rows")'

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL
        template = self._template(connection, "json_agg", "json_build_array", "'[]'::json")
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = self._template(connection, "json_group_array", "json_array", "'[]'")
        return super().as_sql(compiler, connection, template=template, **extra_context)


def instance_from_row(model, row: dict, prefix: str = ""):
    """A `model` instance of the columns a compiled query's row holds under `prefix` (the
    others deferred), as a queryset would have made it: `Model.from_db`, which takes the
    values of a row with deferred fields in the model's order."""
    columns = [field.attname for field in model._meta.concrete_fields if prefix + field.attname in row]
    return model.from_db(DEFAULT_DB_ALIAS, columns, [row[prefix + column] for column in columns])
