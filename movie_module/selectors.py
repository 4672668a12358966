"""Every read the movie API shows, shaped once so each list runs a constant number of queries."""

import re

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower

from .models import Movie, Review, WatchlistItem

WORD = re.compile(r"[^\W_]+")


def _review_stat(aggregate, output_field=None):
    """A correlated subquery over the movie's reviews; computed only for the rows shown."""
    reviews = Review.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(stat=aggregate)
    return Subquery(reviews.values("stat")[:1], output_field=output_field)


def movies_with_stats(queryset: QuerySet | None = None) -> QuerySet:
    """Movies annotated with `average_rating` and `review_count` from this site's reviews."""
    queryset = Movie.objects.all() if queryset is None else queryset
    return queryset.annotate(
        average_rating=_review_stat(Avg("rating")),
        review_count=Coalesce(_review_stat(Count("id"), IntegerField()), Value(0)),
    )


def movie_list(*, search: str = "") -> QuerySet:
    """The catalogue, or the movies whose titles contain every word searched.

    Ranked: the exact title first, then titles starting with the text, then the rest,
    each by IMDb votes (popular first) and title.
    """
    words = [word.lower() for word in WORD.findall(search or "")]
    if not words:
        return movies_with_stats().order_by("title", "id")
    queryset = Movie.objects.all()
    for word in words[:8]:
        queryset = queryset.filter(title__icontains=word)
    text = " ".join(search.split()).lower()
    queryset = queryset.alias(title_lower=Lower("title")).annotate(
        match_rank=Case(
            When(title_lower=text, then=Value(0)),
            When(title_lower__startswith=text, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    return movies_with_stats(queryset).order_by(
        "match_rank", F("imdb_votes").desc(nulls_last=True), "title", "id"
    )


def movie_page(*, imdb_id: str) -> Movie | None:
    """The movie with its stats and watchlist count, or None."""
    watchlist_count = (
        WatchlistItem.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(n=Count("id"))
    )
    return (
        movies_with_stats(Movie.objects.filter(imdb_id=imdb_id))
        .annotate(
            watchlist_count=Coalesce(Subquery(watchlist_count.values("n")[:1]), Value(0)),
        )
        .first()
    )


def movie_for_user(*, movie: Movie, user) -> dict | None:
    """The caller's relation to a movie: the movie page's `me` block, or None if anonymous."""
    if not user.is_authenticated:
        return None
    item = WatchlistItem.objects.filter(user=user, movie=movie).only("id", "watched").first()
    review = review_list().filter(user=user, movie=movie).first()
    return {
        "in_watchlist": item is not None,
        "watched": bool(item and item.watched),
        "watchlist_id": item.id if item else None,
        "review": review,
    }


def user_watchlist(*, user) -> QuerySet:
    """The user's watchlist items, each with its movie's summary, newest first."""
    return (
        WatchlistItem.objects.filter(user=user)
        .prefetch_related(Prefetch("movie", queryset=movies_with_stats()))
        .order_by("-added_at", "-id")
    )


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
