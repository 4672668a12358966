"""Reads behind the recommendations."""

from django.db.models import QuerySet

from movie_module.models import Review, Watch, WatchlistItem
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
