"""Reads behind the recommendations."""

from typing import NamedTuple

from django.db.models import QuerySet

from api.shapes import output_columns
from movie_module.catalogue.selectors import movie_with_title
from movie_module.models import Movie, Review, Watch, WatchlistItem
from movie_module.serializers import MovieSummarySerializer
from scrapbook.internals.django_compiled_queries import CompiledQuery

# What the model reads of a rating (its movie, stars and when it was given) and what the
# answer shows of a seed (SeedReviewSerializer: the movie's imdb_id and title).
RATING_COLUMNS = ("id", "movie_id", "rating", "created_at", "movie__imdb_id", "movie__title")


def _rated_watches(*, user_id: int) -> QuerySet:
    return Watch.objects.filter(user_id=user_id, rating__isnull=False).order_by("watched_on", "id")


# Compiled once per process, read as rows: the reviews and diary entries of a user as model
# instances, with their movies, cost more CPU than the rest of the request (docs/PERFORMANCE.md).
REVIEW_RATINGS = CompiledQuery(
    lambda *, user_id: Review.objects.filter(user_id=user_id).order_by().values(*RATING_COLUMNS)
)
DIARY_RATINGS = CompiledQuery(lambda *, user_id: _rated_watches(user_id=user_id).values(*RATING_COLUMNS))
LISTED_MOVIE_IDS = CompiledQuery(
    lambda *, user_id: WatchlistItem.objects.filter(user_id=user_id).order_by().values("movie_id")
)


def review_ratings(*, user_id: int) -> list[dict]:
    """The user's reviews as rows of RATING_COLUMNS."""
    return REVIEW_RATINGS.rows(values={"user_id": user_id})


def diary_ratings(*, user_id: int) -> list[dict]:
    """The user's rated watches as rows of RATING_COLUMNS, in the order they were watched."""
    return DIARY_RATINGS.rows(values={"user_id": user_id})


def listed_movie_ids(*, user_id: int) -> set[int]:
    return {row["movie_id"] for row in LISTED_MOVIE_IDS.rows(values={"user_id": user_id})}


def movies_for_recommendations(recommended) -> list[Movie | None]:
    """The catalogue movie each recommended `(title, score)` names: the one the recommender
    named by id, else one of that title; None where the catalogue has none."""
    # What a summary shows, not the plot, cast and directors, whose JSON decoding costs more.
    summaries = Movie.objects.only("id", *output_columns(MovieSummarySerializer))
    known = summaries.in_bulk([pair.movie_id for pair in recommended if pair.movie_id])
    return [known.get(pair.movie_id) or movie_with_title(pair.title, pair.year) for pair in recommended]


class RecommendedMovie(NamedTuple):
    """A recommended `(title, score)` with the movie it names, or None (RecommendedMovieSerializer)."""

    title: str
    score: float
    movie: Movie | None
