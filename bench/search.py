"""Title search on a 100,000-movie catalogue: the count and first page of `?search=`.

    .venv/bin/python bench/search.py [--movies 100000] [--runs 40] [--database-url postgres://.../scratch]
                                     [--sqlite-path var/search-bench.sqlite3] [--reuse]

Fills a scratch database (SQLite in a temp folder unless --database-url names one; that
database's movies are replaced) with synthetic titles: one to five words drawn from a
vocabulary of 6,000 (20 common words weigh most), some with an original-language
title as an alternate title, and a few well-known films among them. Then times what
GET /api/movies/?search= runs for each search, typos included: the typo index look-up,
the count and the first ranked page of 20. Prints p50, p95 and max per search, and the p95
of all searches together, in ms; and the p95 of this process's CPU time, which holds
SQLite's work but not PostgreSQL's, and which other load on the machine inflates less.
--reuse keeps a catalogue of the right size that an earlier run of this version filled
(filling 100,000 movies takes two to three minutes).
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
# A word slot holds one of the 20 common words this often: each is then in about 1.5% of the
# titles, as "love", the commonest word of IMDb's film titles after the articles, is in theirs.
COMMON_WORD_SHARE = 0.1
# fmt: off
COMMON_WORDS = [
    "dark", "night", "love", "star", "war", "man", "city", "king", "lost", "return",
    "blue", "house", "dead", "life", "girl", "storm", "river", "ghost", "secret", "last",
]
SYLLABLES = [
    "ka", "lo", "mi", "ra", "ten", "vor", "sa", "del", "qui", "no", "ber", "an", "tal", "ro",
    "fe", "lin", "mar", "os", "ty", "gra", "che", "um", "pel", "dor", "ish", "wen", "zu", "bri",
]
FAMOUS = [
    ("The Godfather", [], 2_000_000),
    ("The Godfather Part II", [], 1_300_000),
    ("Amélie", ["Le Fabuleux Destin d'Amélie Poulain"], 800_000),
    ("Léon: The Professional", ["Léon"], 1_200_000),
    ("The Matrix", [], 2_100_000),
    ("The Dark Knight", [], 2_800_000),
    ("Star Wars", [], 1_400_000),
]
SEARCHES = [
    "matrix", "dark knight", "the", "star war", "ghost river storm", "a", "go",
    "godfather", "amelie", "leon", "le fabuleux destin",
    "godfahter", "the godfahter", "amelei", "ghots river", "secrte", "dark nihgt", "storn",
]
# fmt: on


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_titles(count: int, rng: random.Random):
    """(title, alternate titles, IMDb votes) for `count` movies."""
    rare_words = vocabulary(rng, 6000)
    for number in range(count):
        words = [
            rng.choice(COMMON_WORDS) if rng.random() < COMMON_WORD_SHARE else rng.choice(rare_words)
            for _ in range(rng.randint(1, 5))
        ]
        if rng.random() < 0.3:
            words.insert(0, "the")
        title = " ".join(words).title() + (f" {number}" if rng.random() < 0.3 else "")
        alternates = (
            [" ".join(rng.choice(rare_words) for _ in range(3)).title()] if rng.random() < 0.1 else []
        )
        yield title, alternates, int(rng.paretovariate(1.2) * 1000)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sqlite-path", default="")
    parser.add_argument("--reuse", action="store_true")
    arguments = parser.parse_args()

    sqlite_path = arguments.sqlite_path or str(
        Path(tempfile.mkdtemp(prefix="scrapbook-search-bench-")) / "search.sqlite3"
    )
    env = {"SQLITE_PATH": sqlite_path, "LOG_LEVEL": "WARNING"}
    if arguments.database_url:
        env["DATABASE_URL"] = arguments.database_url
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=os.environ, check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
    import django

    django.setup()
    from django.db import connection

    from movie_module.models import Movie

    started = time.perf_counter()
    if not (arguments.reuse and Movie.objects.count() == arguments.movies):
        fill(arguments.movies)
    filled = time.perf_counter() - started
    if connection.vendor == "postgresql":  # what autovacuum would have done by now
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE movie_module_movie")
            cursor.execute("VACUUM ANALYZE movie_module_titlewordvariant")
    report(arguments.runs, filled)


def fill(count: int):
    """Replace the database's movies with `count` synthetic ones."""
    from movie_module.models import Movie, TitleWordVariant

    rng = random.Random(1)
    Movie.objects.all().delete()
    TitleWordVariant.objects.all().delete()
    movies = [
        Movie(imdb_id=f"tt{19000000 + number}", title=title, alternate_titles=alternates, imdb_votes=votes)
        for number, (title, alternates, votes) in enumerate(FAMOUS)
    ]
    movies += [
        Movie(imdb_id=f"tt{20000000 + number}", title=title, alternate_titles=alternates, imdb_votes=votes)
        for number, (title, alternates, votes) in enumerate(synthetic_titles(count - len(FAMOUS), rng))
    ]
    Movie.objects.bulk_create(movies, batch_size=5000)


def report(runs: int, filled: float):
    from django.db import connection

    from movie_module.catalogue import selectors
    from movie_module.models import Movie, TitleWordVariant

    movies, typo_rows = Movie.objects.count(), TitleWordVariant.objects.count()
    print(
        f"{connection.vendor}, {movies:,} movies, {typo_rows:,} typo index rows (filled in {filled:.0f} s):"
        f" typo look-up + count + first page of 20, {runs} runs each\n"
    )
    print("| search | matches | first match | p50 ms | p95 ms | max ms | p95 CPU ms |")
    print("|---|---:|---|---:|---:|---:|---:|")
    everything, everything_cpu = [], []
    for query in SEARCHES:
        timings, cpu_timings = [], []
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            queryset = selectors.movie_list(search=query)
            matches = queryset.count()
            page = list(queryset[:20])
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.process_time() - cpu_started) * 1000)
        everything += timings
        everything_cpu += cpu_timings
        p50, p95 = np.percentile(timings, [50, 95])
        first = page[0].title if page else "–"
        print(
            f"| {query} | {matches:,} | {first} | {p50:.1f} | {p95:.1f} | {max(timings):.1f} |"
            f" {np.percentile(cpu_timings, 95):.1f} |"
        )
    print(
        f"\nAll searches: p95 {np.percentile(everything, 95):.1f} ms, max {max(everything):.1f} ms;"
        f" p95 of this process's CPU time {np.percentile(everything_cpu, 95):.1f} ms"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
