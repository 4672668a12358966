"""django-filter's DRF backend, skipped for a request that names none of the view's filters."""

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend, which builds the view's FilterSet and its form on every request:
    a third of the CPU of an uncached page of the catalogue (docs/PERFORMANCE.md). A filter
    given no value leaves the queryset as it is, so a request whose query names none of the
    filters gets the queryset untouched without building them."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not names_a_filter(request, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)


def names_a_filter(request, filterset_class) -> bool:
    """Whether the request's query names one of the FilterSet's filters."""
    return any(name in request.query_params for name in filterset_class.base_filters)
