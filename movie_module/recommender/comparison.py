"""The product's model beside its yardsticks, on one split, in one run: what
bench/recommender_real.py and `manage.py evaluate_recommender` print."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from .baselines import CosineKnn, Ease
from .calibration import fit_calibrated, temporal_split
from .evaluation import calibration_deciles, evaluate
from .popularity import PopularityModel
from .similarity import ItemSimilarityModel

PRODUCT = "Scrapbook ItemSimilarityModel"
# The yardsticks hold a dense movies x movies matrix: past this many movies they would
# need more memory than a worker has.
DENSE_BASELINE_LIMIT = 20_000


def standard_models(regularization: float = 250.0) -> dict[str, Callable[[pd.DataFrame], object]]:
    """Name -> fit(train) for popularity, item-kNN cosine, EASE and the product's model,
    the last two calibrated as the product fits them."""
    return {
        "popularity": lambda train: fit_calibrated(train, lambda: [PopularityModel()])[0],
        "item-kNN cosine (liked seeds)": lambda train: CosineKnn().fit(train),
        f"EASE (lambda {regularization:g}, all rated as history)": lambda train: Ease(regularization).fit(
            train
        ),
        PRODUCT: lambda train: fit_calibrated(train, lambda: [ItemSimilarityModel()])[0],
    }


def compare(ratings: pd.DataFrame, models: dict, k: int = 10) -> tuple[list[dict], dict]:
    """Fit every model on each user's earlier 80% of `ratings` and score its top-`k` lists
    on the later 20% (calibration.temporal_split). Returns one row per model and the
    product model's calibration deciles."""
    train, test = temporal_split(ratings)
    too_many_movies = train["movie_id"].nunique() > DENSE_BASELINE_LIMIT
    rows, deciles = [], []
    for name, fit in models.items():
        if too_many_movies and name.startswith(("EASE", "item-kNN")):
            rows.append({"model": name, "skipped": f"more than {DENSE_BASELINE_LIMIT} movies"})
            continue
        started = time.perf_counter()
        model = fit(train)
        fit_seconds = time.perf_counter() - started
        rows.append({"model": name, **evaluate(model, train, test, k=k), "fit_seconds": fit_seconds})
        if name == PRODUCT:
            deciles = calibration_deciles(model, train, test, k=k)
    return rows, {"deciles": deciles, "train": len(train), "test": len(test)}


def markdown_report(rows: list[dict], deciles: list[dict], k: int = 10) -> str:
    """The comparison as Markdown tables: quality per model (with nDCG as a share of
    EASE's), then the product model's calibration deciles."""
    ease = next((row["ndcg"] for row in rows if row["model"].startswith("EASE") and "ndcg" in row), None)
    lines = [
        f"| model | nDCG@{k} | share of EASE | precision@{k} | recall@{k} | coverage@{k} | users | fit s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['model']} | skipped: {row['skipped']} | | | | | | |")
            continue
        share = f"{row['ndcg'] / ease:.3f}" if ease else "n/a"
        lines.append(
            f"| {row['model']} | {row['ndcg']:.4f} | {share} | {row['precision']:.4f} | "
            f"{row['recall']:.4f} | {row['coverage']:.3f} | {row['users']} | {row['fit_seconds']:.1f} |"
        )
    if deciles:
        lines += [
            "",
            f"{PRODUCT}: calibration on the holdout, its top-{k} lists cut into ten equal groups by score",
            "",
            "| decile | scores | promised chance (score/10) | observed share liked | gap | movies |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for number, decile in enumerate(deciles, start=1):
            gap = decile["observed"] - decile["promised"]
            lines.append(
                f"| {number} | {decile['lowest']:.2f}-{decile['highest']:.2f} | {decile['promised']:.3f} | "
                f"{decile['observed']:.3f} | {gap:+.3f} | {decile['count']} |"
            )
    return "\n".join(lines)
