"""Counts of related rows computed inside the reading query, so a list shows them without a
query per row."""

from django.db.models import Count, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_of(rows: QuerySet, *, per: str):
    """The number of `rows` (filtered on an OuterRef, grouped by their column `per`), as an
    annotation: 0 when there are none."""
    counted = rows.order_by().values(per).annotate(count=Count("*")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
