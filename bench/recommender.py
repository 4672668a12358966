"""Benchmark the recommender against implicit's item-item CosineRecommender.

    .venv/bin/python bench/recommender.py [--sizes 100k,1M,10M,25M] [--skip-implicit]

For each corpus size it prints, per model: fit time and peak RSS of the fitting process
(each fit runs in a fresh subprocess; peak is its VmHWM, which includes the interpreter,
the libraries and the loaded corpus, shown separately as "RSS before fit"), recommend
latency p50/p95 for profiles of 5 and of 500 liked movies, and, up to 10M ratings,
nDCG@10 on a per-user 20% holdout. The product's fit is the production one: both models,
calibrated (two fits, see calibration.py). Corpora are synthetic (see make_corpus), shaped
like MovieLens's (10M: 70k users, 10k movies; 25M: 160k users, 60k movies), so the run
needs no download; they prove speed and memory, never quality (bench/recommender_real.py
measures that on real ratings).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from movie_module.recommender import ItemSimilarityModel, PopularityModel, fit_calibrated  # noqa: E402
from movie_module.recommender.evaluation import evaluate, holdout_split  # noqa: E402

# Ratings, and the users and movies of MovieLens's own corpora of that size (None: derived).
SIZES = {
    "100k": (100_000, None, None),
    "1M": (1_000_000, None, None),
    "10M": (10_000_000, 70_000, 10_000),
    "25M": (25_000_000, 160_000, 60_000),
}
# Quality on synthetic data says little; past this size only speed and memory are measured.
EVALUATED_UP_TO = 10_000_000
GENRES = 20
LATENCY_QUERIES = 300
SEED_COUNTS = (5, 500)
# Evaluating every user of the 10M corpus would take minutes and add little precision.
EVALUATED_USERS = 3000


def make_corpus(
    rating_count: int, user_count: int | None = None, movie_count: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """A MovieLens-shaped synthetic corpus of about `rating_count` ratings.

    Movie popularity is Zipf-like (weight 1 / (rank + 10)), user activity is power-law
    (20 + Pareto(1.2), capped at 30% of the catalogue). Every movie has one of 20 genres
    and every user a sparse Dirichlet taste over them: 70% of a user's picks follow their
    taste (then popularity within the genre), 30% follow global popularity alone. The
    rating rises with the user's taste for the movie's genre, plus user and movie biases
    and noise, rounded to half stars, so taste is what a good model can learn.
    """
    rng = np.random.default_rng(seed)
    user_count = user_count or max(50, round(rating_count / 150))
    movie_count = movie_count or int(2000 * (rating_count / 1e5) ** 0.35)
    heaviness = rng.pareto(1.2, user_count)
    scale = (rating_count - 20 * user_count) / heaviness.sum()
    for _ in range(20):
        # The cap removes mass from the heaviest users; scale the rest up to make it good.
        activity = np.minimum(20 + heaviness * scale, movie_count * 0.3)
        scale *= (rating_count - 20 * user_count) / (activity.sum() - 20 * user_count)
    activity = activity.astype(np.int64)
    popularity = 1.0 / (np.arange(movie_count) + 10.0)
    rng.shuffle(popularity)
    movie_genre = rng.integers(0, GENRES, movie_count)
    taste = rng.dirichlet(np.full(GENRES, 0.2), user_count)
    cumulative_taste = np.cumsum(taste, axis=1)
    genre_members = [np.flatnonzero(movie_genre == genre) for genre in range(GENRES)]
    genre_cumulative = [np.cumsum(popularity[members]) for members in genre_members]
    global_cumulative = np.cumsum(popularity)

    picked = pd.DataFrame({"user_id": np.zeros(0, np.int64), "movie_id": np.zeros(0, np.int64)})
    # Duplicates are dropped, so users short of their activity draw again.
    for _ in range(6):
        have = np.bincount(picked["user_id"].to_numpy(), minlength=user_count)
        missing = np.maximum(activity - have, 0)
        if missing.sum() == 0:
            break
        users = np.repeat(np.arange(user_count), missing * 2 + 2)
        genres = np.empty(len(users), dtype=np.int64)
        for start in range(0, len(users), 1_000_000):
            chunk = slice(start, start + 1_000_000)
            draws = rng.random(len(users[chunk]))[:, None]
            genres[chunk] = (cumulative_taste[users[chunk]] < draws).sum(axis=1)
        genres = np.minimum(genres, GENRES - 1)
        movies = np.empty(len(users), dtype=np.int64)
        for genre, members in enumerate(genre_members):
            in_genre = np.flatnonzero(genres == genre)
            cumulative = genre_cumulative[genre]
            positions = np.searchsorted(cumulative, rng.random(len(in_genre)) * cumulative[-1])
            movies[in_genre] = members[positions]
        by_popularity = rng.random(len(users)) < 0.3
        movies[by_popularity] = np.searchsorted(
            global_cumulative, rng.random(by_popularity.sum()) * global_cumulative[-1]
        )
        drawn = pd.DataFrame({"user_id": users, "movie_id": movies})
        picked = pd.concat([picked, drawn], ignore_index=True).drop_duplicates()
        rank = picked.groupby("user_id").cumcount().to_numpy()
        picked = picked[rank < activity[picked["user_id"].to_numpy()]]

    users = picked["user_id"].to_numpy()
    movies = picked["movie_id"].to_numpy()
    affinity = taste[users, movie_genre[movies]]
    user_bias = rng.normal(0, 0.4, user_count)
    movie_quality = rng.normal(0, 0.4, movie_count)
    noise = rng.normal(0, 0.7, len(users))
    stars = 3.3 + user_bias[users] + movie_quality[movies] + 2.5 * (affinity - 0.15) + noise
    ratings = np.clip(np.round(stars * 2) / 2, 0.5, 5.0).astype(np.float32)
    return pd.DataFrame({"user_id": users, "movie_id": movies, "rating": ratings})


class ImplicitCosine:
    """implicit's CosineRecommender behind this project's fit/recommend interface; ratings
    are the weights, as implicit's documentation does for explicit data."""

    def __init__(self, neighbours: int = 20) -> None:
        from implicit.nearest_neighbours import CosineRecommender

        self.model = CosineRecommender(K=neighbours)

    def fit(self, ratings: pd.DataFrame) -> ImplicitCosine:
        movie_codes, self.movie_ids = pd.factorize(ratings["movie_id"], sort=True)
        user_codes, user_ids = pd.factorize(ratings["user_id"])
        self.lookup = dict(zip(self.movie_ids.tolist(), range(len(self.movie_ids)), strict=True))
        user_items = sp.csr_matrix(
            (ratings["rating"].to_numpy(np.float32), (user_codes, movie_codes)),
            shape=(len(user_ids), len(self.movie_ids)),
        )
        self.model.fit(user_items, show_progress=False)
        return self

    def recommend(self, user_ratings: dict, n: int = 10, exclude=()) -> list:
        known = [(self.lookup[movie], r) for movie, r in user_ratings.items() if movie in self.lookup]
        columns = np.array([code for code, _ in known], dtype=np.int32)
        values = np.array([r for _, r in known], dtype=np.float32)
        row = sp.csr_matrix((values, columns, np.array([0, len(columns)])), shape=(1, len(self.movie_ids)))
        codes, scores = self.model.recommend(0, row, N=n, filter_already_liked_items=True)
        return list(zip(self.movie_ids[codes].tolist(), scores.tolist(), strict=True))


