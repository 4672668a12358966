"""Reads of the diary, shaped once: a page of watches is one query, `rewatch` included."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from api.shapes import output_columns
from movie_module.models import Watch

from .serializers import WatchSerializer


def rewatch_annotation(*, watch: str = ""):
    """Whether an earlier watch of the same movie by the same user exists, for the watch at
    `watch` (`""`: the rows are watches; `"watch__"` on a relation), in the reading query.
    Two watches on one day are ordered by id."""
    user, movie = OuterRef(f"{watch}user_id"), OuterRef(f"{watch}movie_id")
    watched_on, watch_id = OuterRef(f"{watch}watched_on"), OuterRef(f"{watch}id")
    earlier = Q(watched_on__lt=watched_on) | Q(watched_on=watched_on, id__lt=watch_id)
    return Exists(Watch.objects.filter(earlier, user=user, movie=movie))


def user_diary(*, user) -> QuerySet:
    """The user's watches with their movies, latest `watched_on` first."""
    return (
        Watch.objects.filter(user=user)
        .select_related("movie")
        .only(*output_columns(WatchSerializer), "user", "movie")
        .annotate(rewatch=rewatch_annotation())
        .order_by("-watched_on", "-id")
    )
