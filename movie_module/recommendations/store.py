"""The fitted recommender on disk, and each worker's copy of it.

`fit_recommender` writes the model files atomically; every uvicorn worker loads them on
first use and picks up a newer fit by itself (it looks at the files' modification times
at most every few seconds), so a refit needs no restart.

The models and pandas are imported where they are first used: with SciPy and scikit-learn
they cost a process 1.3 s of CPU to import, which a server that is not asked for a
recommendation, a Celery worker or a management command should not pay at start-up.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Max

from movie_module.models import CorpusRating, Movie, MovieGenre, Review, Watch

if TYPE_CHECKING:
    import pandas as pd

    from movie_module.recommender import ItemSimilarityModel, PopularityModel
    from movie_module.recommender.similar_movies import SimilarMoviesModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FittedModels:
    similarity: ItemSimilarityModel
    popularity: PopularityModel
    # Each movie's title and year when the model was fitted: the model speaks titles, and
    # a title whose movie has since left the catalogue can still be resolved elsewhere.
    titles: dict[int, tuple[str, int | None]]
    fitted_at: float  # modification time of the similarity file
    similar_movies: SimilarMoviesModel | None = None  # None: fitted before it existed


def model_directory() -> Path:
    return Path(settings.RECOMMENDER_MODEL_DIR)


def similarity_path() -> Path:
    return model_directory() / "item_similarity.npz"


def popularity_path() -> Path:
    return model_directory() / "popularity.npz"


def similar_movies_path() -> Path:
    return model_directory() / "similar_movies.npz"


def titles_path() -> Path:
    return model_directory() / "titles.json"


def fit_marker_path() -> Path:
    """The last review id seen by the latest fit: how refits notice new reviews."""
    return model_directory() / "fitted_through_review.txt"


def site_ratings() -> pd.DataFrame:
    """This site's ratings, one per user and movie: the review's, else the latest rated watch's
    (as recommendations.services.recommend_for_user reads them), in the order they were given."""
    import pandas as pd

    columns = ["user_id", "movie_id", "rating", "created_at"]
    reviews = pd.DataFrame.from_records(
        Review.objects.values_list(*columns).iterator(chunk_size=20000), columns=columns
    )
    watches = pd.DataFrame.from_records(
        Watch.objects.filter(rating__isnull=False)
        .order_by("watched_on", "id")
        .values_list(*columns)
        .iterator(chunk_size=20000),
        columns=columns,
    )
    latest_watches = watches.drop_duplicates(["user_id", "movie_id"], keep="last")
    both = pd.concat([reviews, latest_watches], ignore_index=True)
    one_each = both.drop_duplicates(["user_id", "movie_id"], keep="first")  # the review first
    return one_each.sort_values("created_at", kind="stable").drop(columns="created_at")


def training_ratings() -> pd.DataFrame:
    """Every rating the model learns from: corpus ratings plus this site's (site_ratings).

    User ids are namespaced strings ("demo:17", "site:5") so a corpus user and a site
    user never merge; movie ids are Movie primary keys. Each user's rows come oldest
    first (site ratings by when they were given, corpus ratings in the order they were
    stored), which is the order the calibration's holdout and `recommend` read them in.
    """
    import pandas as pd

    corpus = pd.DataFrame.from_records(
        CorpusRating.objects.order_by("id")
        .values_list("source", "external_user_id", "movie_id", "rating")
        .iterator(chunk_size=20000),
        columns=["source", "external_user_id", "movie_id", "rating"],
    )
    site = site_ratings()
    corpus_frame = pd.DataFrame(
        {
            "user_id": corpus["source"].astype(str) + ":" + corpus["external_user_id"].astype(str),
            "movie_id": corpus["movie_id"].astype("int64"),
            "rating": corpus["rating"].astype("float64"),
        }
    )
    site_frame = pd.DataFrame(
        {
            "user_id": "site:" + site["user_id"].astype(str),
            "movie_id": site["movie_id"].astype("int64"),
            "rating": site["rating"].astype("float64"),
        }
    )
    return pd.concat([corpus_frame, site_frame], ignore_index=True)


def movie_facts() -> pd.DataFrame:
    """Every catalogue movie's facts, which "similar movies" compares (movie_id, title,
    year, genres, directors, cast, plot); the genres' names in a second query, by name."""
    import pandas as pd

    columns = ["id", "title", "year", "directors", "cast", "plot"]
    facts = pd.DataFrame.from_records(
        Movie.objects.order_by().values_list(*columns).iterator(chunk_size=5000), columns=columns
    )
    genres = defaultdict(list)
    links = MovieGenre.objects.order_by("movie_id", "genre__name").values_list("movie_id", "genre__name")
    for movie_id, name in links.iterator(chunk_size=5000):
        genres[movie_id].append(name)
    facts.insert(3, "genres", [genres.get(movie_id, []) for movie_id in facts["id"].tolist()])
    return facts.rename(columns={"id": "movie_id"})


