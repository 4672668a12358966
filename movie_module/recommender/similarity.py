"""Item-item collaborative filtering: "people who loved your favourites also loved..."."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .corpus import code_lookup, index_ratings, known_codes, seed_codes
from .neighbours import top_k_similarities
from .ranking import best_first
from .storage import load_arrays, save_arrays

# Ratings above this many stars are liked: the seeds of a recommendation, and what
# evaluation counts as relevant. The product's one threshold (../shared/API.md).
SEED_THRESHOLD = 3.5


class ItemSimilarityModel:
    """Recommends movies similar to those a user rated above 3.5.

    Each rating becomes (rating - user's mean + centre_offset): with the offset at 0 this
    is the adjusted cosine of the literature; the default 1.0 centres a user one star
    below their mean, so a merely average rating still counts as mild liking, because
    for top-N lists having watched a movie at all is strong evidence (Cremonesi et al.,
    2010). Two movies' similarity is the cosine of these columns times
    n_common / (n_common + shrinkage), so a pair that few users rated together counts
    little. Each movie keeps its `neighbours` most similar movies; only movies with at
    least `min_support` ratings take part. A user with more than `max_user_ratings`
    ratings lends a fixed sample of that many to the similarities: such a user costs the
    square of their count, and rating nearly everything says little about any one pair.

    The defaults are the production settings, tuned for nDCG@10 on synthetic corpora of
    100k, 1M and 10M ratings (bench/recommender.py): short neighbour lists (20) beat long
    ones, the best shrinkage grew with the corpus roughly like sqrt(users) (what
    shrinkage=None uses), and the 1000-rating cap halved the 10M fit while raising nDCG.
    """

    model_kind = "item_similarity"

    def __init__(
        self,
        *,
        neighbours: int = 20,
        shrinkage: float | None = None,
        min_support: int = 5,
        centre_offset: float = 1.0,
        max_user_ratings: int | None = 1000,
        threads: int | None = None,
    ) -> None:
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.centre_offset = centre_offset
        self.max_user_ratings = max_user_ratings
        # None: one worker per core, up to four.
        self.threads = threads
        self._set_state(
            movie_ids=np.zeros(0, dtype=np.int64),
            similarity=sp.csr_matrix((0, 0), dtype=np.float32),
            tie_rank=np.zeros(0, dtype=np.int64),
        )

    def fit(self, ratings: pd.DataFrame) -> ItemSimilarityModel:
        """Learn the neighbours of every movie from `ratings` (columns user_id, movie_id,
        rating) and return the model itself. An empty frame gives a model that recommends
        nothing. Raises ValueError for malformed ratings (see corpus.index_ratings)."""
        indexed = index_ratings(ratings)
        movie_count = indexed.movie_count
        user_means = _user_means(indexed.user_codes, indexed.ratings, indexed.user_count)
        centred = indexed.ratings - user_means[indexed.user_codes] + self.centre_offset
        kept = _sample_heavy_users(indexed.user_codes, indexed.movie_codes, self.max_user_ratings)
        user_items = sp.csr_matrix(
            (centred[kept], (indexed.user_codes[kept], indexed.movie_codes[kept])),
            shape=(indexed.user_count, movie_count),
            dtype=np.float32,
        )
        support = np.bincount(indexed.movie_codes, minlength=movie_count)
        tie_rank = _popularity_rank(support)
        similarity = top_k_similarities(
            user_items,
            neighbours=self.neighbours,
            shrinkage=self.effective_shrinkage(indexed.user_count),
            eligible=support >= self.min_support,
            tie_rank=tie_rank,
            threads=self.threads,
        )
        self._set_state(movie_ids=indexed.movie_ids, similarity=similarity, tie_rank=tie_rank)
        return self

    def effective_shrinkage(self, user_count: int) -> float:
        """The shrinkage used for a corpus of `user_count` users: the configured value, or
        sqrt(user_count) when it is None."""
        if self.shrinkage is not None:
            return float(self.shrinkage)
        return float(np.sqrt(user_count))

    def recommend(
        self, user_ratings: dict, n: int = 10, exclude: Iterable = ()
    ) -> list[tuple[object, float]]:
        """Return up to `n` (movie_id, score) pairs for one user, best first.

        `user_ratings` maps movie ids to that user's ratings; the movies rated above 3.5
        are the seeds. The score (0-10) is 10 * (1 - exp(-evidence)), where evidence sums,
        over the seeds, the seed's similarity to the movie weighted by how far the seed's
        rating lies above 3.5 (a 5 counts fully). Read it as the chance that at least one
        of the user's favourites vouches for the movie. Movies in `user_ratings` or
        `exclude` are never returned; unknown ids are ignored. Fewer than `n` pairs come
        back when few movies neighbour the seeds, and none when no seed is known.
        """
        if n <= 0 or not user_ratings:
            return []
        seeds, seed_ratings = seed_codes(user_ratings, self._lookup, SEED_THRESHOLD)
        if len(seeds) == 0:
            return []
        # A seed rated 5 counts fully, one rated 4 a third as much.
        weights = np.minimum((seed_ratings - SEED_THRESHOLD) / (5.0 - SEED_THRESHOLD), 1.0)
        starts, stops = self._indptr[seeds], self._indptr[seeds + 1]
        lengths = stops - starts
        positions = np.repeat(stops - lengths.cumsum(), lengths) + np.arange(lengths.sum())
        evidence = np.bincount(
            self._indices[positions],
            weights=self._data[positions] * np.repeat(weights, lengths),
            minlength=len(self.movie_ids),
        )
        evidence[known_codes(user_ratings.keys(), self._lookup)] = 0.0
        evidence[known_codes(exclude, self._lookup)] = 0.0
        candidates = np.flatnonzero(evidence > 0)
        scores = 10.0 * -np.expm1(-evidence[candidates])
        chosen, chosen_scores = best_first(candidates, scores, self._tie_rank, n)
        return list(zip(self.movie_ids[chosen].tolist(), chosen_scores.tolist(), strict=True))

    def similar(self, movie_id, n: int = 10) -> list[tuple[object, float]]:
        """Return up to `n` (movie_id, score) neighbours of `movie_id`, best first.

        The score is 10 times the shrunk adjusted-cosine similarity (at most 10). An
        unknown movie, or one with too few ratings to have neighbours, gives [].
        """
        code = self._lookup.get(movie_id)
        if code is None or n <= 0:
            return []
        start, stop = self._indptr[code], self._indptr[code + 1]
        # Rows are stored best first with ties already settled by popularity then id.
        stop = min(stop, start + n)
        neighbour_ids = self.movie_ids[self._indices[start:stop]].tolist()
        scores = (10.0 * self._data[start:stop].astype(np.float64)).tolist()
        return list(zip(neighbour_ids, scores, strict=True))

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
                "neighbours": np.int64(self.neighbours),
                # NaN stands for None (shrinkage from the corpus size).
                "shrinkage": np.float64(np.nan if self.shrinkage is None else self.shrinkage),
                "min_support": np.int64(self.min_support),
                "centre_offset": np.float64(self.centre_offset),
                # 0 stands for None (no cap).
                "max_user_ratings": np.int64(self.max_user_ratings or 0),
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> ItemSimilarityModel:
        """Read a model written by `save`. Raises storage.ModelFileError for a file of
        another kind or format version, OSError when it cannot be read."""
        arrays = load_arrays(path, cls.model_kind)
        shrinkage = float(arrays["shrinkage"])
        model = cls(
            neighbours=int(arrays["neighbours"]),
            shrinkage=None if np.isnan(shrinkage) else shrinkage,
            min_support=int(arrays["min_support"]),
            centre_offset=float(arrays["centre_offset"]),
            max_user_ratings=int(arrays["max_user_ratings"]) or None,
        )
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


def _sample_heavy_users(user_codes: np.ndarray, movie_codes: np.ndarray, cap: int | None) -> np.ndarray:
    """Mask keeping every rating of users with at most `cap` ratings and a fixed
    pseudo-random `cap` of the others'. The choice hashes the (user, movie) codes, so it
    depends on which ratings exist, never on their row order."""
    counts = np.bincount(user_codes)
    kept = np.ones(len(user_codes), dtype=bool)
    if cap is None or counts.max(initial=0) <= cap:
        return kept
    heavy_rows = np.flatnonzero(counts[user_codes] > cap)
    heavy_users = user_codes[heavy_rows].astype(np.uint64)
    # Multiplicative hashing (Knuth): cheap, well spread, reproducible.
    keys = (
        heavy_users * np.uint64(0x9E3779B1)
        + movie_codes[heavy_rows].astype(np.uint64) * np.uint64(0x85EBCA77)
    ) & np.uint64(0xFFFFFFFF)
    order = np.lexsort((keys, heavy_users))
    sorted_users = heavy_users[order]
    position = np.arange(len(order)) - np.searchsorted(sorted_users, sorted_users)
    kept[heavy_rows[order[position >= cap]]] = False
    return kept


def _user_means(user_codes: np.ndarray, ratings: np.ndarray, user_count: int) -> np.ndarray:
    totals = np.bincount(user_codes, weights=ratings, minlength=user_count)
    counts = np.bincount(user_codes, minlength=user_count)
    return (totals / np.maximum(counts, 1)).astype(np.float32)


def _popularity_rank(support: np.ndarray) -> np.ndarray:
    """Rank of each movie by rating count (most rated first), then by id; used to break
    ties so equal scores always come back in the same order."""
    order = np.lexsort((np.arange(len(support)), -support))
    rank = np.empty(len(support), dtype=np.int64)
    rank[order] = np.arange(len(support))
    return rank
