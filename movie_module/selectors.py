"""Every read the movie API shows, shaped once so each list runs a constant number of queries."""

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower

from .imdb import sync as imdb_sync
from .models import Movie, Review, WatchlistItem

WORD = re.compile(r"[^\W_]+")


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
    """The catalogue, or the movies whose titles contain every word searched.

    Ranked: the exact title first, then titles starting with the text, then the rest,
    each by IMDb votes (popular first) and title.
    """
    words = [word.lower() for word in WORD.findall(search or "")]
    if not words:
        return Movie.objects.order_by("title", "id")
    queryset = _titles_containing(words[:8])
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


def movie_for_user(*, movie: Movie, user) -> dict | None:
    """The caller's relation to a movie: the movie page's `me` block, or None if anonymous."""
    if not user.is_authenticated:
        return None
    # Read on every movie page, so one plain query for both rows (the ORM cannot join two
    # unrelated rows), and a second only when there is a review to show.
    reviews = connection.ops.quote_name(Review._meta.db_table)
    items = connection.ops.quote_name(WatchlistItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item.id, item.watched, review.id FROM (SELECT 1 AS one) AS anchor "
            f"LEFT JOIN {items} AS item ON item.user_id = %s AND item.movie_id = %s "
            f"LEFT JOIN {reviews} AS review ON review.user_id = %s AND review.movie_id = %s",
            [user.pk, movie.pk, user.pk, movie.pk],
        )
        watchlist_id, watched, review_id = cursor.fetchone()
    review = None
    if review_id is not None:
        review = Review.objects.get(pk=review_id)
        review.movie, review.user = movie, user
    return {
        "in_watchlist": watchlist_id is not None,
        "watched": bool(watched),
        "watchlist_id": watchlist_id,
        "review": review,
    }


def user_watchlist(*, user) -> QuerySet:
    """The user's watchlist items with their movies, newest first.

    Pass a page of them through `attach_review_stats` before showing movie summaries.
    """
    return WatchlistItem.objects.filter(user=user).select_related("movie").order_by("-added_at", "-id")


def review_list() -> QuerySet:
    """Reviews with their movie and author, newest first."""
    return (
        Review.objects.select_related("movie", "user")
        .only(
            "id",
            "rating",
            "body",
            "contains_spoilers",
            "created_at",
            "updated_at",
            "movie__imdb_id",
            "movie__title",
            "movie__year",
            "movie__poster_url",
            "user__id",
            "user__username",
        )
        .order_by("-created_at", "-id")
    )


def movies_for_recommendations(recommended) -> list[Movie | None]:
    """Resolve each recommended `(title, score)` to a catalogue movie with its review stats.

    The movie the recommender named comes from the local catalogue; a title it no longer
    holds goes to the catalogue by title, then to the IMDb API. None when nothing matches.
    """
    known = Movie.objects.in_bulk([pair.movie_id for pair in recommended if pair.movie_id])
    movies = [
        known.get(pair.movie_id) or imdb_sync.resolve_title(pair.title, getattr(pair, "year", None))
        for pair in recommended
    ]
    attach_review_stats(movie for movie in movies if movie is not None)
    return movies
