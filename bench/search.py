"""Title search on a 100,000-movie catalogue: the count and first page of `?search=`.

    .venv/bin/python bench/search.py [--movies 100000] [--database-url postgres://.../scratch]

Fills a scratch database (SQLite in a temp folder unless --database-url names one; that
database's movies are replaced) with synthetic titles of one to four common words, then
times what GET /api/movies/?search= runs: the count and the first page of 20, ranked.
"""

import argparse
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
WORDS = [
    "dark",
    "night",
    "love",
    "star",
    "war",
    "man",
    "city",
    "king",
    "lost",
    "return",
    "blue",
    "house",
    "dead",
    "life",
    "girl",
    "storm",
    "river",
    "ghost",
    "secret",
    "last",
]
QUERIES = ["matrix", "dark knight", "the", "star war", "ghost river storm", "a"]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="scrapbook-search-bench-")
    env = {"SQLITE_PATH": str(Path(scratch) / "search.sqlite3"), "LOG_LEVEL": "WARNING"}
    if arguments.database_url:
        env["DATABASE_URL"] = arguments.database_url
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=os.environ, check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
    import django

    django.setup()
    from django.db import connection

    from movie_module.catalogue import selectors
    from movie_module.models import Movie

    words = WORDS
    rng = random.Random(1)
    Movie.objects.all().delete()
    Movie.objects.bulk_create(
        [
            Movie(
                imdb_id=f"tt{20000000 + number}",
                title=" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))).title() + f" {number}",
                year=1950 + number % 70,
                imdb_votes=rng.randint(0, 10**6),
            )
            for number in range(arguments.movies)
        ],
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE movie_module_movie")

    print(f"{connection.vendor}, {arguments.movies:,} movies: count + first page of 20, median of 20 runs\n")
    print("| search | matches | ms |")
    print("|---|---:|---:|")
    for query in QUERIES:
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            queryset = selectors.movie_list(search=query)
            matches = queryset.count()
            list(queryset[:20])
            timings.append((time.perf_counter() - started) * 1000)
        print(f"| {query} | {matches:,} | {statistics.median(timings):.1f} |")


if __name__ == "__main__":
    main()
