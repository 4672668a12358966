from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=N`, at most 100 a page, as ../shared/API.md promises."""

    page_size_query_param = "page_size"
    max_page_size = 100
