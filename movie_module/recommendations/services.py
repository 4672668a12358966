"""The recommendations: the fitted model's `(title, score)` answers, and its refit."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count

from api.shapes import output_columns
from movie_module.models import CorpusRating, Movie, Review, WatchlistItem
from movie_module.recommendations import store as model_store
from movie_module.recommendations.serializers import SeedReviewSerializer

SEED_THRESHOLD = 3.5  # reviews above this many stars are the recommender's seeds


POPULARITY_PRIOR = 100.0  # as PopularityModel's prior_strength


class RecommendedTitle(tuple):
    """A `(title, score)` pair, as the recommender speaks, that also remembers which
    catalogue movie it came from so the API can resolve it without guessing by title."""

    movie_id: int | None
    year: int | None

    def __new__(cls, title: str, score: float, movie_id: int | None = None, year: int | None = None):
        pair = super().__new__(cls, (title, score))
        pair.movie_id = movie_id
        pair.year = year
        return pair

    @property
    def title(self) -> str:
        return self[0]

    @property
    def score(self) -> float:
        return self[1]


@dataclass(frozen=True)
class Recommendations:
    source: str  # "similarity" or "popular"
    based_on: list[Review]
    titles: list[RecommendedTitle]


def _titled(pairs: list[tuple[int, float]], titles: dict | None = None) -> list[RecommendedTitle]:
    """Name each `(movie_id, score)` pair: by the fitted model's titles, else the catalogue's."""
    if titles is None:
        titles = {
            movie.id: (movie.title, movie.year)
            for movie in Movie.objects.in_bulk([movie_id for movie_id, _ in pairs]).values()
        }
    return [
        RecommendedTitle(titles[movie_id][0], round(score, 2), movie_id, titles[movie_id][1])
        for movie_id, score in pairs
        if movie_id in titles
    ]


def recommend_for_user(*, user, limit: int = 10) -> Recommendations:
    """What the user may like next, best first, without what they reviewed or listed.

    The user's reviews are read now, so a review written a second ago already counts.
    Without a review above 3.5 stars (or before the recommender was ever fitted) the
    answer is the most popular movies.
    """
    reviews = list(
        Review.objects.filter(user=user)
        .select_related("movie")
        # the rating the model reads, and what the answer shows of a seed
        .only("rating", *output_columns(SeedReviewSerializer, model=Review))
    )
    ratings = {review.movie_id: float(review.rating) for review in reviews}
    seeds = [review for review in reviews if review.rating > SEED_THRESHOLD]
    seeds.sort(key=lambda review: (-review.rating, review.movie.title))
    exclude = set(WatchlistItem.objects.filter(user=user).values_list("movie_id", flat=True))
    models = model_store.current_models()
    if seeds and models is not None:
        pairs = models.similarity.recommend(ratings, n=limit, exclude=exclude)
        if pairs:
            return Recommendations("similarity", seeds, _titled(pairs, models.titles))
    return Recommendations("popular", seeds, popular_titles(limit=limit, exclude={*ratings, *exclude}))


def recommend_titles(user, limit: int = 10) -> list[RecommendedTitle]:
    """The recommender's answer for a user: `[('The Matrix', 9.4), ...]`, best first."""
    return recommend_for_user(user=user, limit=limit).titles


def popular_titles(*, limit: int, exclude=()) -> list[RecommendedTitle]:
    """The most popular movies by rating count and mean (a damped mean), best first."""
    models = model_store.current_models()
    if models is not None:
        return _titled(models.popularity.most_popular(limit, exclude=exclude), models.titles)
    # Never fitted yet: the same damped mean, straight from the database.
    rows = list(CorpusRating.objects.values("movie_id").annotate(count=Count("id"), mean=Avg("rating")))
    total_count = sum(row["count"] for row in rows)
    global_mean = sum(float(row["mean"]) * row["count"] for row in rows) / total_count if total_count else 0.0
    scored = []
    for row in rows:
        if row["movie_id"] in exclude:
            continue
        count, total = row["count"], float(row["mean"]) * row["count"]
        damped_mean = (total + POPULARITY_PRIOR * global_mean) / (count + POPULARITY_PRIOR)
        scored.append((2 * damped_mean, count, row["movie_id"]))
    scored.sort(key=lambda entry: (-entry[0], -entry[1], entry[2]))
    return _titled([(movie_id, score) for score, _, movie_id in scored[:limit]])


def similar_titles(*, movie: Movie, limit: int = 10) -> list[RecommendedTitle]:
    """Movies whose raters also loved `movie`, best first; [] before the first fit."""
    models = model_store.current_models()
    if models is None:
        return []
    return _titled(models.similarity.similar(movie.id, n=limit), models.titles)


def recommender_refit_if_due() -> dict | None:
    """Refit when enough reviews arrived since the last fit (or it never ran).

    Called by the scheduler and by `fit_recommender --if-due`, never inside a request;
    a cache lock keeps several workers from fitting at once.
    """
    pending = model_store.reviews_since_last_fit()
    if pending is not None and pending < settings.RECOMMENDER_REFIT_AFTER_REVIEWS:
        return None
    if not cache.add("recommender:fitting", "1", timeout=settings.RECOMMENDER_FIT_LOCK_SECONDS):
        return None
    try:
        return model_store.fit_and_save()
    finally:
        cache.delete("recommender:fitting")