def fit_and_save() -> dict:
    """Fit both models on every stored rating and replace the files atomically."""
    from movie_module.recommender import ItemSimilarityModel, PopularityModel, fit_calibrated
    from movie_module.recommender.similar_movies import SimilarMoviesModel

    last_review_id = Review.objects.aggregate(last=Max("id"))["last"] or 0
    started = time.perf_counter()
    ratings = training_ratings()
    similarity, popularity = fit_calibrated(ratings, lambda: [ItemSimilarityModel(), PopularityModel()])
    facts = movie_facts()
    similar_movies = SimilarMoviesModel().fit(ratings, facts)
    # Every catalogue movie: a rated one, or one that "similar movies" knows by its facts.
    titles = dict(zip(facts["movie_id"].tolist(), facts[["title", "year"]].values.tolist(), strict=True))
    model_directory().mkdir(parents=True, exist_ok=True)
    _write_atomically(titles_path(), json.dumps(titles))
    popularity.save(popularity_path())
    similar_movies.save(similar_movies_path())
    similarity.save(similarity_path())  # last: its mtime tells workers to reload
    _write_atomically(fit_marker_path(), str(last_review_id))
    worker_copy.forget()  # this process sees its own fit at once; others within seconds
    return {
        "ratings": len(ratings),
        "movies": similarity.movie_count,
        "seconds": time.perf_counter() - started,
    }


def reviews_since_last_fit() -> int | None:
    """How many reviews were written after the latest fit; None when never fitted."""
    try:
        fitted_through = int(fit_marker_path().read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return Review.objects.filter(id__gt=fitted_through).count()


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


class _WorkerCopy:
    """This process's loaded models, reloaded when the files change."""

    def __init__(self):
        self._lock = threading.Lock()
        self._models: FittedModels | None = None
        self._checked_at = 0.0

    def get(self) -> FittedModels | None:
        # How long a worker trusts its copy before looking at the files again.
        interval = settings.RECOMMENDER_RELOAD_CHECK_SECONDS
        now = time.monotonic()
        if now - self._checked_at < interval:
            return self._models
        with self._lock:
            if now - self._checked_at >= interval:
                self._models = self._load_if_newer()
                self._checked_at = time.monotonic()
        return self._models

    def forget(self) -> None:
        with self._lock:
            self._models = None
            self._checked_at = 0.0

    def _load_if_newer(self) -> FittedModels | None:
        try:
            modified = similarity_path().stat().st_mtime
        except FileNotFoundError:
            return None
        if self._models is not None and self._models.fitted_at == modified:
            return self._models
        from movie_module.recommender import ItemSimilarityModel, ModelFileError, PopularityModel

        try:
            titles = json.loads(titles_path().read_text())
            models = FittedModels(
                similarity=ItemSimilarityModel.load(similarity_path()),
                popularity=PopularityModel.load(popularity_path()),
                titles={int(movie_id): (title, year) for movie_id, (title, year) in titles.items()},
                fitted_at=modified,
                similar_movies=_similar_movies_if_fitted(),
            )
        except (OSError, ValueError, ModelFileError):
            logger.exception("Could not load the recommender; keeping the previous one")
            return self._models
        logger.info("Loaded the recommender fitted at %s", time.ctime(modified))
        return models


def _similar_movies_if_fitted() -> SimilarMoviesModel | None:
    from movie_module.recommender.similar_movies import SimilarMoviesModel

    if not similar_movies_path().exists():
        return None
    return SimilarMoviesModel.load(similar_movies_path())


worker_copy = _WorkerCopy()


def current_models() -> FittedModels | None:
    """The latest fitted models, or None when the recommender was never fitted."""
    return worker_copy.get()


async def load_in_background() -> None:
    """At a worker's start (RECOMMENDER_PRELOAD): the recommender's libraries imported and its
    fitted models loaded on a thread of their own, so that the worker's first caller of
    recommendations does not wait for them (1.3 s with the demo data, against 11 ms after)."""
    if settings.RECOMMENDER_PRELOAD:
        threading.Thread(target=current_models, name="recommender-preload", daemon=True).start()
