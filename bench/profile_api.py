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
functions. --no-cache builds every answer from the database. --writes asks the load mix's
writes too (bench/load.py): watchlist adds of any movie (one listed already answers 200),
marks of the caller's items as watched, reviews of movies the caller has not reviewed;
they stay in the database.
"""

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.servers import asgi_request  # noqa: E402


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


def bench_people() -> tuple[list, list[str]]:
    """The users bench/api.py made, and an access token for each."""
    from rest_framework_simplejwt.tokens import AccessToken

    from authentication.models import User

    people = list(User.objects.filter(username__startswith="bench").order_by("id"))
    return people, [str(AccessToken.for_user(person)) for person in people]


def endpoints(rng: random.Random) -> dict:
    """Each read's name -> a function giving its next request, (method, URL, token, body)."""
    from movie_module.models import Movie, Review

    people, tokens = bench_people()
    prepare_mix_reads(people)
    imdb_ids = list(Movie.objects.values_list("imdb_id", flat=True))
    movie_pages = max(1, len(imdb_ids) // 20)
    review_pages = max(1, Review.objects.count() // 20)
    usernames = [person.username for person in people]
    reads = {
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
    return {name: (lambda read=read: ("GET", *read(), b"")) for name, read in reads.items()}


# Requests of each write asked before its measured rounds.
WRITES_UNMEASURED = 20
# What each write answers when it goes right; a read, 200.
WRITE_STATUSES = {
    "POST /api/watchlist/": (200, 201),
    "PATCH /api/watchlist/<id>/": (200,),
    "POST /api/reviews/": (201,),
}


def write_requests(rng: random.Random, count: int) -> dict:
    """`count` requests of each of the load mix's writes, each by one of the bench users."""
    from movie_module.models import Movie, Review, WatchlistItem

    people, tokens = bench_people()
    imdb_ids = list(Movie.objects.values_list("imdb_id", flat=True))
    items, unreviewed = [], []
    for person in people:
        items.append(list(WatchlistItem.objects.filter(user=person).values_list("id", flat=True)))
        reviewed = set(Review.objects.filter(user=person).values_list("movie__imdb_id", flat=True))
        unreviewed.append(rng.sample(sorted(set(imdb_ids) - reviewed), k=len(set(imdb_ids) - reviewed)))
    asked = {name: [] for name in WRITE_STATUSES}
    while len(asked["POST /api/reviews/"]) < count:
        number = rng.randrange(len(people))
        if not items[number] or not unreviewed[number]:
            continue
        token = tokens[number]
        added = json.dumps({"imdb_id": rng.choice(imdb_ids)}).encode()
        asked["POST /api/watchlist/"].append(("POST", "/api/watchlist/", token, added))
        watched = ("PATCH", f"/api/watchlist/{rng.choice(items[number])}/", token, b'{"watched": true}')
        asked["PATCH /api/watchlist/<id>/"].append(watched)
        review = {"imdb_id": unreviewed[number].pop(), "rating": rng.randint(1, 10) / 2, "body": "Seen it."}
        asked["POST /api/reviews/"].append(("POST", "/api/reviews/", token, json.dumps(review).encode()))
    return asked


async def warm_up(application, requests: list, expected: tuple[int, ...] = (200,)) -> None:
    """Each request once, unmeasured: connections opened, queries compiled, answers cached."""
    for method, url, token, body in requests:
        status, answer = await asgi_request(application, method, url, token, body, host="127.0.0.1")
        assert status in expected, (method, url, status, answer[:200])


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
    for method, url, token, body in requests:
        await asgi_request(application, method, url, token, body, host="127.0.0.1")
    return time.process_time() - cpu, time.perf_counter() - wall, database_cpu_seconds() - database


def profile_in_this_thread(requests: list, sort: str, lines: int) -> None:
    """cProfile of `requests` through Django's test client, in this thread: the same
    middleware and view as under ASGI, where they run on a request thread cProfile cannot see."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")

    def ask_all(requests):
        for method, url, token, body in requests:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            client.generic(method, url, body, content_type="application/json", **headers)

    # A write is asked once: the first tenth warms up, the rest is profiled.
    warm = len(requests) // 10 if requests[0][0] != "GET" else len(requests)
    ask_all(requests[:warm])
    # CPU time, as the table counts: a query's wait on PostgreSQL is not this process's cost.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    ask_all(requests[warm:] if requests[0][0] != "GET" else requests)
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
    parser.add_argument("--writes", action="store_true", help="the load mix's writes too")
    arguments = parser.parse_args()
    os.environ.update(environment(arguments))

    from scrapbook.asgi import django_application

    rng = random.Random(5)
    # Each endpoint's requests unmeasured, then those of each measured round: a read asks
    # the same ones each time, a write new ones.
    warm, rounds, expected = {}, {}, {}
    for name, next_request in endpoints(rng).items():
        if not arguments.only or arguments.only in name or name == "bare":
            warm[name] = [next_request() for _ in range(arguments.requests)]
            rounds[name] = [warm[name]] * arguments.rounds
    if arguments.writes:
        if arguments.profile in WRITE_STATUSES:
            profile_in_this_thread(
                write_requests(rng, arguments.requests)[arguments.profile], arguments.sort, arguments.lines
            )
        size, warm_size = arguments.requests, WRITES_UNMEASURED
        for name, requests in write_requests(rng, warm_size + size * arguments.rounds).items():
            if not arguments.only or arguments.only in name:
                warm[name], expected[name] = requests[:warm_size], WRITE_STATUSES[name]
                measured = requests[warm_size:]
                rounds[name] = [measured[size * number :][:size] for number in range(arguments.rounds)]
    if arguments.profile in warm and arguments.profile not in WRITE_STATUSES:
        profile_in_this_thread(warm[arguments.profile], arguments.sort, arguments.lines)
    for name, requests in warm.items():
        asyncio.run(warm_up(django_application, requests, expected.get(name, (200,))))
    # In rounds that take the endpoints in turn: a machine that gets busier or quieter
    # weighs on them all alike.
    totals = {name: [0.0, 0.0, 0.0] for name in rounds}
    for number in range(arguments.rounds):
        for name, asked in rounds.items():
            for index, seconds in enumerate(asyncio.run(measure(django_application, asked[number]))):
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
