"""The demo's "similar movies" lists, measured: concentration, series, fit time.

    .venv/bin/python bench/similar_movies.py [--show]

Fits SimilarMoviesModel on the demo catalogue and the demo ratings corpus (generated in
memory as load_demo_data does, no database) with the production settings and with parts
of the model switched off, and prints for each: fit time, movies with fewer than 10
similar movies, the film in most top-10 lists and its share of the lists, how many films
are in any list, and where a series' next film ranks. --show prints the lists of 20
well-known films.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the lists of 20 well-known films")
    arguments = parser.parse_args()
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
