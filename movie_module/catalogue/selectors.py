"""Reads of the catalogue: lists, search and the movie page, shaped once so each list runs a
constant number of queries."""

import re
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from api.shapes import output_columns
from movie_module.imdb.matching import wanted_title
from movie_module.models import Genre, Movie, WatchlistItem
from movie_module.serializers import MovieSummarySerializer

WORD = re.compile(r"[^\W_]+")


def prepare_summaries(movies: Iterable[Movie]) -> list[Movie]:
    """The movies of a page, ready to be shown as summaries: their genres prefetched, in one
    query for the whole page whatever its size."""
    movies = list(movies)
    prefetch_related_objects(movies, "genres")
    return movies


def movie_list(*, search: str = "") -> QuerySet:
    """The catalogue, or the movies whose titles contain every word searched.

    Ranked: the exact title first, then titles starting with the text, then the rest,
    each by IMDb votes (popular first) and title.
    """
    # What a summary shows: not the plot, cast and directors, whose JSON decoding costs
    # more than the rest of a row.
    summary_columns = output_columns(MovieSummarySerializer)
    words = [word.lower() for word in WORD.findall(search or "")]
    if not words:
        return Movie.objects.only(*summary_columns).order_by("title", "id")
    queryset = _titles_containing(words[:8]).only(*summary_columns)
    text = " ".join(search.split()).lower()
    queryset = queryset.alias(title_lower=Lower("title")).annotate(
        match_rank=Case(
            When(title_lower=text, then=Value(0)),
            When(title_lower__startswith=text, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    return queryset.order_by("match_rank", F("imdb_votes").desc(nulls_last=True), "title", "id")


def _titles_containing(words: list[str]) -> QuerySet:
    """Movies whose title contains every word, through the engine's trigram index."""
    if connection.vendor == "sqlite":
        # The FTS5 trigram table of migration 0003; words are alphanumeric, nothing to escape.
        # A trigram index cannot serve words under 3 characters, and SQLite 3.40's crashes the
        # process (SIGSEGV) on a query that holds one beside other words, e.g. "a 日本" (found
        # by tests/test_fuzz_api.py): those words filter the table itself.
        long_words = [word for word in words if len(word) >= 3]
        queryset = Movie.objects.all()
        if long_words:
            condition = " AND ".join(["title LIKE %s"] * len(long_words))
            matching = RawSQL(
                f"SELECT rowid FROM movie_title_search WHERE {condition}",
                [f"%{word}%" for word in long_words],
            )
            queryset = queryset.filter(id__in=matching)
        for word in words:
            if len(word) < 3:
                queryset = queryset.filter(title__icontains=word)
        return queryset
    queryset = Movie.objects.all()
    for word in words:
        queryset = queryset.filter(title__icontains=word)  # pg_trgm index, migration 0002
    return queryset


def movie_page(*, imdb_id: str) -> Movie | None:
    """The movie with its genres and watchlist count, or None."""
    watchlist_count = (
        WatchlistItem.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(n=Count("id"))
    )
    return (
        Movie.objects.filter(imdb_id=imdb_id)
        .annotate(watchlist_count=Coalesce(Subquery(watchlist_count.values("n")[:1]), Value(0)))
        .prefetch_related("genres")
        .first()
    )


def genre_list() -> QuerySet:
    """Every genre with how many movies it has, by name."""
    return Genre.objects.annotate(movie_count=Count("movie_links")).order_by("name")


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
