from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=N`, at most 100 a page, as ../shared/API.md promises."""

    page_size_query_param = "page_size"
    max_page_size = 100


def rows_in_order(ids: list, rows: list[dict]) -> list[dict]:
    """`rows` (dicts with an "id") in the order of `ids`, a page's: a list read by its page's
    ids first takes them from a cheap ordered query, then their rows by primary key."""
    by_id = {row["id"]: row for row in rows}
    return [by_id[row_id] for row_id in ids if row_id in by_id]
