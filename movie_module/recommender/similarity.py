"""Item-item collaborative filtering: "people who loved your favourites also loved..."."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .calibration import ScoreCalibration
from .corpus import SEED_THRESHOLD, code_lookup, index_ratings, known_codes
from .ranking import best_first
from .storage import load_arrays, save_arrays
from .weights import liked_item_weights


class ItemSimilarityModel:
    """Recommends the movies that the movies a user rated above 3.5 point to.

    The similarities are item-item weights learnt in closed form from who liked what
    (EASE, Steck 2019; see weights.py): the model learns from every liked rating, and
    each movie keeps its `keep` strongest weights. A user's seeds (ratings above 3.5)
    vote with those weights; recent seeds count more than old ones (weight
    exp(-recency * share of the user's ratings given since), so tastes that moved on
    fade), because the next films a person watches follow what they watch now.

    The defaults were chosen on real ratings (MovieLens-100k, bench/recommender_real.py)
    on a validation split carved out of the training data, then checked once on the
    test split: regularization 250, recency 2, popularity exponent 0.2, 200 weights a
    movie. `dense_limit` bounds the cubic part of the fit (weights.py).
    """

    model_kind = "item_similarity"

    def __init__(
        self,
        *,
        regularization: float = 250.0,
        recency: float = 2.0,
        popularity_exponent: float = 0.2,
        keep: int = 200,
        dense_limit: int = 12_000,
    ) -> None:
        self.regularization = regularization
        self.recency = recency
        self.popularity_exponent = popularity_exponent
        self.keep = keep
        self.dense_limit = dense_limit
        self.calibration = ScoreCalibration()
        self._set_state(
            movie_ids=np.zeros(0, dtype=np.int64),
            similarity=sp.csr_matrix((0, 0), dtype=np.float32),
            tie_rank=np.zeros(0, dtype=np.int64),
        )

    def fit(self, ratings: pd.DataFrame) -> ItemSimilarityModel:
        """Learn the weights of every movie from `ratings` (columns user_id, movie_id,
        rating) and return the model itself. An empty frame gives a model that recommends
        nothing. Raises ValueError for malformed ratings (see corpus.index_ratings). The
        calibration is left as it was: `calibration.fit_calibrated` sets it."""
        indexed = index_ratings(ratings)
        movie_count = indexed.movie_count
        liked = indexed.ratings > SEED_THRESHOLD
        liked_matrix = sp.csr_matrix(
            (
                np.ones(int(liked.sum()), dtype=np.float32),
                (indexed.user_codes[liked], indexed.movie_codes[liked]),
            ),
            shape=(indexed.user_count, movie_count),
        )
        tie_rank = _popularity_rank(np.bincount(indexed.movie_codes, minlength=movie_count))
        similarity = liked_item_weights(
            liked_matrix,
            regularization=self.regularization,
            dense_limit=self.dense_limit,
            keep=self.keep,
            popularity_exponent=self.popularity_exponent,
            tie_rank=tie_rank,
        )
        self._set_state(movie_ids=indexed.movie_ids, similarity=similarity, tie_rank=tie_rank)
        return self

    def recommend(
        self, user_ratings: dict, n: int = 10, exclude: Iterable = ()
    ) -> list[tuple[object, float]]:
        """Return up to `n` (movie_id, score) pairs for one user, best first.

        `user_ratings` maps movie ids to that user's ratings, oldest first (dicts keep
        their order); the movies rated above 3.5 are the seeds. The score is 10 times the
        chance that the user will rate the movie above 3.5, as measured when the model
        was fitted (calibration.py). Movies in `user_ratings` or `exclude` are never
        returned; unknown ids are ignored. Fewer than `n` pairs come back when few movies
        are linked to the seeds, and none when no seed is known.
        """
        pairs = self.raw_recommend(user_ratings, n=n, exclude=exclude)
        if not pairs:
            return []
        movie_ids, raw = zip(*pairs, strict=True)
        return list(zip(movie_ids, self.calibration.scores(np.asarray(raw)).tolist(), strict=True))

    def raw_recommend(
        self, user_ratings: dict, n: int = 10, exclude: Iterable = ()
    ) -> list[tuple[object, float]]:
        """`recommend` with the uncalibrated scores: the sum of the seeds' weights."""
        if n <= 0 or not user_ratings:
            return []
        seeds, ages = self._seeds(user_ratings)
        if len(seeds) == 0:
            return []
        votes = np.exp(-self.recency * ages)
        starts, stops = self._indptr[seeds], self._indptr[seeds + 1]
        lengths = stops - starts
        positions = np.repeat(stops - lengths.cumsum(), lengths) + np.arange(lengths.sum())
        evidence = np.bincount(
            self._indices[positions],
            weights=self._data[positions] * np.repeat(votes, lengths),
            minlength=len(self.movie_ids),
        )
        evidence[known_codes(user_ratings.keys(), self._lookup)] = 0.0
        evidence[known_codes(exclude, self._lookup)] = 0.0
        candidates = np.flatnonzero(evidence > 0)
        chosen, chosen_scores = best_first(candidates, evidence[candidates], self._tie_rank, n)
        return list(zip(self.movie_ids[chosen].tolist(), chosen_scores.tolist(), strict=True))

    def _seeds(self, user_ratings: dict) -> tuple[np.ndarray, np.ndarray]:
        """Codes of the known seeds, and each one's age: the share of the user's known
        ratings given after it (0 for the latest). Movies the model does not know are
        ignored here as everywhere."""
        known = [
            (code, rating)
            for code, rating in (
                (self._lookup.get(movie_id), rating) for movie_id, rating in user_ratings.items()
            )
            if code is not None
        ]
        total = len(known)
        codes, ages = [], []
        for position, (code, rating) in enumerate(known):
            if rating is not None and rating > SEED_THRESHOLD:
                codes.append(code)
                ages.append((total - 1 - position) / total)
        return np.asarray(codes, dtype=np.int64), np.asarray(ages, dtype=np.float64)

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to `path` (.npz, no pickle), replacing it atomically."""
        save_arrays(
            path,
            self.model_kind,
            {
                "movie_ids": self.movie_ids,
                "indptr": self._indptr,
                "indices": self._indices,
                "similarities": self._data,
                "tie_rank": self._tie_rank,
                "regularization": np.float64(self.regularization),
                "recency": np.float64(self.recency),
                "popularity_exponent": np.float64(self.popularity_exponent),
                "keep": np.int64(self.keep),
                "dense_limit": np.int64(self.dense_limit),
                **self.calibration.to_arrays(),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> ItemSimilarityModel:
        """Read a model written by `save`. Raises storage.ModelFileError for a file of
        another kind or format version, OSError when it cannot be read."""
        arrays = load_arrays(path, cls.model_kind)
        model = cls(
            regularization=float(arrays["regularization"]),
            recency=float(arrays["recency"]),
            popularity_exponent=float(arrays["popularity_exponent"]),
            keep=int(arrays["keep"]),
            dense_limit=int(arrays["dense_limit"]),
        )
        model.calibration = ScoreCalibration.from_arrays(arrays)
        movie_count = len(arrays["movie_ids"])
        similarity = sp.csr_matrix(
            (arrays["similarities"], arrays["indices"], arrays["indptr"]),
            shape=(movie_count, movie_count),
        )
        model._set_state(movie_ids=arrays["movie_ids"], similarity=similarity, tie_rank=arrays["tie_rank"])
        return model

    @property
    def movie_count(self) -> int:
        """How many movies the model knows (every movie of the fitted ratings)."""
        return len(self.movie_ids)

    def _set_state(self, *, movie_ids: np.ndarray, similarity: sp.csr_matrix, tie_rank: np.ndarray) -> None:
        self.movie_ids = movie_ids
        self._lookup = code_lookup(movie_ids)
        self._indptr = similarity.indptr.astype(np.int64)
        self._indices = similarity.indices.astype(np.int32)
        self._data = similarity.data.astype(np.float32)
        self._tie_rank = tie_rank.astype(np.int64)


def _popularity_rank(support: np.ndarray) -> np.ndarray:
    """Rank of each movie by rating count (most rated first), then by id; used to break
    ties so equal scores always come back in the same order."""
    order = np.lexsort((np.arange(len(support)), -support))
    rank = np.empty(len(support), dtype=np.int64)
    rank[order] = np.arange(len(support))
    return rank
