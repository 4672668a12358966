"""The demo's "similar movies" lists, measured: concentration, series, fit time.

    .venv/bin/python bench/similar_movies.py [--show]
    .venv/bin/python bench/similar_movies.py --synthetic 10000000 [--catalogue 60000]

Fits SimilarMoviesModel on the demo catalogue and the demo ratings corpus (generated in
memory as load_demo_data does, no database) with the production settings and with parts
of the model switched off, and prints for each: fit time, movies with fewer than 10
similar movies, the film in most top-10 lists and its share of the lists, how many films
are in any list, and where a series' next film ranks. --show prints the lists of 20
well-known films. --synthetic N instead times one fit on bench/recommender.py's synthetic
corpus of N ratings, with synthetic facts (genres, year, title words) for every movie of a
catalogue of --catalogue movies (default: the rated ones; more spreads the rated movies
over a catalogue where the rest are known by their facts alone, as after a MovieLens import).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from movie_module.catalogue import demo
from movie_module.recommender.similar_movies import SimilarMoviesModel

SERIES_NEXT = {"The Godfather": "The Godfather Part II", "Toy Story": "Toy Story 2", "Alien": "Aliens"}
SERIES_NEXT["Before Sunrise"] = "Before Sunset"
VARIANTS = {
    "production (blend, CSLS, cap 5%)": {},
    "no hub control": {"hub_penalty": 0.0, "max_share": 1.0},
    "CSLS re-ranking only": {"max_share": 1.0},
    "collaborative only, no hub control": {"collaborative_weight": 1.0, "hub_penalty": 0.0, "max_share": 1.0},
    "content only, no hub control": {"collaborative_weight": 0.0, "hub_penalty": 0.0, "max_share": 1.0},
}
SHOWN = [
    "The Godfather", "Toy Story", "Alien", "Before Sunrise", "The Matrix", "Pulp Fiction", "Spirited Away",
    "Casablanca", "Ran", "The Shining", "Titanic", "Inception", "Amélie", "Psycho", "Rocky", "Heat",
    "Parasite", "Frozen", "The Good, the Bad and the Ugly", "Barbie",
]  # fmt: skip


def demo_frames() -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    films = demo.load_catalogue()
    ratings = pd.DataFrame(
        [(rating.external_user_id, rating.imdb_id, rating.rating) for rating in demo.demo_ratings(films)],
        columns=["user_id", "movie_id", "rating"],
    )
    facts = pd.DataFrame([{"movie_id": film["imdb_id"], **film} for film in films]).drop(columns="imdb_id")
    return films, ratings, facts


def synthetic_fit(rating_count: int, catalogue: int | None) -> None:
    from bench.recommender import make_corpus

    started = time.perf_counter()
    ratings = make_corpus(rating_count)
    random = np.random.default_rng(1)
    rated = np.sort(ratings["movie_id"].unique())
    movie_count = max(catalogue or 0, len(rated))
    if movie_count > len(rated):
        spread = np.sort(random.choice(movie_count, len(rated), replace=False))
        ratings["movie_id"] = ratings["movie_id"].map(dict(zip(rated, spread, strict=True)))
    genres = [
        "Drama",
        "Comedy",
        "Action",
        "Thriller",
        "Romance",
        "Horror",
        "Sci-Fi",
        "Crime",
        "Adventure",
        "War",
    ]
    facts = pd.DataFrame(
        {
            "movie_id": np.arange(movie_count),
            "title": [
                " ".join(f"w{word}" for word in random.integers(0, 5000, 3)) for _ in range(movie_count)
            ],
            "year": random.integers(1920, 2024, movie_count),
            "genres": [
                list(random.choice(genres, random.integers(1, 4), replace=False)) for _ in range(movie_count)
            ],
        }
    )
    print(
        f"{len(ratings)} ratings, {ratings['user_id'].nunique()} users, {len(rated)} rated movies of "
        f"{movie_count}; built in {time.perf_counter() - started:.0f} s"
    )
    resident = Path("/proc/self/status").read_text()
    before = int(re.search(r"VmRSS:\s+(\d+)", resident).group(1)) // 1024
    started, cpu = time.perf_counter(), time.process_time()
    SimilarMoviesModel().fit(ratings, facts)
    peak = int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) // 1024
    print(
        f"fit: {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU; "
        f"RSS {before} MB before, peak {peak} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the lists of 20 well-known films")
    parser.add_argument("--synthetic", type=int, help="time a fit on a synthetic corpus of this many ratings")
    parser.add_argument("--catalogue", type=int, help="with --synthetic: movies in the catalogue")
    arguments = parser.parse_args()
    if arguments.synthetic:
        synthetic_fit(arguments.synthetic, arguments.catalogue)
        return
    films, ratings, facts = demo_frames()
    title = {film["imdb_id"]: film["title"] for film in films}
    by_title = {film["title"]: film["imdb_id"] for film in films}
    users = ratings["user_id"].nunique()
    print(f"demo corpus: {len(ratings)} ratings by {users} users of {len(films)} films")
    print(
        "| model | fit (s) | lists < 10 | most listed film | its share of the top-10 lists"
        " | films in some list | series' next film: rank |"
    )
    print("|---|---:|---:|---|---:|---:|---|")
    for name, settings in VARIANTS.items():
        started = time.perf_counter()
        model = SimilarMoviesModel(**settings).fit(ratings, facts)
        seconds = time.perf_counter() - started
        lists = {imdb_id: [movie for movie, _ in model.similar(imdb_id, n=10)] for imdb_id in title}
        listed = Counter(movie for similar in lists.values() for movie in similar)
        most, count = listed.most_common(1)[0]
        ranks = []
        for film, next_film in SERIES_NEXT.items():
            similar, wanted = lists[by_title[film]], by_title[next_film]
            ranks.append(str(similar.index(wanted) + 1) if wanted in similar else "-")
        short = sum(len(similar) < 10 for similar in lists.values())
        print(
            f"| {name} | {seconds:.2f} | {short} | {title[most]} | {count / len(films):.1%} | {len(listed)} |"
            f" {' / '.join(ranks)} |"
        )
        if arguments.show and not settings:
            shown = model
    if arguments.show:
        for film in SHOWN:
            neighbours = shown.similar(by_title[film], n=8)
            print(f"- {film}: " + "; ".join(f"{title[movie]} {score:.1f}" for movie, score in neighbours))


if __name__ == "__main__":
    main()
