"""How long `manage.py import_movielens` takes for a MovieLens-shaped download.

    .venv/bin/python bench/movielens_import.py [--ratings 1000000] [--database-url postgres://...]

Writes a synthetic download in the ml-latest-small/ml-25m CSV layout to a temp folder
(10,000 movies with links, 6,040 users, ratings listed by user then movie as GroupLens
lists them; never MovieLens data), migrates a scratch database (SQLite unless
--database-url names one) and times a first import and an idempotent re-run.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BASE_DIR = Path(__file__).resolve().parent.parent
MOVIES, USERS = 10_000, 6_040


def write_download(folder: Path, ratings: int) -> None:
    random = np.random.default_rng(1)
    with open(folder / "movies.csv", "w") as movies:
        movies.write("movieId,title,genres\n")
        movies.writelines(
            f'{n},"Film Number {n}, The ({1950 + n % 70})",Drama|Comedy\n' for n in range(1, MOVIES + 1)
        )
    with open(folder / "links.csv", "w") as links:
        links.write("movieId,imdbId,tmdbId\n")
        links.writelines(f"{n},{1000000 + n:07d},{n}\n" for n in range(1, MOVIES + 1))
    pairs = np.sort(random.choice(USERS * MOVIES, size=ratings, replace=False))
    users, movies = pairs // MOVIES + 1, pairs % MOVIES + 1
    stars = random.integers(1, 11, size=ratings) / 2
    with open(folder / "ratings.csv", "w") as file:
        file.write("userId,movieId,rating,timestamp\n")
        for start in range(0, ratings, 100_000):
            part = slice(start, start + 100_000)
            file.writelines(
                f"{user},{movie},{star:.1f},964982703\n"
                for user, movie, star in zip(users[part], movies[part], stars[part], strict=True)
            )


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="scrapbook-import-bench-"))
    download = scratch / "ml-synthetic"
    download.mkdir()
    write_download(download, arguments.ratings)
    env = {**os.environ, "SQLITE_PATH": str(scratch / "bench.sqlite3"), "LOG_LEVEL": "WARNING"}
    if arguments.database_url:
        env["DATABASE_URL"] = arguments.database_url
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    command = [sys.executable, "manage.py", "import_movielens", str(download), "--no-progress"]
    first = timed(command, env)
    again = timed(command, env)
    engine = "PostgreSQL" if arguments.database_url else "SQLite"
    print(f"| {engine} | {arguments.ratings:,} ratings | first import {first:.1f} s | re-run {again:.1f} s |")


if __name__ == "__main__":
    main()