class ProductionFit:
    """What the background worker runs: both models, calibrated (calibration.fit_calibrated)."""

    def fit(self, ratings: pd.DataFrame):
        similarity, _ = fit_calibrated(ratings, lambda: [ItemSimilarityModel(), PopularityModel()])
        return similarity


MODELS = {
    "Scrapbook production fit": ProductionFit,
    "implicit CosineRecommender": ImplicitCosine,
}


def memory_status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} missing from /proc/self/status")


def latency_profiles(ratings: pd.DataFrame, seed_count: int, rng) -> list[dict]:
    """Query profiles of exactly `seed_count` liked movies, each from one real user who
    liked that many; reused in turn when few users qualify."""
    liked = ratings[ratings["rating"] > 3.5]
    groups = liked.groupby("user_id")
    eligible = groups.size()
    eligible = eligible[eligible >= seed_count].index.to_numpy()
    if len(eligible) == 0:
        raise SystemExit(f"no user liked {seed_count} movies; use a larger corpus")
    chosen = rng.choice(eligible, min(len(eligible), LATENCY_QUERIES), replace=False)
    chosen_liked = liked[liked["user_id"].isin(chosen)]
    profiles = []
    for _, own in chosen_liked.groupby("user_id"):
        own = own.sample(seed_count, random_state=int(rng.integers(1 << 31)))
        profiles.append(dict(zip(own["movie_id"].tolist(), own["rating"].tolist(), strict=True)))
    return [profiles[index % len(profiles)] for index in range(LATENCY_QUERIES)]


def measure_latency(model, profiles: list[dict]) -> tuple[float, float]:
    for profile in profiles[:20]:
        model.recommend(profile, n=10)
    timings = []
    for profile in profiles:
        started = time.perf_counter()
        model.recommend(profile, n=10)
        timings.append(time.perf_counter() - started)
    p50, p95 = np.percentile(np.array(timings) * 1000, [50, 95])
    return float(p50), float(p95)


