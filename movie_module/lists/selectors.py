"""Reads of lists: a private list is its owner's alone, everywhere."""

from django.db.models import OuterRef, Q, QuerySet

from api.shapes import output_columns
from authentication.usernames import username_key
from movie_module.models import MovieList, MovieListItem
from movie_module.subqueries import count_of

from .serializers import MovieListItemSerializer, MovieListSerializer


def item_count_annotation(*, movie_list: str = "pk"):
    """The number of movies in the list `movie_list` names (an OuterRef path), in the reading query."""
    return count_of(MovieListItem.objects.filter(movie_list=OuterRef(movie_list)), per="movie_list")


def visible_to(viewer) -> Q:
    """Lists `viewer` may see: public ones, and their own."""
    if viewer is None or not viewer.is_authenticated:
        return Q(public=True)
    return Q(public=True) | Q(owner=viewer)


def visible_lists(*, viewer, owner_username: str | None = None) -> QuerySet:
    """Lists `viewer` may see (of `owner_username` only, if given), latest changed first."""
    lists = MovieList.objects.filter(visible_to(viewer))
    if owner_username is not None:
        lists = lists.filter(owner__username_key=username_key(owner_username))
    return (
        lists.select_related("owner")
        .only(*output_columns(MovieListSerializer))
        .annotate(item_count=item_count_annotation())
        .order_by("-updated_at", "-id")
    )


def list_items(*, movie_list: MovieList) -> list[MovieListItem]:
    """The list's items with their movies, by position. Pass the movies through
    `prepare_summaries` before showing them."""
    return list(
        MovieListItem.objects.filter(movie_list=movie_list)
        .select_related("movie")
        .only(*output_columns(MovieListItemSerializer))
        .order_by("position", "id")
    )
