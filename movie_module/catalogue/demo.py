"""The demo catalogue and a demo ratings corpus, so a fresh machine has something to show.

The catalogue (movie_module/fixtures/demo_catalogue.json) holds facts only: IMDb ids, titles,
years, genres, runtimes, directors, main cast, and original-language titles where they
differ. The ratings are invented here, deterministically: synthetic people who each love a
few films rate films like those (same directors, cast and genres) highly and others lower,
so the recommender has real taste structure to learn.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "demo_catalogue.json"
DEMO_SOURCE = "demo"


@dataclass(frozen=True)
class DemoRating:
    external_user_id: str
    imdb_id: str
    rating: float


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[dict]:
    """The demo films, as dicts with the Movie model's field names."""
    with open(path, encoding="utf-8") as catalogue_file:
        films = json.load(catalogue_file)
    for film in films:
        film.setdefault("alternate_titles", [])  # only films known by another title list theirs
    return films


def _features(film: dict) -> dict[str, float]:
    features = {f"genre:{genre}": 1.0 for genre in film["genres"]}
    features.update({f"director:{name}": 2.0 for name in film["directors"]})
    features.update({f"cast:{name}": 1.2 for name in film["cast"]})
    features[f"decade:{film['year'] // 10}"] = 0.5
    return features


def _affinity_matrix(films: list[dict]) -> np.ndarray:
    """Cosine similarity of the films' weighted feature vectors."""
    vocabulary: dict[str, int] = {}
    rows = [_features(film) for film in films]
    for row in rows:
        for name in row:
            vocabulary.setdefault(name, len(vocabulary))
    vectors = np.zeros((len(films), len(vocabulary)))
    for index, row in enumerate(rows):
        for name, weight in row.items():
            vectors[index, vocabulary[name]] = weight
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors @ vectors.T


def demo_ratings(films: list[dict], *, users: int = 1500, seed: int = 20261126) -> list[DemoRating]:
    """Invented ratings of `films` by `users` synthetic people; the same every run."""
    if not films:
        return []
    random = np.random.default_rng(seed)
    affinity = _affinity_matrix(films)
    # Some films are seen far more than others, as in any real corpus.
    popularity = 1.0 / np.arange(1, len(films) + 1) ** 0.6
    popularity = popularity[random.permutation(len(films))]
    ratings = []
    for user_number in range(users):
        favourites = random.choice(len(films), size=random.integers(2, 5), replace=False)
        taste = affinity[favourites].max(axis=0)
        seen_weight = np.sqrt(popularity) * (0.03 + taste**3)
        seen_count = int(min(len(films), random.integers(15, 60)))
        seen = random.choice(len(films), size=seen_count, replace=False, p=seen_weight / seen_weight.sum())
        seen = np.union1d(seen, favourites)
        harshness = random.normal(0, 0.3)
        for film_index in seen:
            stars = 1.6 + 3.6 * taste[film_index] + harshness + random.normal(0, 0.45)
            stars = float(np.clip(np.round(stars * 2) / 2, 0.5, 5.0))
            ratings.append(DemoRating(f"demo-{user_number:04d}", films[film_index]["imdb_id"], stars))
    return ratings