def run_worker(model_name: str, corpus_path: str, evaluate_quality: bool) -> None:
    """Fit one model on one corpus in this fresh process and print its figures as JSON."""
    stored = np.load(corpus_path)
    ratings = pd.DataFrame({name: stored[name] for name in ("user_id", "movie_id", "rating")})
    rss_before = memory_status_mb("VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    model = MODELS[model_name]().fit(ratings)
    fit_seconds = time.perf_counter() - started
    # CPU time of all threads: tells the fit's own cost apart from waiting on a busy machine.
    fit_cpu_seconds = time.process_time() - cpu_started
    # VmHWM, not ru_maxrss: after fork+exec ru_maxrss still counts the parent's peak.
    peak_rss = memory_status_mb("VmHWM")

    rng = np.random.default_rng(7)
    figures = {
        "fit_s": fit_seconds,
        "fit_cpu_s": fit_cpu_seconds,
        "peak_rss_mb": peak_rss,
        "rss_before_mb": rss_before,
    }
    for seed_count in SEED_COUNTS:
        p50, p95 = measure_latency(model, latency_profiles(ratings, seed_count, rng))
        figures[f"p50_{seed_count}_ms"], figures[f"p95_{seed_count}_ms"] = p50, p95
    del model
    if not evaluate_quality:
        print(json.dumps(figures | {"ndcg": float("nan"), "coverage": float("nan")}))
        return

    train, test = holdout_split(ratings)
    users = test["user_id"].unique()
    sampled = rng.choice(users, min(len(users), EVALUATED_USERS), replace=False)
    test = test[test["user_id"].isin(sampled)]
    quality = evaluate(MODELS[model_name]().fit(train), train, test, k=10)
    figures.update({"ndcg": quality["ndcg"], "coverage": quality["coverage"]})
    print(json.dumps(figures))


def run_in_subprocess(model_name: str, corpus_path: str, evaluate_quality: bool) -> dict:
    environment = dict(os.environ)
    if model_name.startswith("implicit"):
        # implicit asks for a single-threaded BLAS; the product's fit is BLAS-bound and
        # uses every core.
        environment["OPENBLAS_NUM_THREADS"] = "1"
    command = [sys.executable, __file__, "--worker", model_name, "--corpus", corpus_path]
    finished = subprocess.run(
        command + ([] if evaluate_quality else ["--no-quality"]),
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if finished.returncode != 0:
        raise SystemExit(f"{model_name} failed:\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M,10M", help="comma-separated: 100k,1M,10M,25M")
    parser.add_argument("--no-quality", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-implicit", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        run_worker(arguments.worker, arguments.corpus, not arguments.no_quality)
        return

    model_names = ["Scrapbook production fit"]
    if not arguments.skip_implicit:
        model_names.append("implicit CosineRecommender")
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for size_name in arguments.sizes.split(","):
            started = time.perf_counter()
            rating_count, user_count, movie_count = SIZES[size_name.strip()]
            corpus = make_corpus(rating_count, user_count, movie_count)
            corpus_path = os.path.join(directory, f"{size_name}.npz")
            np.savez(corpus_path, **{name: corpus[name].to_numpy() for name in corpus.columns})
            shape = (
                f"{len(corpus):,} ratings, {corpus['user_id'].nunique():,} users, "
                f"{corpus['movie_id'].nunique():,} movies"
            )
            print(
                f"{size_name}: {shape} (made in {time.perf_counter() - started:.1f} s)",
                file=sys.stderr,
            )
            for model_name in model_names:
                if model_name.startswith("implicit") and rating_count > EVALUATED_UP_TO:
                    continue
                figures = run_in_subprocess(model_name, corpus_path, rating_count <= EVALUATED_UP_TO)
                print(f"  {model_name}: {figures}", file=sys.stderr)
                rows.append((size_name, shape, model_name, figures))
    print(markdown_table(rows))


def markdown_table(rows: list) -> str:
    lines = [
        "| corpus | model | fit wall (s) | fit CPU (s) | peak RSS (MB) | RSS before fit (MB) "
        "| p50 / p95, 5 seeds (ms) | p50 / p95, 500 seeds (ms) | nDCG@10 | coverage |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size_name, shape, model_name, figures in rows:
        lines.append(
            f"| {size_name} ({shape}) | {model_name} | {figures['fit_s']:.2f} "
            f"| {figures['fit_cpu_s']:.2f} "
            f"| {figures['peak_rss_mb']:.0f} | {figures['rss_before_mb']:.0f} "
            f"| {figures['p50_5_ms']:.2f} / {figures['p95_5_ms']:.2f} "
            f"| {figures['p50_500_ms']:.2f} / {figures['p95_500_ms']:.2f} "
            f"| {figures['ndcg']:.4f} | {figures['coverage']:.3f} |"
        )
    ratios = ratio_lines(rows)
    return "\n".join(lines + ([""] + ratios if ratios else []))


def ratio_lines(rows: list) -> list[str]:
    by_key = {(size, model): figures for size, _, model, figures in rows}
    lines = []
    for size in dict.fromkeys(size for size, *_ in rows):
        ours = by_key.get((size, "Scrapbook production fit"))
        theirs = by_key.get((size, "implicit CosineRecommender"))
        if ours and theirs:
            lines.append(
                f"- {size}: fit time ours/implicit = {ours['fit_s'] / theirs['fit_s']:.2f}, "
                f"nDCG@10 ours/implicit = {ours['ndcg'] / theirs['ndcg']:.2f}"
            )
    return lines


if __name__ == "__main__":
    main()
