"""Throughput and latency of the movie API under concurrent load, against a bare Django view.

    .venv/bin/python bench/api.py [--seconds 12] [--rounds 4] [--concurrency 32] [--workers 1]
                                  [--database-url postgres://...] [--redis-url redis://...]
                                  [--no-cache]

Builds a scratch database (SQLite in a temp folder unless --database-url names one):
the demo catalogue, 200 users each with 20 watchlist items and reviews, 10 diary entries,
following 50 others (their reviews and watches fill the feed). Starts uvicorn
with Scrapbook plus a bare `JsonResponse` view (bench/urls.py), drives each endpoint with
aiohttp for a fixed time, and prints requests per second, p50 and p99, and each endpoint's
throughput as a share of the bare view's, measured in the same run. The time is split into
rounds that take the endpoints in turn, so a machine that gets busier or quieter during the
run weighs on the bare view and the endpoints alike.

It also prints the server's CPU per request (its processes' user and system time, from
/proc, over the requests answered) and the bare view's CPU per request as a share of each
endpoint's: the capacity the endpoint leaves, which the load generator, PostgreSQL and Redis
sharing the machine's cores weigh on less than on throughput.

Answers are cached until a write changes them (scrapbook/response_cache.py); after the warm-up
the public lists come from the cache, while the movie page still reads the caller's own
watchlist item and review. --no-cache (API_CACHE_SECONDS=0) measures every request built
from the database.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.servers import serving, uvicorn_command  # noqa: E402


def prepare_database(env: dict, users: int) -> dict:
    """Migrate and fill the scratch database; return tokens and ids the requests use."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "load_demo_data"], cwd=BASE_DIR, env=env, check=True)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
    import django

    django.setup()
    from rest_framework_simplejwt.tokens import AccessToken

    from authentication.models import User
    from movie_module.models import Movie, Review, WatchlistItem

    movies = list(Movie.objects.values_list("id", "imdb_id"))
    rng = random.Random(7)
    people = User.objects.bulk_create(
        [User(username=f"bench{number}", email=f"bench{number}@example.com") for number in range(users)],
        ignore_conflicts=True,
    )
    people = list(User.objects.filter(username__startswith="bench"))
    items, reviews = [], []
    for person in people:
        for movie_id, _ in rng.sample(movies, 40)[:20]:
            items.append(WatchlistItem(user=person, movie_id=movie_id))
        for movie_id, _ in rng.sample(movies, 20):
            reviews.append(Review(user=person, movie_id=movie_id, rating=rng.choice(range(1, 11)) / 2))
    WatchlistItem.objects.bulk_create(items, ignore_conflicts=True)
    Review.objects.bulk_create(reviews, ignore_conflicts=True)
    fill_social(people, movies, rng)
    analyze_tables()
    return {
        "tokens": [str(AccessToken.for_user(person)) for person in people],
        "imdb_ids": [imdb_id for _, imdb_id in movies],
        "movie_pages": max(1, len(movies) // 20),
        "review_pages": max(1, Review.objects.count() // 20),
        "usernames": [person.username for person in people],
    }


def analyze_tables() -> None:
    """The planner's statistics, as autovacuum keeps them on a live PostgreSQL database (off
    on this machine): without them, it plans the feed's joins over every activity."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def fill_social(people, movies, rng) -> None:
    """Diary entries, follows, and the feed's activities, as the services would write them."""
    import datetime

    from movie_module.models import Activity, Follow, Review, Watch

    if Follow.objects.exists():
        return
    watches = [
        Watch(
            user=person,
            movie_id=movie_id,
            watched_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(2000)),
            rating=None if rng.random() < 0.3 else rng.choice(range(1, 11)) / 2,
        )
        for person in people
        for movie_id, _ in rng.sample(movies, 10)
    ]
    Watch.objects.bulk_create(watches)
    Follow.objects.bulk_create(
        Follow(follower=person, followed=other)
        for person in people
        for other in rng.sample([other for other in people if other != person], min(50, len(people) - 1))
    )
    happened = [
        ("review", review_id, user_id) for review_id, user_id in Review.objects.values_list("id", "user_id")
    ]
    happened += [
        ("watch", watch_id, user_id) for watch_id, user_id in Watch.objects.values_list("id", "user_id")
    ]
    rng.shuffle(happened)  # interleaved in time, as people act
    Activity.objects.bulk_create(
        Activity(user_id=user_id, kind=kind, **{f"{kind}_id": target_id})
        for kind, target_id, user_id in happened
    )


def endpoints(fixtures: dict) -> dict:
    """Name -> function returning (path, needs_token) for one request."""
    rng = random.Random(11)
    return {
        "bare JsonResponse (ceiling)": lambda: ("/bench/ceiling/", False),
        "GET /api/movies/": lambda: (f"/api/movies/?page={rng.randint(1, fixtures['movie_pages'])}", False),
        "GET /api/movies/<id>/": lambda: (f"/api/movies/{rng.choice(fixtures['imdb_ids'])}/", True),
        "GET /api/watchlist/": lambda: ("/api/watchlist/", True),
        "GET /api/reviews/": lambda: (
            f"/api/reviews/?page={rng.randint(1, fixtures['review_pages'])}",
            False,
        ),
        "GET /api/feed/": lambda: ("/api/feed/", True),
        "GET /api/users/<username>/": lambda: (f"/api/users/{rng.choice(fixtures['usernames'])}/", False),
    }


async def drive(url: str, next_request, tokens: list[str], seconds: float, concurrency: int):
    """Requests from `concurrency` clients for `seconds`: (latencies in seconds, errors, elapsed)."""
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(number: int):
            nonlocal errors
            token = tokens[number % len(tokens)]
            while time.perf_counter() < deadline:
                path, needs_token = next_request()
                headers = {"Authorization": f"Bearer {token}"} if needs_token else {}
                started = time.perf_counter()
                async with session.get(url + path, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client(number) for number in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's workers), from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [pid]
    while pending:
        tree.append(pending.pop())
        pending.extend(parents.get(tree[-1], []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes `pids` so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def summary(latencies: list[float], errors: int, elapsed: float, cpu: float = 0.0) -> dict:
    latencies = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "requests": len(latencies),
        "errors": errors,
        "cpu_ms": cpu * 1000 / max(len(latencies), 1),
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=12, help="per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="", help="the cache (and Socket.IO) in Redis")
    parser.add_argument("--no-cache", action="store_true", help="build every answer from the database")
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="scrapbook-bench-")
    env = {
        **os.environ,
        "DJANGO_ROOT_URLCONF": "bench.urls",
        # Production settings: DEBUG's query log and static-file autorefresh would skew it.
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "SCRAPBOOK_DATA_DIR": scratch,
        "SQLITE_PATH": str(Path(scratch) / "bench.sqlite3"),
    }
    if arguments.database_url:
        env["DATABASE_URL"] = arguments.database_url
    if arguments.redis_url:
        env["REDIS_URL"] = arguments.redis_url
    if arguments.no_cache:
        env["API_CACHE_SECONDS"] = "0"
    fixtures = prepare_database(env, arguments.users)

    command = uvicorn_command(port=arguments.port, workers=arguments.workers)
    url = f"http://127.0.0.1:{arguments.port}"
    requests = endpoints(fixtures)
    measured = {name: ([], 0, 0.0, 0.0) for name in requests}
    with serving(command, env=env, url=url, ready_path="/bench/ceiling/") as server:
        time.sleep(1)  # uvicorn's workers started
        server_processes = process_tree(server.pid)
        for next_request in requests.values():
            asyncio.run(drive(url, next_request, fixtures["tokens"], 2, arguments.concurrency))  # warm up
        for _ in range(arguments.rounds):
            for name, next_request in requests.items():
                cpu_before = cpu_seconds(server_processes)
                latencies, errors, elapsed = asyncio.run(
                    drive(
                        url,
                        next_request,
                        fixtures["tokens"],
                        arguments.seconds / arguments.rounds,
                        arguments.concurrency,
                    )
                )
                cpu = cpu_seconds(server_processes) - cpu_before
                so_far = measured[name]
                measured[name] = (
                    so_far[0] + latencies,
                    so_far[1] + errors,
                    so_far[2] + elapsed,
                    so_far[3] + cpu,
                )
    results = {name: summary(*totals) for name, totals in measured.items()}

    ceiling = results["bare JsonResponse (ceiling)"]["rps"]
    ceiling_cpu = results["bare JsonResponse (ceiling)"]["cpu_ms"]
    engine = "PostgreSQL" if arguments.database_url else "SQLite"
    cache = "Redis cache" if arguments.redis_url else "local-memory cache"
    cache = "no cache" if arguments.no_cache else cache
    print(
        f"\nuvicorn workers={arguments.workers}, {engine}, {cache}, concurrency={arguments.concurrency}, "
        f"{arguments.seconds:.0f} s per endpoint in {arguments.rounds} rounds\n"
    )
    print(
        "| endpoint | requests/s | p50 ms | p99 ms | errors | share of ceiling "
        "| server CPU ms/request | CPU share |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        print(
            f"| {name} | {result['rps']:.0f} | {result['p50']:.1f} | {result['p99']:.1f} | "
            f"{result['errors']} | {result['rps'] / ceiling:.2f} | {result['cpu_ms']:.2f} | "
            f"{ceiling_cpu / result['cpu_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
