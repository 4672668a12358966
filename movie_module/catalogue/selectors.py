"""Reads of the catalogue: lists, search and the movie page, shaped once so each list runs a
constant number of queries."""

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import (
    Avg,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from api.shapes import output_columns
from movie_module.imdb.matching import wanted_title
from movie_module.models import Movie, Review, WatchlistItem
from movie_module.serializers import MovieSummarySerializer

from .search import search_movies


def _review_stat(aggregate, output_field=None):
    """A correlated subquery over the movie's reviews."""
    reviews = Review.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(stat=aggregate)
    return Subquery(reviews.values("stat")[:1], output_field=output_field)


def attach_review_stats(movies: Iterable[Movie]) -> list[Movie]:
    """Set `average_rating` and `review_count` on each movie from this site's reviews.

    One grouped query for the whole page, whatever its size. (Subqueries in the list
    query itself would be computed for every row before sorting, not just the page.)
    """
    movies = list(movies)
    if not movies:
        return movies
    stats = {
        row["movie_id"]: row
        for row in Review.objects.filter(movie_id__in={movie.id for movie in movies})
        .order_by()
        .values("movie_id")
        .annotate(average=Avg("rating"), count=Count("id"))
    }
    for movie in movies:
        row = stats.get(movie.id)
        movie.average_rating = row["average"] if row else None
        movie.review_count = row["count"] if row else 0
    return movies


def movie_list(*, search: str = "") -> QuerySet:
    """The catalogue by title, or the movies the search finds, best match first
    (catalogue/search.py: case, accents and a typo forgiven, alternate titles included)."""
    # What a summary shows: not the plot, cast and directors, whose JSON decoding costs
    # more than the rest of a row.
    summary_columns = output_columns(MovieSummarySerializer)
    if not (search or "").strip():
        return Movie.objects.only(*summary_columns).order_by("title", "id")
    return search_movies(search).only(*summary_columns)


def movie_page(*, imdb_id: str) -> Movie | None:
    """The movie with its review stats and watchlist count, or None."""
    watchlist_count = (
        WatchlistItem.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(n=Count("id"))
    )
    return (
        Movie.objects.filter(imdb_id=imdb_id)
        .annotate(
            average_rating=_review_stat(Avg("rating")),
            review_count=Coalesce(_review_stat(Count("id"), IntegerField()), Value(0)),
            watchlist_count=Coalesce(Subquery(watchlist_count.values("n")[:1]), Value(0)),
        )
        .first()
    )


def stale_movies(*, older_than_days: int) -> QuerySet:
    """Movies whose details were never fetched from the IMDb API, or longer ago than this,
    the stalest first; only their ids are loaded."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return (
        Movie.objects.filter(Q(refreshed_at__isnull=True) | Q(refreshed_at__lt=cutoff))
        .order_by(F("refreshed_at").asc(nulls_first=True), "id")
        .only("id", "imdb_id")
    )


def movie_with_title(title: str, year: int | None = None) -> Movie | None:
    """The catalogue's movie a recommender title names ('The Matrix', 'Toy Story (1995)',
    'Matrix, The'): case-insensitive exact title; with a year, the same year or one off by
    one, the exact year preferred. None when the catalogue has none."""
    wanted = wanted_title(title, year)
    if not wanted.names:
        return None
    names = [name.lower() for name in wanted.names]
    local = Movie.objects.alias(title_lower=Lower("title")).filter(title_lower__in=names)
    if wanted.year:
        local = local.filter(year__range=(wanted.year - 1, wanted.year + 1))
    candidates = list(local.order_by("id")[:20])
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda movie: (
            names.index(movie.title.lower()) if movie.title.lower() in names else len(names),
            abs(movie.year - wanted.year) if wanted.year and movie.year else 0,
        ),
    )
