from django.db.models import F, Func, IntegerField, QuerySet
from rest_framework import pagination

from scrapbook.internals.django_compiled_queries import CompiledQuery


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=N`, at most 100 a page, as ../shared/API.md promises."""

    page_size_query_param = "page_size"
    max_page_size = 100


def rows_in_order(ids: list, rows: list[dict]) -> list[dict]:
    """`rows` (dicts with an "id") in the order of `ids`, a page's: a list read by its page's
    ids first takes them from a cheap ordered query, then their rows by primary key."""
    by_id = {row["id"]: row for row in rows}
    return [by_id[row_id] for row_id in ids if row_id in by_id]


def counted(rows: QuerySet) -> QuerySet:
    """How many `rows` there are, as a values() query a CompiledQuery can run: one COUNT."""
    return rows.order_by().values(count=Func(F("pk"), function="COUNT", output_field=IntegerField()))


class CompiledList:
    """A list read with compiled queries, as Django's Paginator (and so DRF's pagination)
    reads a queryset: its count, then one page of its rows, both run with `values` and the
    page's window as parameters. `rows` builds the ordered rows, `count` their `counted`."""

    ordered = True  # the rows' query orders them

    def __init__(self, rows: CompiledQuery, count: CompiledQuery, values: dict):
        self.rows, self.counted, self.values = rows, count, values

    def count(self) -> int:
        found = self.counted.rows(values=self.values)
        return found[0]["count"] if found else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[dict]:
        return self.rows.rows(values=self.values, window=(page.start, page.stop - page.start))
