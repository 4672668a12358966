"""The recommendations: the fitted model's `(title, score)` answers, and its refit."""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum

from movie_module.models import CorpusRating, Movie
from movie_module.recommendations import selectors
from movie_module.recommendations import store as model_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recommended:
    """One recommended movie: the seed's `(title, score)` pair (`pair`), and the catalogue
    movie the model named, so the API resolves it by id rather than by title."""

    title: str
    score: float  # 0 to 10, higher is better
    movie_id: int | None = None
    year: int | None = None

    @property
    def pair(self) -> tuple[str, float]:
        return (self.title, self.score)


@dataclass(frozen=True)
class Recommendations:
    source: str  # "similarity" or "popular"
    based_on: list[dict]  # rows of selectors.RATING_COLUMNS, shown by SeedReviewSerializer
    results: list[Recommended]


def named(scored: list[tuple[int, float]], titles: dict | None = None) -> list[Recommended]:
    """Each `(movie_id, score)` of a model with its title: the fitted model's, else the catalogue's."""
    if titles is None:
        titles = {
            movie.id: (movie.title, movie.year)
            for movie in Movie.objects.in_bulk([movie_id for movie_id, _ in scored]).values()
        }
    return [
        Recommended(titles[movie_id][0], round(score, 2), movie_id, titles[movie_id][1])
        for movie_id, score in scored
        if movie_id in titles
    ]


def recommend_for_user(*, user, limit: int = 10) -> Recommendations:
    """What the user may like next, best first, without what they reviewed or listed.

    The user's reviews are read now, so a review written a second ago already counts.
    Without a review above 3.5 stars (or before the recommender was ever fitted) the
    answer is the most popular movies.
    """
    from movie_module.recommender import SEED_THRESHOLD  # with pandas: recommendations.store

    reviews = selectors.review_ratings(user_id=user.pk)
    rated = {**latest_diary_ratings(user=user), **{review["movie_id"]: review for review in reviews}}
    # Oldest first (when each rating was given): the model weighs recent tastes more.
    by_time = sorted(rated.values(), key=lambda rating: (rating["created_at"], rating["id"]))
    ratings = {rating["movie_id"]: float(rating["rating"]) for rating in by_time}
    seeds = [rating for rating in rated.values() if rating["rating"] > SEED_THRESHOLD]
    seeds.sort(key=lambda seed: (-seed["rating"], seed["movie__title"]))
    exclude = selectors.listed_movie_ids(user_id=user.pk)
    models = model_store.current_models()
    if seeds and models is not None:
        pairs = models.similarity.recommend(ratings, n=limit, exclude=exclude)
        if pairs:
            return Recommendations("similarity", seeds, named(pairs, models.titles))
    return Recommendations("popular", seeds, popular_titles(limit=limit, exclude={*ratings, *exclude}))


def latest_diary_ratings(*, user) -> dict[int, dict]:
    """The user's latest rated watch of each movie, by movie id, in one query, as rows of
    selectors.RATING_COLUMNS.

    A review of the same movie wins over these (recommend_for_user): it is the user's
    considered judgement of the film, a diary rating is one viewing's.
    """
    # Later watches overwrite earlier ones.
    return {watch["movie_id"]: watch for watch in selectors.diary_ratings(user_id=user.pk)}


def recommend_titles(user, limit: int = 10) -> list[tuple[str, float]]:
    """The recommender's answer for a user as the seed speaks it: `[('The Matrix', 9.4), ...]`,
    best first."""
    return [recommended.pair for recommended in recommend_for_user(user=user, limit=limit).results]


def popular_titles(*, limit: int, exclude=()) -> list[Recommended]:
    """The most popular movies by their damped mean rating (PopularityModel), best first."""
    models = model_store.current_models()
    if models is not None:
        return named(models.popularity.most_popular(limit, exclude=exclude), models.titles)
    # Never fitted yet: the same model, from the database's per-movie totals.
    rows = list(
        CorpusRating.objects.order_by()
        .values("movie_id")
        .annotate(count=Count("id"), total=Sum("rating"))
        .values_list("movie_id", "count", "total")
    )
    if not rows:
        return []
    movie_ids, counts, totals = zip(*rows, strict=True)
    from movie_module.recommender import PopularityModel  # with pandas: recommendations.store

    model = PopularityModel().fit_totals(movie_ids, counts, [float(total) for total in totals])
    return named(model.most_popular(limit, exclude=exclude))


def similar_titles(*, movie: Movie, limit: int = 10) -> list[Recommended]:
    """Movies like `movie`, best first: loved by the same people, sharing its genres,
    people and era (SimilarMoviesModel); [] before the first fit."""
    models = model_store.current_models()
    if models is None or models.similar_movies is None:
        return []
    return named(models.similar_movies.similar(movie.id, n=limit), models.titles)


FIT_LOCK_KEY = "recommender:fitting"


def recommender_refit(*, only_if_due: bool = False, job_id: str | None = None) -> dict | None:
    """Fit the recommender on every stored rating and save it, for every worker to load.

    Returns the fit's summary, or None when nothing was fitted: another fit is running
    (a cache lock keeps workers from fitting at once), or, with `only_if_due`, fewer than
    RECOMMENDER_REFIT_AFTER_REVIEWS reviews arrived since the last fit. `job_id` names the
    background job: delivered again after its worker died mid-fit, it takes over the lock
    its first delivery left behind instead of waiting RECOMMENDER_FIT_LOCK_SECONDS.
    Never called inside a request.
    """
    if only_if_due:
        pending = model_store.reviews_since_last_fit()
        if pending is not None and pending < settings.RECOMMENDER_REFIT_AFTER_REVIEWS:
            return None
    owner = job_id or uuid.uuid4().hex
    locked = cache.add(FIT_LOCK_KEY, owner, timeout=settings.RECOMMENDER_FIT_LOCK_SECONDS)
    if not locked and (job_id is None or cache.get(FIT_LOCK_KEY) != job_id):
        return None
    try:
        summary = model_store.fit_and_save()
    finally:
        cache.delete(FIT_LOCK_KEY)
    logger.info("Refitted the recommender on %(ratings)s ratings in %(seconds).1f s", summary)
    return summary


def recommender_refit_if_due() -> dict | None:
    """Refit when enough reviews arrived since the last fit (or it never ran): `recommender_refit`."""
    return recommender_refit(only_if_due=True)
