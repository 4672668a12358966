"""Popularity ranking: the cold-start answer and the baseline the similarity model must beat."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .calibration import ScoreCalibration
from .corpus import code_lookup, index_ratings, known_codes
from .storage import load_arrays, save_arrays


class PopularityModel:
    """Ranks movies by their damped mean rating, the same list for everyone.

    The damped mean (sum of ratings + prior_strength * global mean) / (count +
    prior_strength) is a Bayesian average: a movie needs many ratings to move far from the
    global mean, so a handful of 5s cannot beat a classic with thousands of 4.5s.
    """

    model_kind = "popularity"

    def __init__(self, *, prior_strength: float = 100.0) -> None:
        self.prior_strength = prior_strength
        self.calibration = ScoreCalibration()
        self._set_state(movie_ids=np.zeros(0, dtype=np.int64), scores=np.zeros(0))

    def fit(self, ratings: pd.DataFrame) -> PopularityModel:
        """Learn each movie's damped mean from `ratings` (columns user_id, movie_id, rating)
        and return the model itself. Raises ValueError for malformed ratings."""
        indexed = index_ratings(ratings)
        counts = np.bincount(indexed.movie_codes, minlength=indexed.movie_count)
        totals = np.bincount(indexed.movie_codes, weights=indexed.ratings, minlength=indexed.movie_count)
        return self.fit_totals(indexed.movie_ids, counts, totals)

    def fit_totals(self, movie_ids, counts, totals) -> PopularityModel:
        """Learn from each movie's rating count and sum of ratings (arrays in the same order),
        as a database's GROUP BY gives them; return the model itself."""
        movie_ids, counts = np.asarray(movie_ids), np.asarray(counts, dtype=np.float64)
        totals = np.asarray(totals, dtype=np.float64)
        global_mean = float(totals.sum() / counts.sum()) if counts.sum() else 0.0
        damped_means = (totals + self.prior_strength * global_mean) / (counts + self.prior_strength)
        scores = damped_means
        # Ties go to the more rated movie, then to the smaller id.
        order = np.lexsort((movie_ids, -counts, -scores))
        self._set_state(movie_ids=movie_ids[order], scores=scores[order])
        return self

    def most_popular(self, n: int = 10, exclude: Iterable = ()) -> list[tuple[object, float]]:
        """Return the `n` best (movie_id, score) pairs not in `exclude`, best first. The
        score is 10 times the chance that someone will rate the movie above 3.5, as
        measured when the model was fitted (calibration.py); before any calibration,
        twice the damped mean rating. Unknown ids in `exclude` are ignored."""
        pairs = self._most_popular_raw(n, exclude)
        if not pairs:
            return []
        movie_ids, raw = zip(*pairs, strict=True)
        if self.calibration.fitted:
            scores = self.calibration.scores(np.asarray(raw))
        else:
            scores = 2.0 * np.asarray(raw)
        return list(zip(movie_ids, scores.tolist(), strict=True))

    def raw_recommend(
        self, user_ratings: dict, n: int = 10, exclude: Iterable = ()
    ) -> list[tuple[object, float]]:
        """`recommend` with the uncalibrated scores: the damped mean ratings."""
        return self._most_popular_raw(n, [*user_ratings.keys(), *exclude])

    def _most_popular_raw(self, n: int, exclude: Iterable) -> list[tuple[object, float]]:
        if n <= 0:
            return []
        excluded = np.unique(known_codes(exclude, self._lookup))
        # Positions are ranks, so the first n + len(excluded) hold the answer.
        head = np.arange(min(len(self.movie_ids), n + len(excluded)))
        head = head[~np.isin(head, excluded)][:n]
        return list(zip(self.movie_ids[head].tolist(), self._scores[head].tolist(), strict=True))

    def recommend(
        self, user_ratings: dict, n: int = 10, exclude: Iterable = ()
    ) -> list[tuple[object, float]]:
        """Same answer as `most_popular`, minus every movie in `user_ratings`; the
        ratings themselves are ignored."""
        return self.most_popular(n, exclude=[*user_ratings.keys(), *exclude])

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to `path` (.npz, no pickle), replacing it atomically."""
        save_arrays(
            path,
            self.model_kind,
            {
                "movie_ids": self.movie_ids,
                "scores": self._scores,
                "prior_strength": np.float64(self.prior_strength),
                **self.calibration.to_arrays(),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> PopularityModel:
        """Read a model written by `save`. Raises storage.ModelFileError for a file of
        another kind or format version, OSError when it cannot be read."""
        arrays = load_arrays(path, cls.model_kind)
        model = cls(prior_strength=float(arrays["prior_strength"]))
        model.calibration = ScoreCalibration.from_arrays(arrays)
        model._set_state(movie_ids=arrays["movie_ids"], scores=arrays["scores"])
        return model

    def _set_state(self, *, movie_ids: np.ndarray, scores: np.ndarray) -> None:
        # Stored in rank order: position 0 is the best movie.
        self.movie_ids = movie_ids
        self._scores = scores.astype(np.float64)
        self._lookup = code_lookup(movie_ids)
