from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from movie_module.movielens import parsing as movielens
from movie_module.recommendations import store as model_store
from movie_module.recommender import ItemSimilarityModel, PopularityModel
from movie_module.recommender.evaluation import evaluate, holdout_split


def movielens_ratings(folder: Path) -> pd.DataFrame:
    """A MovieLens download's ratings (any layout) as user_id, movie_id, rating."""
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
        numbers = chunk[["user", "movie", "rating"]].apply(pd.to_numeric, errors="coerce").dropna()
        numbers = numbers[(numbers["rating"] >= 0.5) & (numbers["rating"] <= 5)]
        frames.append(numbers)
    ratings = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["user", "movie", "rating"])
    )
    return pd.DataFrame(
        {
            "user_id": ratings["user"].astype("int64"),
            "movie_id": ratings["movie"].astype("int64"),
            "rating": ratings["rating"].astype("float64"),
        }
    )


class Command(BaseCommand):
    help = (
        "Evaluate the recommender against the popularity baseline on a per-user holdout "
        "(a fixed random 20%% of each user's ratings, users with at least 5): precision@10, "
        "recall@10, nDCG@10 and catalogue coverage. PATH is an extracted MovieLens download; "
        "without it, the stored ratings (corpus and reviews) are used."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", type=Path, help="a MovieLens folder (ml-latest-small, ml-1m, ...)"
        )
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, path, k, seed, **options):
        if path is not None and not path.is_dir():
            raise CommandError(f"{path} is not a folder.")
        ratings = movielens_ratings(path) if path else model_store.training_ratings()
        if ratings.empty:
            raise CommandError("There are no ratings to evaluate on.")
        train, test = holdout_split(ratings, fraction=0.2, min_ratings=5, seed=seed)
        self.stdout.write(
            f"{len(ratings)} ratings by {ratings['user_id'].nunique()} users of "
            f"{ratings['movie_id'].nunique()} movies; {len(test)} held out.\n"
        )
        rows = []
        for name, model in [("item similarity", ItemSimilarityModel()), ("popularity", PopularityModel())]:
            scores = evaluate(model.fit(train), train, test, k=k)
            rows.append((name, scores))
        self.stdout.write(f"| model | precision@{k} | recall@{k} | nDCG@{k} | coverage | users |")
        self.stdout.write("|---|---:|---:|---:|---:|---:|")
        for name, scores in rows:
            self.stdout.write(
                f"| {name} | {scores['precision']:.4f} | {scores['recall']:.4f} | {scores['ndcg']:.4f} | "
                f"{scores['coverage']:.4f} | {scores['users']} |"
            )
