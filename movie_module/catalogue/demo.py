"""The demo catalogue and a demo ratings corpus, so a fresh machine has something to show.

The catalogue (movie_module/fixtures/demo_catalogue.json) holds facts only: IMDb ids, titles, years,
genres, runtimes, directors, main cast, and original-language titles where they differ.
The ratings are synthetic, invented here
deterministically: nobody's real ratings. Each synthetic person has tastes for genres, eras,
directors, actors and series; they watch mostly films they are likely to enjoy among the
better-known ones, and rate them by those tastes, so the recommender has real structure to
learn: someone who loves The Godfather loves Part II, a Miyazaki fan finds the others.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "demo_catalogue.json"
DEMO_SOURCE = "demo"

# Films that continue one another, by IMDb id: a person's feeling for one carries to all.
SERIES = [
    ("tt0068646", "tt0071562", "tt0099674"),  # The Godfather
    ("tt0076759", "tt0080684", "tt0086190", "tt2488496"),  # Star Wars
    ("tt0078748", "tt0090605"),  # Alien, Aliens
    ("tt0088763", "tt0096874", "tt0099088"),  # Back to the Future
    ("tt0114709", "tt0120363", "tt0435761"),  # Toy Story
    ("tt0120737", "tt0167261", "tt0167260", "tt0903624"),  # Middle-earth
    ("tt0133093", "tt0234215", "tt0242653"),  # The Matrix
    ("tt0112471", "tt0381681"),  # Before Sunrise, Before Sunset
    ("tt0082971", "tt0087469", "tt0097576"),  # Indiana Jones
    ("tt0088247", "tt0103064"),  # The Terminator
    ("tt0241527", "tt0304141", "tt1201607"),  # Harry Potter
    ("tt0266697", "tt0378194"),  # Kill Bill
    ("tt0126029", "tt0298148"),  # Shrek
    ("tt0372784", "tt0468569", "tt1345836"),  # The Dark Knight trilogy
    ("tt0058461", "tt0059578", "tt0060196"),  # The Dollars trilogy
    ("tt0371746", "tt0848228", "tt4154756", "tt4154796"),  # The Avengers
    ("tt4633694", "tt9362722"),  # Spider-Verse
    ("tt1160419", "tt15239678"),  # Dune
    ("tt0083658", "tt1856101"),  # Blade Runner
    ("tt0075148", "tt3076658"),  # Rocky, Creed
    ("tt0058150", "tt0381061", "tt1074638"),  # James Bond
]
# The most widely seen films, as the most rated ones of MovieLens: the head of the long tail.
WIDELY_SEEN = {
    "tt0109830", "tt0111161", "tt0110912", "tt0102926", "tt0133093", "tt0076759", "tt0107290",
    "tt0108052", "tt0112573", "tt0137523", "tt0114709", "tt0103064", "tt0114814", "tt0120737",
    "tt0082971", "tt0088763", "tt0468569", "tt1375666", "tt0120338", "tt0172495", "tt0114369",
    "tt0120815", "tt0068646", "tt0169547", "tt0167404", "tt0116282", "tt0103639", "tt0110357",
    "tt0266543", "tt0126029", "tt0209144", "tt0816692", "tt0499549", "tt0099685", "tt0078748",
}  # fmt: skip
# Genres many people watch, and genres fewer do (a nudge to popularity, not a verdict).
MAINSTREAM_GENRES = {
    "Action": 0.5, "Adventure": 0.5, "Sci-Fi": 0.4, "Animation": 0.3, "Comedy": 0.3, "Fantasy": 0.3,
}  # fmt: skip
NICHE_GENRES = {"War": -0.3, "Western": -0.4, "Musical": -0.4, "History": -0.3, "Biography": -0.2}


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


def _incidence(films: list[dict], facts_of) -> np.ndarray:
    """Films x distinct facts, 1 where the film has the fact, each row scaled to unit norm."""
    names = sorted({name for film in films for name in facts_of(film)})
    column = {name: index for index, name in enumerate(names)}
    matrix = np.zeros((len(films), len(names)))
    for row, film in enumerate(films):
        for name in facts_of(film):
            matrix[row, column[name]] = 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _series_of(film: dict) -> list[str]:
    return [str(number) for number, series in enumerate(SERIES) if film["imdb_id"] in series]


def _popularity(films: list[dict], random: np.random.Generator) -> np.ndarray:
    """How widely each film is seen (log scale): films of the 1990s-2010s and big genres
    most, as in MovieLens, plus a wide random spread, so a few films are seen by many."""
    years = np.array([film["year"] for film in films], dtype=float)
    era = -(((years - 2000) / 50) ** 2)
    genres = np.array(
        [sum(MAINSTREAM_GENRES.get(g, 0) + NICHE_GENRES.get(g, 0) for g in film["genres"]) for film in films]
    )
    widely_seen = np.array([1.2 if film["imdb_id"] in WIDELY_SEEN else 0.0 for film in films])
    # Sequels are seen by fewer people than the film they follow.
    sequel = np.array([-0.3 * _place_in_series(film) for film in films])
    return era + genres + widely_seen + sequel + random.normal(0, 0.6, len(films))


def _place_in_series(film: dict) -> int:
    return next((series.index(film["imdb_id"]) for series in SERIES if film["imdb_id"] in series), 0)


def demo_ratings(films: list[dict], *, users: int = 1500, seed: int = 20261126) -> list[DemoRating]:
    """Invented ratings of `films` by `users` synthetic people; the same every run."""
    if not films or users <= 0:
        return []
    random = np.random.default_rng(seed)
    # How much each kind of fact sways a person (standard deviation of their feeling for it).
    facts = [
        (lambda film: film["genres"], 1.0),
        (lambda film: film["directors"], 0.5),
        (lambda film: film["cast"][:3], 0.35),
        (_series_of, 1.0),
    ]
    enjoyment = np.zeros((users, len(films)))
    for facts_of, spread in facts:
        incidence = _incidence(films, facts_of)
        enjoyment += random.normal(0, spread, (users, incidence.shape[1])) @ incidence.T
    # Each person has a favourite era; films far from it please them less.
    years = np.array([film["year"] for film in films], dtype=float)
    favourite_years = random.normal(1990, 20, users)
    enjoyment -= 0.25 * ((years[None, :] - favourite_years[:, None]) / 30) ** 2
    # Some films are better made than others; the old films still known today are the best of their time.
    enjoyment += random.normal(0, 0.25, len(films)) + 0.5 * np.clip((1995 - years) / 50, 0, 1)

    # People watch what they expect to enjoy, among what is widely seen: pick each
    # person's films without replacement with weight popularity * exp(enjoyment)
    # (Gumbel top-k), as many as their activity, which is long-tailed.
    activity = np.clip(np.round(random.lognormal(np.log(24), 0.8, users)), 8, len(films)).astype(int)
    keys = _popularity(films, random)[None, :] + 1.2 * enjoyment + random.gumbel(size=enjoyment.shape)
    ranked = np.argsort(-keys, axis=1, kind="stable")
    seen = np.zeros(enjoyment.shape, dtype=bool)
    np.put_along_axis(seen, ranked, np.arange(len(films))[None, :] < activity[:, None], axis=1)

    leniency = random.normal(0, 0.35, users)
    noise = random.normal(0, 0.55, enjoyment.shape)
    stars = 2.75 + leniency[:, None] + 0.9 * enjoyment + noise
    # Most people give whole stars; some use the half stars too.
    halves = random.random(users) < 0.4
    stars = np.where(halves[:, None], np.round(stars * 2) / 2, np.round(stars))
    stars = np.clip(stars, np.where(halves, 0.5, 1.0)[:, None], 5.0)

    # Who liked a film of a series mostly goes on to watch the rest of it.
    position = {film["imdb_id"]: index for index, film in enumerate(films)}
    for series in SERIES:
        members = [position[imdb_id] for imdb_id in series if imdb_id in position]
        liked_one = (seen[:, members] & (stars[:, members] >= 4)).any(axis=1)
        seen[:, members] |= liked_one[:, None] & (random.random((users, len(members))) < 0.7)

    ratings = []
    for user_number, film in zip(*np.nonzero(seen), strict=True):
        name = f"demo-{user_number:04d}"
        ratings.append(DemoRating(name, films[film]["imdb_id"], float(stars[user_number, film])))
    return ratings
