"""CPU time of single API requests, in-process through the ASGI application (no network).

    .venv/bin/python bench/profile_api.py --database-url postgres://... [--redis-url redis://...]
        [--no-cache] [--requests 300] [--rounds 3] [--profile "GET /api/feed/"] [--sort tottime]

Runs against a database that bench/api.py has filled (its 200 `bench` users, their
follows and activities). Each endpoint is asked the same `--requests` requests, one at a
time, once unmeasured (so, with the cache, each answer is then a hit) and then in
`--rounds` rounds that take the endpoints in turn; it prints the CPU time (process time,
robust to a busy machine) and wall time per request, and each one's ratio to the bare
view's CPU time, and the CPU time PostgreSQL's processes spent meanwhile (the
machine otherwise quiet). `--profile NAME` also runs cProfile over that
endpoint's requests, through Django's test client in this thread, and prints its top
functions. --no-cache builds every answer from the database.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.servers import asgi_get  # noqa: E402


def environment(arguments) -> dict:
    env = {
        "DJANGO_SETTINGS_MODULE": "scrapbook.settings",
        "DJANGO_ROOT_URLCONF": "bench.urls",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": arguments.database_url,
        "RECOMMENDER_AUTO_REFIT": "0",
        # The recommender fitted for these runs (fit_recommender, once), not the demo's var/.
        "SCRAPBOOK_DATA_DIR": str(Path(tempfile.gettempdir()) / "scrapbook-profile-api"),
    }
    if arguments.redis_url:
        env["REDIS_URL"] = arguments.redis_url
    if arguments.no_cache:
        env["API_CACHE_SECONDS"] = "0"
    return env


CHAT_ROOMS = ["lobby", "movie:tt0133093", "movie:tt0468569", "movie:tt1375666"]
MESSAGES_PER_ROOM = 300


def prepare_mix_reads(people) -> None:
    """What the load mix's other reads need: chat history in a few rooms (as bench/load.py
    writes it) and a fitted recommender, made once."""
    from django.conf import settings
    from django.core.management import call_command

    from chat.models import Message

    if not Message.objects.filter(room=CHAT_ROOMS[0]).exists():
        rng = random.Random(9)
        Message.objects.bulk_create(
            Message(room=room, user=rng.choice(people), text=f"Message {number} in {room}")
            for room in CHAT_ROOMS
            for number in range(MESSAGES_PER_ROOM)
        )
    if not any(Path(settings.DATA_DIR).glob("recommender/*.npz")):
        call_command("fit_recommender", verbosity=0)


def endpoints(rng: random.Random) -> dict:
    from rest_framework_simplejwt.tokens import AccessToken

    from authentication.models import User
    from movie_module.models import Movie, Review

    people = list(User.objects.filter(username__startswith="bench").order_by("id"))
    prepare_mix_reads(people)
    tokens = [str(AccessToken.for_user(person)) for person in people]
    imdb_ids = list(Movie.objects.values_list("imdb_id", flat=True))
    movie_pages = max(1, len(imdb_ids) // 20)
    review_pages = max(1, Review.objects.count() // 20)
    usernames = [person.username for person in people]
    return {
        "bare": lambda: ("/bench/ceiling/", None),
        "GET /api/movies/": lambda: (f"/api/movies/?page={rng.randint(1, movie_pages)}", None),
        "GET /api/movies/<id>/": lambda: (f"/api/movies/{rng.choice(imdb_ids)}/", rng.choice(tokens)),
        "GET /api/watchlist/": lambda: ("/api/watchlist/", rng.choice(tokens)),
        "GET /api/reviews/": lambda: (f"/api/reviews/?page={rng.randint(1, review_pages)}", None),
        "GET /api/feed/": lambda: ("/api/feed/", rng.choice(tokens)),
        "GET /api/users/<username>/": lambda: (f"/api/users/{rng.choice(usernames)}/", None),
        # The load mix's other reads (bench/load.py).
        "GET /api/chat/rooms/<room>/messages/": lambda: (
            f"/api/chat/rooms/{rng.choice(CHAT_ROOMS)}/messages/",
            rng.choice(tokens),
        ),
        "GET /api/recommendations/": lambda: ("/api/recommendations/", rng.choice(tokens)),
    }


async def warm_up(application, requests: list) -> None:
    """Each request once, unmeasured: connections opened, queries compiled, answers cached."""
    for url, token in requests:
        status, body = await asgi_get(application, url, token, host="127.0.0.1")
        assert status == 200, (url, status, body[:200])


def database_cpu_seconds() -> float:
    """User and system time of every `postgres` process on this machine, from /proc: on a
    machine otherwise quiet, what the server spends on our queries."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        if name.startswith("postgres"):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


async def measure(application, requests: list) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, database CPU seconds) of asking `requests` one after the other."""
    cpu, wall, database = time.process_time(), time.perf_counter(), database_cpu_seconds()
    for url, token in requests:
        await asgi_get(application, url, token, host="127.0.0.1")
    return time.process_time() - cpu, time.perf_counter() - wall, database_cpu_seconds() - database


def profile_in_this_thread(requests: list, sort: str, lines: int) -> None:
    """cProfile of `requests` through Django's test client, in this thread: the same
    middleware and view as under ASGI, where they run on a request thread cProfile cannot see."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")

    def ask_all():
        for url, token in requests:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            client.get(url, **headers)

    ask_all()  # warm up
    # CPU time, as the table counts: a query's wait on PostgreSQL is not this process's cost.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    ask_all()
    profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--requests", type=int, default=300, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="endpoints whose name contains this")
    parser.add_argument("--profile", default="", help="an endpoint's name: print its cProfile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=40)
    arguments = parser.parse_args()
    os.environ.update(environment(arguments))

    from scrapbook.asgi import django_application

    rng = random.Random(5)
    asked = {
        name: [next_request() for _ in range(arguments.requests)]
        for name, next_request in endpoints(rng).items()
        if not arguments.only or arguments.only in name or name == "bare"
    }
    if arguments.profile:
        profile_in_this_thread(asked[arguments.profile], arguments.sort, arguments.lines)
    for requests in asked.values():
        asyncio.run(warm_up(django_application, requests))
    # In rounds that take the endpoints in turn: a machine that gets busier or quieter
    # weighs on them all alike.
    totals = {name: [0.0, 0.0, 0.0] for name in asked}
    for _ in range(arguments.rounds):
        for name, requests in asked.items():
            for index, seconds in enumerate(asyncio.run(measure(django_application, requests))):
                totals[name][index] += seconds
    count = arguments.requests * arguments.rounds
    results = {name: [seconds * 1000 / count for seconds in total] for name, total in totals.items()}
    bare_cpu = results["bare"][0]
    print("| endpoint | CPU ms | wall ms | CPU × bare | PostgreSQL CPU ms |")
    print("|---|---:|---:|---:|---:|")
    for name, (cpu, wall, database) in results.items():
        print(f"| {name} | {cpu:.2f} | {wall:.2f} | {cpu / bare_cpu:.1f} | {database:.2f} |")


if __name__ == "__main__":
    main()
