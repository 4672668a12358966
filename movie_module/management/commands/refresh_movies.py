"""`manage.py refresh_movies`: fetch stale movie details from the IMDb API in bulk.

Bounded concurrency, paced by a token bucket within the API's rate limit (each movie is two
requests: overview and credits). Stops early when the circuit breaker opens.

Exit status: 0 when every movie was refreshed (or the API said it does not know it), and
also when RAPIDAPI_KEY is unset, since running without the API is a supported setup (the
message says nothing was done); 1 when some refreshes failed or were skipped.
"""

import dataclasses
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from movie_module.catalogue.selectors import stale_movies
from movie_module.catalogue.services import RefreshOutcome, imdb_config, refresh_movie
from movie_module.imdb.client import ImdbClient
from movie_module.imdb.errors import ImdbCircuitOpen, ImdbError
from movie_module.models import Movie


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Refresh the details of movies fetched from the IMDb API longer ago than N days (or never)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=non_negative_int,
            default=None,
            help="refresh movies whose details are older than this (default IMDB_REFRESH_AFTER_DAYS)",
        )
        parser.add_argument("--limit", type=positive_int, default=None, help="refresh at most this many")
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            default=None,
            help="requests in flight at once (default IMDB_REFRESH_CONCURRENCY)",
        )
        parser.add_argument(
            "--rate",
            type=positive_float,
            default=None,
            help="API requests per second at most (default IMDB_RATE_PER_SECOND)",
        )

    def handle(self, *args, older_than_days, limit, concurrency, rate, verbosity, **options):
        if not settings.RAPIDAPI_KEY:
            self.stdout.write("RAPIDAPI_KEY is not set: the IMDb API is off, nothing to refresh.")
            return
        older_than_days = settings.IMDB_REFRESH_AFTER_DAYS if older_than_days is None else older_than_days
        concurrency = concurrency or settings.IMDB_REFRESH_CONCURRENCY
        rate = rate or settings.IMDB_RATE_PER_SECOND
        # A client of its own: this run's pace, and a breaker that reflects this run alone.
        client = ImdbClient(dataclasses.replace(imdb_config(), rate_per_second=rate), cache=cache)

        stale = stale_movies(older_than_days=older_than_days)
        movies = list(stale[:limit] if limit else stale)
        counts = {"refreshed": 0, "not found": 0, "failed": 0, "skipped": 0}
        counts_lock = threading.Lock()

        def refresh(movie: Movie) -> None:
            try:
                outcome = refresh_movie(movie, client=client)
                key = "refreshed" if outcome is RefreshOutcome.REFRESHED else "not found"
            except ImdbCircuitOpen:
                key = "skipped"
            except ImdbError as exc:
                key = "failed"
                self.stderr.write(f"{movie.imdb_id}: {exc}")
            finally:
                connections.close_all()  # this worker thread's connection
            with counts_lock:
                counts[key] += 1

        try:
            self._run(refresh, movies, client, concurrency, counts, progress=verbosity > 0)
        finally:
            client.close()

        summary = (
            f"Refreshed {counts['refreshed']}, not found {counts['not found']}, failed {counts['failed']}, "
            f"skipped {counts['skipped']} of {len(movies)} movies older than {older_than_days} days."
        )
        if counts["failed"] or counts["skipped"]:
            raise CommandError(summary + " The IMDb API is failing; run again later.")
        self.stdout.write(summary)

    def _run(self, refresh, movies, client, concurrency, counts, *, progress: bool) -> None:
        """Refresh every movie with at most `concurrency` in flight; stop submitting once the
        breaker opens and count the rest as skipped."""
        remaining = iter(movies)
        in_flight = set()
        with (
            tqdm(total=len(movies), unit="movie", disable=not progress, file=sys.stderr) as bar,
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="refresh-movies") as pool,
        ):
            while True:
                while len(in_flight) < concurrency and client.breaker.state != "open":
                    movie = next(remaining, None)
                    if movie is None:
                        break
                    in_flight.add(pool.submit(refresh, movie))
                if not in_flight:
                    break
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
                bar.update(len(done))
        counts["skipped"] += sum(1 for _ in remaining)
