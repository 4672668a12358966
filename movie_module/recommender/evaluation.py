"""Offline top-N evaluation on a per-user holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .corpus import SEED_THRESHOLD


def holdout_split(
    ratings: pd.DataFrame, fraction: float = 0.2, min_ratings: int = 5, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split `ratings` into (train, test) by holding out a fixed random `fraction` of each
    user's ratings (at least one).

    Only users with at least `min_ratings` ratings give any to test; the others stay
    whole in train. The same `seed` and input always give the same split.
    """
    user_codes = pd.factorize(ratings["user_id"])[0]
    counts = np.bincount(user_codes)
    random_keys = np.random.default_rng(seed).random(len(ratings))
    order = np.lexsort((random_keys, user_codes))
    # Position of each row among its user's rows, in random order.
    group_starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.empty(len(ratings), dtype=np.int64)
    position[order] = np.arange(len(ratings)) - group_starts[user_codes[order]]
    test_sizes = np.where(counts >= min_ratings, np.maximum(1, np.floor(fraction * counts + 0.5)), 0)
    in_test = position < test_sizes[user_codes]
    return ratings[~in_test].reset_index(drop=True), ratings[in_test].reset_index(drop=True)


def evaluate(
    model, train: pd.DataFrame, test: pd.DataFrame, k: int = 10, relevant_threshold: float = SEED_THRESHOLD
) -> dict[str, float]:
    """Score `model`'s top-`k` lists against the held-out ratings.

    For every user with at least one relevant held-out movie (rated above
    `relevant_threshold`), the model recommends from the user's train ratings; movies in
    them are excluded. Returns the means over those users of precision@k, recall@k
    (hits / relevant held-out movies) and binary nDCG@k, plus catalogue coverage (share
    of train movies that appear in any list) and the number of users evaluated.
    """
    relevant = test[test["rating"] > relevant_threshold]
    relevant_by_user = relevant.groupby("user_id", sort=True)["movie_id"].agg(set)
    users = relevant_by_user.index
    own = train[train["user_id"].isin(users)]
    own = own.sort_values("user_id", kind="stable")
    own_users = own["user_id"].to_numpy()
    own_movies = own["movie_id"].to_numpy().tolist()
    own_ratings = own["rating"].to_numpy(dtype=np.float64).tolist()
    boundaries = (
        np.searchsorted(own_users, users.to_numpy(), side="left"),
        np.searchsorted(own_users, users.to_numpy(), side="right"),
    )

    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal_gains = np.cumsum(discounts)
    precision, recall, ndcg = [], [], []
    recommended_anywhere: set = set()
    for index, relevant_movies in enumerate(relevant_by_user.to_numpy()):
        start, stop = boundaries[0][index], boundaries[1][index]
        user_ratings = dict(zip(own_movies[start:stop], own_ratings[start:stop], strict=True))
        recommended = [movie for movie, _ in model.recommend(user_ratings, n=k)]
        recommended_anywhere.update(recommended)
        hits = np.array([movie in relevant_movies for movie in recommended], dtype=bool)
        hit_count = int(hits.sum())
        precision.append(hit_count / k)
        recall.append(hit_count / len(relevant_movies))
        ideal = ideal_gains[min(len(relevant_movies), k) - 1]
        ndcg.append(float(discounts[: len(hits)][hits].sum()) / ideal)

    catalogue = set(train["movie_id"].unique().tolist())
    covered = len(recommended_anywhere & catalogue)
    return {
        "precision": float(np.mean(precision)) if precision else 0.0,
        "recall": float(np.mean(recall)) if recall else 0.0,
        "ndcg": float(np.mean(ndcg)) if ndcg else 0.0,
        "coverage": covered / len(catalogue) if catalogue else 0.0,
        "users": len(precision),
    }


def calibration_deciles(
    model, train: pd.DataFrame, test: pd.DataFrame, k: int = 10, relevant_threshold: float = SEED_THRESHOLD
) -> list[dict[str, float]]:
    """How well `model`'s scores read as chances: its top-`k` lists for every user with
    held-out ratings, cut into ten equal-sized groups by score; per group the mean
    score / 10 (the promised chance) and the share of movies the user then rated above
    `relevant_threshold` (what happened)."""
    liked = set(
        map(tuple, test.loc[test["rating"] > relevant_threshold, ["user_id", "movie_id"]].to_numpy().tolist())
    )
    tested = set(test["user_id"].unique().tolist())
    scores, outcomes = [], []
    for user_id, rows in train[train["user_id"].isin(tested)].groupby("user_id", sort=True):
        user_ratings = dict(zip(rows["movie_id"].tolist(), rows["rating"].tolist(), strict=True))
        for movie_id, score in model.recommend(user_ratings, n=k):
            scores.append(score)
            outcomes.append((user_id, movie_id) in liked)
    if not scores:
        return []
    scores, outcomes = np.asarray(scores), np.asarray(outcomes, dtype=float)
    order = np.argsort(scores, kind="stable")
    return [
        {
            "count": len(group),
            "promised": float(scores[group].mean() / 10),
            "observed": float(outcomes[group].mean()),
            "lowest": float(scores[group].min()),
            "highest": float(scores[group].max()),
        }
        for group in np.array_split(order, 10)
        if len(group)
    ]
