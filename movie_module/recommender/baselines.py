"""The yardsticks the product's model is measured against (bench/recommender_real.py,
`manage.py evaluate_recommender`): published item-item models, fitted the textbook way."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .corpus import SEED_THRESHOLD


class _ItemItem:
    """Scores a user's unseen movies as a sum of dense item-item weights over a history."""

    only_liked_history = False

    def _binary_matrix(self, train: pd.DataFrame) -> sp.csr_matrix:
        self.movie_ids = np.sort(train["movie_id"].unique())
        self._codes = {movie_id: code for code, movie_id in enumerate(self.movie_ids.tolist())}
        users, user_codes = np.unique(train["user_id"].to_numpy(), return_inverse=True)
        movie_codes = np.searchsorted(self.movie_ids, train["movie_id"].to_numpy())
        shape = (len(users), len(self.movie_ids))
        return sp.csr_matrix((np.ones(len(train)), (user_codes, movie_codes)), shape=shape)

    def recommend(
        self, user_ratings: dict, n: int = 10, exclude: Iterable = ()
    ) -> list[tuple[object, float]]:
        history = [
            self._codes[movie_id]
            for movie_id, rating in user_ratings.items()
            if movie_id in self._codes and (rating > SEED_THRESHOLD or not self.only_liked_history)
        ]
        if not history or n <= 0:
            return []
        scores = self.weights[history].sum(axis=0)
        seen = [self._codes[movie_id] for movie_id in (*user_ratings, *exclude) if movie_id in self._codes]
        scores[seen] = -np.inf
        best = np.argsort(-scores, kind="stable")[:n]
        return [
            (self.movie_ids[code].item(), float(scores[code])) for code in best if np.isfinite(scores[code])
        ]


class Ease(_ItemItem):
    """EASE (Steck 2019): closed form on the binarized ratings, every rated movie as history."""

    def __init__(self, regularization: float = 250.0) -> None:
        self.regularization = regularization

    def fit(self, train: pd.DataFrame) -> Ease:
        matrix = self._binary_matrix(train)
        gram = (matrix.T @ matrix).toarray()
        gram[np.diag_indices_from(gram)] += self.regularization
        inverse = np.linalg.inv(gram)
        self.weights = -inverse / np.diag(inverse)
        np.fill_diagonal(self.weights, 0.0)
        return self


class CosineKnn(_ItemItem):
    """Item-kNN: cosine of the binarized item columns, scored from the liked seeds only."""

    only_liked_history = True

    def fit(self, train: pd.DataFrame) -> CosineKnn:
        matrix = self._binary_matrix(train)
        norms = np.sqrt(np.asarray(matrix.sum(axis=0)).ravel())
        normalised = matrix @ sp.diags(1.0 / np.maximum(norms, 1e-12))
        self.weights = (normalised.T @ normalised).toarray()
        np.fill_diagonal(self.weights, 0.0)
        return self
