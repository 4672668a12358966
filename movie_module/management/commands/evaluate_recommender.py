from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from movie_module.movielens import parsing as movielens
from movie_module.recommendations import store as model_store
from movie_module.recommender.comparison import compare, markdown_report, standard_models


def movielens_ratings(folder: Path) -> pd.DataFrame:
    """A MovieLens download's ratings (any layout) as user_id, movie_id, rating, timestamp."""
    try:
        layout = movielens.detect_layout(folder)
    except movielens.MovieLensError as error:
        raise CommandError(str(error)) from error
    chunks = movielens.rating_chunks(
        folder / layout.ratings_file,
        layout,
        chunk_size=1_000_000,
        limit=None,
        on_progress=lambda done, total: None,
    )
    frames = []
    for chunk, _ in chunks:
        numbers = (
            chunk[["user", "movie", "rating", "timestamp"]].apply(pd.to_numeric, errors="coerce").dropna()
        )
        numbers = numbers[(numbers["rating"] >= 0.5) & (numbers["rating"] <= 5)]
        frames.append(numbers)
    ratings = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["user", "movie", "rating", "timestamp"])
    )
    return pd.DataFrame(
        {
            "user_id": ratings["user"].astype("int64"),
            "movie_id": ratings["movie"].astype("int64"),
            "rating": ratings["rating"].astype("float64"),
            "timestamp": ratings["timestamp"].astype("int64"),
        }
    )


class Command(BaseCommand):
    help = (
        "Compare the recommender with popularity, item-kNN cosine and EASE on a per-user "
        "temporal holdout (each user's latest 20%% of ratings, users with at least 5): "
        "nDCG@10, precision@10, recall@10, catalogue coverage, and how well the product's "
        "scores read as chances. PATH is an extracted MovieLens download; without it, the "
        "stored ratings (corpus and reviews) are used."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", type=Path, help="a MovieLens folder (ml-latest-small, ml-1m, ...)"
        )
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--lambda", dest="regularization", type=float, default=250.0)

    def handle(self, *args, path, k, regularization, **options):
        if path is not None and not path.is_dir():
            raise CommandError(f"{path} is not a folder.")
        ratings = movielens_ratings(path) if path else model_store.training_ratings()
        if ratings.empty:
            raise CommandError("There are no ratings to evaluate on.")
        self.stdout.write(
            f"{len(ratings)} ratings by {ratings['user_id'].nunique()} users of "
            f"{ratings['movie_id'].nunique()} movies; each user's latest 20% held out.\n"
        )
        rows, extra = compare(ratings, standard_models(regularization), k=k)
        self.stdout.write(markdown_report(rows, extra["deciles"], k=k))
