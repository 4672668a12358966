"""The recommender on real ratings: MovieLens-100k, per-user temporal holdout, side by side.

    .venv/bin/python bench/recommender_real.py [--lambda 250]

MovieLens-100k ships inside the recbole 1.2.1 wheel on the package index. The first run
downloads that wheel (`pip download --no-deps`) into var/datasets/, which git ignores; the
ratings are read from it and never committed (the MovieLens licence forbids redistribution).

Protocol (issue #14): each user's latest 20% of ratings (by timestamp) are held out;
relevant = rated above 3.5. For every user with a relevant held-out movie, each model
recommends 10 movies from the user's training ratings, none of which may come back.
Reported: nDCG@10, precision@10, recall@10, catalogue coverage@10 (evaluation.evaluate),
each model in the same run, with its nDCG as a share of EASE's.

- popularity: PopularityModel, the same list for everyone;
- item-kNN cosine: cosine similarity of binarized item columns, scored from the liked
  seeds (rated above 3.5) only;
- EASE (Steck 2019): closed form on the binarized training matrix, lambda 250, with all
  of a user's training items as history;
- Scrapbook: the product's ItemSimilarityModel (seeds above 3.5; it learns from every rating).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from movie_module.recommender import SEED_THRESHOLD, ItemSimilarityModel, PopularityModel  # noqa: E402
from movie_module.recommender.evaluation import evaluate  # noqa: E402

DATASETS = REPOSITORY / "var" / "datasets"
RECBOLE_WHEEL = "recbole==1.2.1"
INTERACTIONS = "recbole/dataset_example/ml-100k/ml-100k.inter"


def movielens_100k() -> pd.DataFrame:
    """The 100,000 ratings: columns user_id, movie_id, rating, timestamp."""
    wheels = sorted(DATASETS.glob("recbole-1.2.1-*.whl"))
    if not wheels:
        DATASETS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                RECBOLE_WHEEL,
                "-d",
                str(DATASETS),
            ],
            check=True,
        )
        wheels = sorted(DATASETS.glob("recbole-1.2.1-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        raw = wheel.read(INTERACTIONS)
    ratings = pd.read_csv(io.BytesIO(raw), sep="\t")
    ratings.columns = ["user_id", "movie_id", "rating", "timestamp"]
    return ratings


def temporal_holdout(ratings: pd.DataFrame, fraction: float = 0.2, min_ratings: int = 5):
    """(train, test): each user's latest `fraction` of ratings (at least one) held out, for
    users with at least `min_ratings`; ties in time keep the file's order."""
    ordered = ratings.reset_index(drop=True).sort_values(["user_id", "timestamp"], kind="stable")
    position = ordered.groupby("user_id").cumcount()
    counts = ordered.groupby("user_id")["movie_id"].transform("size")
    test_sizes = np.where(counts >= min_ratings, np.maximum(1, np.floor(fraction * counts + 0.5)), 0)
    in_test = position >= counts - test_sizes
    return ordered[~in_test].reset_index(drop=True), ordered[in_test].reset_index(drop=True)


class _ItemItem:
    """Scores a user's unseen movies as a sum of item-item weights over a history."""

    only_liked_history = False

    def _index(self, train: pd.DataFrame):
        self.movie_ids = np.sort(train["movie_id"].unique())
        self.code = {movie_id: code for code, movie_id in enumerate(self.movie_ids)}
        users, user_codes = np.unique(train["user_id"].to_numpy(), return_inverse=True)
        movie_codes = np.searchsorted(self.movie_ids, train["movie_id"].to_numpy())
        shape = (len(users), len(self.movie_ids))
        return sp.csr_matrix((np.ones(len(train)), (user_codes, movie_codes)), shape=shape)

    def recommend(self, user_ratings: dict, n: int = 10, exclude=()):
        history = [
            self.code[movie_id]
            for movie_id, rating in user_ratings.items()
            if movie_id in self.code and (rating > SEED_THRESHOLD or not self.only_liked_history)
        ]
        if not history:
            return []
        scores = np.asarray(self.weights[history].sum(axis=0)).ravel()
        seen = [self.code[movie_id] for movie_id in (*user_ratings, *exclude) if movie_id in self.code]
        scores[seen] = -np.inf
        best = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
        best = best[np.argsort(-scores[best])]
        return [(self.movie_ids[code], float(scores[code])) for code in best if np.isfinite(scores[code])]


class Ease(_ItemItem):
    def __init__(self, regularization: float = 250.0):
        self.regularization = regularization

    def fit(self, train: pd.DataFrame) -> Ease:
        matrix = self._index(train)
        gram = (matrix.T @ matrix).toarray()
        gram[np.diag_indices_from(gram)] += self.regularization
        inverse = np.linalg.inv(gram)
        self.weights = -inverse / np.diag(inverse)
        self.weights[np.diag_indices_from(self.weights)] = 0.0
        return self


class CosineKnn(_ItemItem):
    only_liked_history = True

    def fit(self, train: pd.DataFrame) -> CosineKnn:
        matrix = self._index(train)
        norms = np.sqrt(np.asarray(matrix.sum(axis=0)).ravel())
        normalised = matrix @ sp.diags(1.0 / np.maximum(norms, 1e-12))
        self.weights = (normalised.T @ normalised).toarray()
        np.fill_diagonal(self.weights, 0.0)
        return self


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lambda", dest="regularization", type=float, default=250.0)
    arguments = parser.parse_args()

    ratings = movielens_100k()
    train, test = temporal_holdout(ratings)
    fit_columns = ["user_id", "movie_id", "rating"]
    models = {
        "popularity": lambda: PopularityModel().fit(train[fit_columns]),
        "item-kNN cosine (liked seeds)": lambda: CosineKnn().fit(train),
        f"EASE (lambda {arguments.regularization:g})": lambda: Ease(arguments.regularization).fit(train),
        "Scrapbook ItemSimilarityModel": lambda: ItemSimilarityModel().fit(train[fit_columns]),
    }
    print(
        f"MovieLens-100k: {len(ratings)} ratings, {ratings['user_id'].nunique()} users, "
        f"{ratings['movie_id'].nunique()} movies; temporal holdout: {len(train)} train, {len(test)} test\n"
    )
    results = {}
    for name, build in models.items():
        started = time.perf_counter()
        model = build()
        fitted = time.perf_counter() - started
        results[name] = {**evaluate(model, train, test, k=10), "fit_seconds": fitted}
    ease = next(result["ndcg"] for name, result in results.items() if name.startswith("EASE"))
    print("| model | nDCG@10 | share of EASE | precision@10 | recall@10 | coverage@10 | users | fit s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        print(
            f"| {name} | {result['ndcg']:.4f} | {result['ndcg'] / ease:.2f} | {result['precision']:.4f} | "
            f"{result['recall']:.4f} | {result['coverage']:.3f} | {result['users']} | "
            f"{result['fit_seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
