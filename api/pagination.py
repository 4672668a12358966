from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from rest_framework import pagination

from scrapbook.internals.django_compiled_queries import CompiledQuery


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=N`, at most 100 a page, as ../shared/API.md promises."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, CompiledList):
            # Its page and its length in one query, before Django's Paginator asks for the
            # length and then the page.
            window = self._asked_window(request)
            if window is not None:
                queryset.read_ahead(window)
        return super().paginate_queryset(queryset, request, view)

    def _asked_window(self, request) -> tuple[int, int] | None:
        """(offset, limit) of the page asked for by number; None for another way to ask
        (`last`, a malformed number), left to the Paginator."""
        size = self.get_page_size(request)
        number = request.query_params.get(self.page_query_param) or "1"
        if not size or not number.isascii() or not number.isdigit() or len(number) > 9 or int(number) < 1:
            return None
        return (int(number) - 1) * size, size


def rows_in_order(ids: list, rows: list[dict]) -> list[dict]:
    """`rows` (dicts with an "id") in the order of `ids`, a page's: a list read by its page's
    ids first takes them from a cheap ordered query, then their rows by primary key."""
    by_id = {row["id"]: row for row in rows}
    return [by_id[row_id] for row_id in ids if row_id in by_id]


def counted(rows: QuerySet) -> QuerySet:
    """How many `rows` there are, as a values() query a CompiledQuery can run: one COUNT."""
    return rows.order_by().values(count=Func(F("pk"), function="COUNT", output_field=IntegerField()))


# The column of a CompiledList's rows that holds the list's length.
LIST_LENGTH = "list_length"


def list_length(rows: QuerySet) -> dict:
    """How many `rows` there are, as a column of each row of a page of them (for values()):
    an uncorrelated subquery, which the database computes once for the page."""
    return {LIST_LENGTH: Subquery(counted(rows), output_field=IntegerField())}


class CompiledList:
    """A list read with compiled queries, as Django's Paginator (and so DRF's pagination)
    reads a queryset: its length, then one page of its rows. `rows` builds the ordered rows
    with their `list_length`, `count` their `counted`; both run with `values` and the page's
    window as parameters. A page read ahead (`read_ahead`) gives its rows and the list's
    length in one query; the count runs alone only for a page with no rows."""

    ordered = True  # the rows' query orders them

    def __init__(self, rows: CompiledQuery, count: CompiledQuery, values: dict):
        self.rows, self.counted, self.values = rows, count, values
        self._length: int | None = None
        self._read: tuple[int, list[dict]] | None = None  # (offset, rows) read ahead

    def read_ahead(self, window: tuple[int, int]) -> None:
        """Read the page at `window`, (offset, limit), and the list's length with it."""
        rows = self._page(window)
        if rows:
            self._read = (window[0], rows)

    def count(self) -> int:
        if self._length is None:
            found = self.counted.rows(values=self.values)
            self._length = found[0]["count"] if found else 0
        return self._length

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[dict]:
        limit = page.stop - page.start
        if self._read is not None and self._read[0] == page.start and limit <= len(self._read[1]):
            return self._read[1][:limit]
        return self._page((page.start, limit))

    def _page(self, window: tuple[int, int]) -> list[dict]:
        rows = self.rows.rows(values=self.values, window=window)
        for row in rows:
            self._length = row.pop(LIST_LENGTH)
        return rows
