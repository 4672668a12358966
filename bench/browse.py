"""Browsing a large catalogue: GET /api/movies/ with genre, year and ordering, cache off.

    .venv/bin/python bench/browse.py [--movies 100000] [--repeat 30] [--database-url postgres://...]

Builds a scratch database (SQLite in a temp folder unless --database-url names one, whose
database is dropped and created again): `--movies` movies with one to three of 20 genres,
years 1920-2025 (5 % unknown), IMDb ratings (10 % unknown), 2,000 users with up to 60 reviews
and 30 watchlist items each, 3,000 corpus raters of up to 100 movies each, all skewed toward
popular movies. The counters are recounted once (timed: what an import costs). Then each query is sent through
Django's test client, in process, with API_CACHE_SECONDS=0 so that every answer is built from
the database, and p50 / p95 of `--repeat` requests are printed. For comparison, the same
top-20 by review count computed by an annotation (COUNT over the reviews) instead of the
counter column.
"""

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

GENRES = [
    "Action", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Documentary", "Drama",
    "Family", "Fantasy", "History", "Horror", "Music", "Mystery", "Romance", "Sci-Fi", "Sport",
    "Thriller", "War", "Western",
]  # fmt: skip

QUERIES = {
    "title (default)": {},
    "-popularity": {"ordering": "-popularity"},
    "-average_rating": {"ordering": "-average_rating"},
    "-review_count": {"ordering": "-review_count"},
    "-imdb_rating": {"ordering": "-imdb_rating"},
    "-year": {"ordering": "-year"},
    "year": {"ordering": "year"},
    "genre=Drama": {"genre": "Drama"},
    "genre=Drama&genre=Crime, -popularity": {"genre": ["Drama", "Crime"], "ordering": "-popularity"},
    "genre=Western, -average_rating": {"genre": "Western", "ordering": "-average_rating"},
    "year 1990-1999, -imdb_rating": {"year_min": 1990, "year_max": 1999, "ordering": "-imdb_rating"},
    "genre=Horror, year >= 2010, -year": {"genre": "Horror", "year_min": 2010, "ordering": "-year"},
    "page 200 of -popularity": {"ordering": "-popularity", "page": 200},
}


def fill(movie_count: int) -> float:
    """Fill the scratch database; return the seconds the counters' recount took."""
    from django.db import transaction

    from authentication.models import User
    from movie_module.catalogue.counters import recount_all_movies
    from movie_module.models import CorpusRating, Genre, Movie, MovieGenre, Review, WatchlistItem

    rng = random.Random(15)
    genres = Genre.objects.bulk_create([Genre(name=name) for name in GENRES])
    # Zipf-like popularity: a few movies get most of the ratings.
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(movie_count)))
    with transaction.atomic():
        Movie.objects.bulk_create(
            [
                Movie(
                    imdb_id=f"tt{1000000 + number:07d}",
                    title=f"Film {rng.randrange(10**6)} {number}",
                    year=None if rng.random() < 0.05 else rng.randint(1920, 2025),
                    imdb_rating=None if rng.random() < 0.1 else round(rng.uniform(1, 9.9), 1),
                    source=Movie.Source.MOVIELENS,
                )
                for number in range(movie_count)
            ],
            batch_size=5000,
        )
    movie_ids = list(Movie.objects.order_by("id").values_list("id", flat=True))
    links = []
    for movie_id in movie_ids:
        for genre in rng.sample(genres, rng.randint(1, 3)):
            links.append(MovieGenre(movie_id=movie_id, genre_id=genre.id))
    MovieGenre.objects.bulk_create(links, batch_size=10000)
    users = User.objects.bulk_create(
        [User(username=f"browser{number}", email=f"browser{number}@example.com") for number in range(2000)],
        batch_size=2000,
    )
    reviews, items, corpus = [], [], []
    for user in users:
        for movie_id in set(rng.choices(movie_ids, cum_weights=cumulative, k=60)):
            reviews.append(Review(user=user, movie_id=movie_id, rating=rng.randint(1, 10) / 2))
        for movie_id in set(rng.choices(movie_ids, cum_weights=cumulative, k=30)):
            items.append(WatchlistItem(user=user, movie_id=movie_id))
    for person in range(3000):
        for movie_id in set(rng.choices(movie_ids, cum_weights=cumulative, k=100)):
            corpus.append(
                CorpusRating(source="bench", external_user_id=str(person), movie_id=movie_id, rating=4)
            )
    # Plain managers: one recount at the end, as an import does, instead of one per batch.
    Review._base_manager.bulk_create(reviews, batch_size=5000)
    WatchlistItem._base_manager.bulk_create(items, batch_size=5000)
    CorpusRating.objects.bulk_create(corpus, batch_size=5000)
    print(
        f"{movie_count} movies, {len(links)} genre links, {len(reviews)} reviews, "
        f"{len(items)} watchlist items, {len(corpus)} corpus ratings"
    )
    start = time.perf_counter()
    recount_all_movies()
    return time.perf_counter() - start


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return f"p50 {statistics.median(timings) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def measure(repeat: int) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from movie_module.models import Movie

    client = Client()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as a live database has them
    for name, query in QUERIES.items():
        client.get("/api/movies/", query)  # warm-up: the pages it reads come into memory
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get("/api/movies/", query)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content
        print(f"{name:40s} {percentiles(timings)}   ({response.json()['count']} movies)")
    timings = []
    for _ in range(max(3, repeat // 5)):
        start = time.perf_counter()
        top = Movie.objects.annotate(reviews_counted=Count("reviews")).order_by(
            "-reviews_counted", "title", "id"
        )
        list(top.values_list("id", flat=True)[:20])
        timings.append(time.perf_counter() - start)
    print(f"{'(annotation: top 20 by COUNT(reviews))':40s} {percentiles(timings)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "API_CACHE_SECONDS": "0",
            "DJANGO_SETTINGS_MODULE": "scrapbook.settings",
            "SCRAPBOOK_DATA_DIR": folder,
            "SQLITE_PATH": str(Path(folder) / "browse.sqlite3"),
            "LOG_LEVEL": "WARNING",
        }
        if arguments.database_url:
            env["DATABASE_URL"] = arguments.database_url
            name = arguments.database_url.rsplit("/", 1)[1]
            server = arguments.database_url.rsplit("/", 1)[0] + "/postgres"
            for statement in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
                subprocess.run(["psql", server, "-qc", statement], check=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        print(f"{connection.vendor}, {arguments.movies} movies")
        recount_seconds = fill(arguments.movies)
        print(f"recount_all_movies: {recount_seconds:.1f} s")
        measure(arguments.repeat)


if __name__ == "__main__":
    main()
