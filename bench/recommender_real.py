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
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from movie_module.recommender import ItemSimilarityModel, fit_calibrated  # noqa: E402
from movie_module.recommender.comparison import compare, markdown_report, standard_models  # noqa: E402

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


def ablations() -> dict:
    """The product's model with one of its parts taken out at a time."""
    variants = {
        "without recency weighting": {"recency": 0.0},
        "without popularity penalty": {"popularity_exponent": 0.0},
        "without either (EASE on liked seeds)": {"recency": 0.0, "popularity_exponent": 0.0},
    }

    def fitter(settings: dict):
        return lambda train: fit_calibrated(train, lambda: [ItemSimilarityModel(**settings)])[0]

    return {f"Scrapbook {name}": fitter(settings) for name, settings in variants.items()}


def implicit_models() -> dict:
    """implicit's models where it is installed (requirements-bench.txt), each scored from
    every rated movie of the user, as implicit's recommend does."""
    try:
        import implicit.als
        import implicit.nearest_neighbours
    except ImportError:
        return {}

    class Implicit:
        def __init__(self, build):
            self.build = build

        def fit(self, train: pd.DataFrame):
            self.movie_ids = np.sort(train["movie_id"].unique())
            self.codes = {movie_id: code for code, movie_id in enumerate(self.movie_ids.tolist())}
            users, user_codes = np.unique(train["user_id"].to_numpy(), return_inverse=True)
            movie_codes = np.searchsorted(self.movie_ids, train["movie_id"].to_numpy())
            self.model = self.build()
            matrix = sp.csr_matrix(
                (np.ones(len(train), dtype=np.float32), (user_codes, movie_codes)),
                shape=(len(users), len(self.movie_ids)),
            )
            self.model.fit(matrix, show_progress=False)
            return self

        def recommend(self, user_ratings: dict, n: int = 10, exclude=()):
            codes = [self.codes[movie_id] for movie_id in user_ratings if movie_id in self.codes]
            if not codes:
                return []
            row = sp.csr_matrix(
                (np.ones(len(codes), dtype=np.float32), ([0] * len(codes), codes)),
                shape=(1, len(self.movie_ids)),
            )
            ids, scores = self.model.recommend(
                0, row, N=n, filter_already_liked_items=True, recalculate_user=True
            )
            return [
                (self.movie_ids[code].item(), float(score)) for code, score in zip(ids, scores, strict=True)
            ]

    return {
        "implicit ALS (64 factors)": lambda train: Implicit(
            lambda: implicit.als.AlternatingLeastSquares(factors=64, iterations=15, random_state=0)
        ).fit(train),
        "implicit BM25 item-kNN": lambda train: Implicit(
            lambda: implicit.nearest_neighbours.BM25Recommender(K=100)
        ).fit(train),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lambda", dest="regularization", type=float, default=250.0)
    parser.add_argument("--skip-implicit", action="store_true")
    parser.add_argument(
        "--ablation", action="store_true", help="also the product's model without each of its parts"
    )
    arguments = parser.parse_args()

    ratings = movielens_100k()
    models = standard_models(arguments.regularization)
    if not arguments.skip_implicit:
        models.update(implicit_models())
    if arguments.ablation:
        models.update(ablations())
    print(
        f"MovieLens-100k: {len(ratings)} ratings, {ratings['user_id'].nunique()} users, "
        f"{ratings['movie_id'].nunique()} movies; each user's latest 20% held out\n"
    )
    rows, extra = compare(ratings, models)
    print(f"{extra['train']} train, {extra['test']} test ratings\n")
    print(markdown_report(rows, extra["deciles"]))


if __name__ == "__main__":
    main()
