"""Imports and the export at 5,000 rows, with the IMDb API off (issue 16).

    .venv/bin/python bench/imports.py [--rows 5000] [--movies 20000] [--database-url postgres://.../scratch]

Fills a scratch database (SQLite in a temp folder unless --database-url names one; its
movies, users and imports are replaced) with a synthetic catalogue, builds a Letterboxd
export ZIP of `--rows` rows (ratings, watched, watchlist, all matched by title and year)
and times: the upload's check, the import (read, match, apply), the same import again
(nothing changes), then the user's export of those rows streamed by a real uvicorn server.
"""

import argparse
import io
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def letterboxd_zip(movies, rows: int, rng: random.Random) -> bytes:
    """ratings.csv (half the rows), watched.csv (a fifth), watchlist.csv (the rest)."""
    chosen = rng.sample(movies, rows)
    ratings, watched, watchlist = (
        chosen[: rows // 2],
        chosen[rows // 2 : rows * 7 // 10],
        chosen[rows * 7 // 10 :],
    )

    def csv(header, films, extra=lambda: []):
        lines = [header] + [
            ",".join(["2022-01-01", f'"{m.title}"', str(m.year), "https://boxd.it/x", *extra()])
            for m in films
        ]
        return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "ratings.csv",
            csv("Date,Name,Year,Letterboxd URI,Rating", ratings, lambda: [str(rng.randint(1, 10) / 2)]),
        )
        archive.writestr("watched.csv", csv("Date,Name,Year,Letterboxd URI", watched))
        archive.writestr("watchlist.csv", csv("Date,Name,Year,Letterboxd URI", watchlist))
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--movies", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="scrapbook-imports-bench-")
    env = {"SQLITE_PATH": str(Path(scratch) / "imports.sqlite3"), "LOG_LEVEL": "WARNING", "RAPIDAPI_KEY": ""}
    if arguments.database_url:
        env["DATABASE_URL"] = arguments.database_url
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=os.environ, check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
    import django

    django.setup()
    from django.db import connection
    from rest_framework_simplejwt.tokens import RefreshToken

    from authentication.models import User
    from movie_module.models import Movie
    from your_data.imports import services
    from your_data.models import Import

    rng = random.Random(1)
    Import.objects.all().delete()
    User.objects.filter(username="bench-importer").delete()
    Movie.objects.all().delete()
    Movie.objects.bulk_create(
        [
            Movie(imdb_id=f"tt{20000000 + n}", title=f"Film Number {n}", year=1950 + n % 70)
            for n in range(arguments.movies)
        ],
        batch_size=5000,
    )
    movies = list(Movie.objects.only("title", "year"))
    user = User.objects.create_user("bench-importer", "bench@example.com", "a-long-bench-passphrase")
    data = letterboxd_zip(movies, arguments.rows, rng)

    print(
        f"{connection.vendor}, {arguments.movies:,} movies, "
        f"a Letterboxd ZIP of {arguments.rows:,} rows ({len(data):,} bytes)\n"
    )
    print("| step | seconds | counts |")
    print("|---|---:|---|")
    for label in ("import", "the same import again"):
        started = time.perf_counter()
        job = services.import_create(
            user=user,
            format_name="letterboxd",
            upload=io.BytesIO(data),
            filename="letterboxd.zip",
            size=len(data),
        )
        checked = time.perf_counter()
        services.import_run(import_id=job.pk)  # what the task runs
        finished = time.perf_counter()
        job.refresh_from_db()
        print(f"| upload check | {checked - started:.2f} | |")
        print(f"| {label}: read, match, apply | {finished - checked:.2f} | {job.counts} |")

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scrapbook.serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=os.environ,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                requests.get(url + "/api/health/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = str(RefreshToken.for_user(user).access_token)
        for label in ("export (the server's first request)", "export again"):
            started = time.perf_counter()
            with requests.get(
                url + "/api/me/export/", headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=60
            ) as answer:
                answer.raise_for_status()
                chunks = answer.iter_content(chunk_size=None)
                first = next(chunks)
                first_byte = time.perf_counter()
                size = len(first) + sum(len(chunk) for chunk in chunks)
            finished = time.perf_counter()
            print(f"| {label}: first bytes | {first_byte - started:.2f} | |")
            print(f"| {label}: whole ZIP ({size:,} bytes) | {finished - started:.2f} | |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
