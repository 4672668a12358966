"""Turn a ratings DataFrame into dense integer codes the models compute on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("user_id", "movie_id", "rating")
LOWEST_RATING = 0.5
HIGHEST_RATING = 5.0
# Ratings above this many stars are liked: the seeds of a recommendation, and what
# evaluation counts as relevant. The product's one threshold (../shared/API.md).
SEED_THRESHOLD = 3.5


@dataclass(frozen=True)
class IndexedRatings:
    """One row per (user, movie) pair, with both ids replaced by dense codes.

    `movie_ids[movie_codes[row]]` is the original movie id of a row; movie codes follow
    the sorted order of the ids, so equal inputs always give equal codes.
    """

    user_codes: np.ndarray
    movie_codes: np.ndarray
    ratings: np.ndarray
    movie_ids: np.ndarray
    user_count: int

    @property
    def movie_count(self) -> int:
        return len(self.movie_ids)


def index_ratings(ratings: pd.DataFrame) -> IndexedRatings:
    """Validate `ratings` and encode its ids as dense codes.

    Rows with a missing value are dropped; when a user rated the same movie twice, the
    last row wins. Raises ValueError when a column is missing, a rating lies outside
    0.5-5, or movie ids mix integers and strings.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in ratings.columns]
    if missing:
        raise ValueError(f"ratings lack the column(s) {missing}")
    frame = ratings[list(REQUIRED_COLUMNS)].dropna()
    rating_values = frame["rating"].to_numpy(dtype=np.float32)
    if len(rating_values) and (rating_values.min() < LOWEST_RATING or rating_values.max() > HIGHEST_RATING):
        raise ValueError(f"ratings must lie between {LOWEST_RATING} and {HIGHEST_RATING}")

    # Codes follow the sorted ids, so the same ratings in any row order give the same model.
    user_codes = _sorted_codes(frame["user_id"])
    movie_codes, movie_ids = pd.factorize(frame["movie_id"], sort=True)
    movie_codes = movie_codes.astype(np.int32)

    pair_keys = user_codes.astype(np.int64) * max(len(movie_ids), 1) + movie_codes
    keep = ~pd.Series(pair_keys).duplicated(keep="last").to_numpy()
    if not keep.all():
        user_codes, movie_codes, rating_values = (
            user_codes[keep],
            movie_codes[keep],
            rating_values[keep],
        )
    return IndexedRatings(
        user_codes=user_codes,
        movie_codes=movie_codes,
        ratings=rating_values,
        movie_ids=movie_id_array(movie_ids),
        user_count=int(user_codes.max(initial=-1)) + 1,
    )


def _sorted_codes(ids: pd.Series) -> np.ndarray:
    """Dense codes of `ids` in sorted id order (by their text when types are mixed)."""
    codes, uniques = pd.factorize(ids)
    try:
        order = np.argsort(np.asarray(uniques), kind="stable")
    except TypeError:
        order = np.argsort(np.asarray(uniques.astype(str)), kind="stable")
    rank = np.empty(len(uniques), dtype=np.int32)
    rank[order] = np.arange(len(uniques), dtype=np.int32)
    return rank[codes]


def movie_id_array(ids) -> np.ndarray:
    """Return `ids` as an int64 or unicode array, the two kinds a .npz stores without pickle.

    Raises ValueError for any other kind of id, such as a mix of integers and strings.
    """
    values = np.asarray(ids)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        return values.astype(np.int64)
    if values.dtype.kind == "U":
        return values
    if values.dtype.kind == "O":
        items = values.tolist()
        if all(isinstance(item, str) for item in items):
            return np.array(items, dtype=str) if items else np.array([], dtype="U1")
        if all(isinstance(item, int | np.integer) for item in items):
            return np.array(items, dtype=np.int64)
    raise ValueError("movie ids must be all integers or all strings")


def code_lookup(movie_ids: np.ndarray) -> dict:
    """Map each movie id to its code; numpy and Python scalars of equal value hash alike."""
    return dict(zip(movie_ids.tolist(), range(len(movie_ids)), strict=True))


def seed_codes(user_ratings: dict, lookup: dict, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Codes and ratings of the movies in `user_ratings` that the model knows and the user
    rated above `threshold`, in code order so the outcome never depends on dict order."""
    codes, values = [], []
    for movie_id, rating in user_ratings.items():
        code = lookup.get(movie_id)
        if code is not None and rating is not None and rating > threshold:
            codes.append(code)
            values.append(float(rating))
    order = np.argsort(codes, kind="stable")
    return np.asarray(codes, dtype=np.int64)[order], np.asarray(values, dtype=np.float64)[order]


def known_codes(movie_ids, lookup: dict) -> np.ndarray:
    """Codes of the ids in `movie_ids` that the model knows; unknown ids are skipped."""
    codes = [lookup.get(movie_id) for movie_id in movie_ids]
    return np.asarray([code for code in codes if code is not None], dtype=np.int64)
