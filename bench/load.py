"""A realistic mix at 200 concurrent clients against uvicorn (2 workers), PostgreSQL and Redis.

    .venv/bin/pip install -r requirements-bench.txt    # locust, benchmark only
    .venv/bin/python bench/load.py [--seconds 60] [--warmup 10] [--clients 200] [--workers 2]
                                   [--rate REQUESTS_PER_SECOND]

Builds a scratch PostgreSQL database (`scrapbook_load`, dropped and created again each run)
and uses Redis database 9 (flushed at the start): migrations, the demo catalogue and
ratings, `--accounts` users with access tokens valid for an hour, their reviews, watchlists
and chat history in a few rooms, then a fit of the recommender. Starts
`uvicorn scrapbook.asgi:application --workers 2` with production settings plus a bare
`JsonResponse` view (bench/urls.py) and drives it with locust (bench/locustfile.py, one
process, FastHttpUser): first the mix, each simulated user signed in as its own account
(movie page, watchlist list, add and mark watched, review, recommendations, chat history),
then the bare view, with the same clients for the same time. Each phase runs `--warmup`
seconds before its `--seconds` of measurement. With `--rate`, the mix's clients pace
themselves to send that many requests a second in all (a load below capacity, at which
latency is the server's own rather than the queue's); the bare view still runs unpaced.

Prints, as Markdown: per endpoint requests, failures, requests/s, p50, p95, p99 and max;
the status codes seen; the bare view's throughput and the mix's share of it; CPU time of
the generator and the server; the most PostgreSQL connections open at once; and checks on
the database afterwards (no duplicates; as many new reviews and watchlist items as 201s).
Exits non-zero when any request failed or a check did not hold.
"""

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.servers import uvicorn_command  # noqa: E402

# Request names as bench/locustfile.py reports them (importing it would import locust,
# whose gevent monkey-patching has no place in this process).
CEILING = "GET /bench/ceiling/ (bare JsonResponse)"
REVIEW_CREATE = "POST /api/reviews/"
WATCHLIST_ADD = "POST /api/watchlist/"

ROOMS = ["lobby", "movie:tt0133093", "movie:tt0468569", "movie:tt1375666"]
MESSAGES_PER_ROOM = 300
SEED_REVIEWS = 6
SEED_WATCHLIST = 12
REVIEWABLE_PER_ACCOUNT = 120


def server_environment(arguments, scratch: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in {"RAPIDAPI_KEY", "SQLITE_PATH"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "scrapbook.settings",
            "DATABASE_URL": f"{arguments.postgres.rstrip('/')}/{arguments.database}",
            "DATABASE_CONN_MAX_AGE": str(arguments.conn_max_age),
            "DATABASE_POOL_MAX_SIZE": str(arguments.pool_size),
            "REDIS_URL": arguments.redis_url,
            "DJANGO_ROOT_URLCONF": "bench.urls",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "load-benchmark-only-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "AUTH_THROTTLE_RATE": "100000/second",
            "JWT_ACCESS_MINUTES": "60",
            "RECOMMENDER_AUTO_REFIT": "0",
            "LOG_LEVEL": "WARNING",
            "SCRAPBOOK_DATA_DIR": str(scratch),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def recreate_stores(arguments) -> None:
    """Drop and create the scratch database; empty the Redis database."""
    import psycopg
    import redis

    with psycopg.connect(f"{arguments.postgres.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{arguments.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{arguments.database}"')
    redis.Redis.from_url(arguments.redis_url).flushdb()


def prepare_database(env: dict, arguments) -> dict:
    """Migrate and fill the scratch database; return what the simulated users need."""
    for command in (["migrate", "--noinput", "-v0"], ["load_demo_data"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections
    from rest_framework_simplejwt.tokens import AccessToken

    from authentication.models import User
    from chat.models import Message
    from movie_module.models import Movie, Review, WatchlistItem

    rng = random.Random(8)
    movies = dict(Movie.objects.values_list("id", "imdb_id"))
    User.objects.bulk_create(
        User(username=f"load{number}", email=f"load{number}@example.com", password="!")
        for number in range(arguments.accounts)
    )
    people = list(User.objects.filter(username__startswith="load").order_by("id"))
    reviews, items, accounts = [], [], []
    for person in people:
        picked = rng.sample(list(movies), SEED_REVIEWS + SEED_WATCHLIST + REVIEWABLE_PER_ACCOUNT)
        reviewed = picked[:SEED_REVIEWS] if rng.random() < 0.9 else []  # some get "popular"
        listed = picked[SEED_REVIEWS : SEED_REVIEWS + SEED_WATCHLIST]
        reviews += [
            Review(user=person, movie_id=movie_id, rating=rng.randint(5, 10) / 2) for movie_id in reviewed
        ]
        items += [WatchlistItem(user=person, movie_id=movie_id) for movie_id in listed]
        accounts.append(
            {
                "username": person.username,
                "token": str(AccessToken.for_user(person)),
                "unreviewed": [movies[movie_id] for movie_id in picked[SEED_REVIEWS + SEED_WATCHLIST :]],
            }
        )
    Review.objects.bulk_create(reviews)
    created_items = WatchlistItem.objects.bulk_create(items)
    for item in created_items[::2]:
        item.watched = True
    WatchlistItem.objects.bulk_update(created_items[::2], ["watched"])
    for account, person in zip(accounts, people, strict=True):
        own = [item for item in created_items if item.user_id == person.id]
        account["item_ids"] = [item.id for item in own]
        account["unwatched_item_ids"] = [item.id for item in own if not item.watched]
    Message.objects.bulk_create(
        Message(room=room, user=rng.choice(people), text=f"Message {number} in {room}")
        for room in ROOMS
        for number in range(MESSAGES_PER_ROOM)
    )
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum keeps them live
    connections.close_all()
    # Fitted after the accounts' reviews exist, as a nightly fit would be.
    subprocess.run([sys.executable, "manage.py", "fit_recommender"], cwd=BASE_DIR, env=env, check=True)
    return {"accounts": accounts, "imdb_ids": sorted(movies.values()), "rooms": ROOMS}


def database_counts() -> dict:
    from django.db import connections
    from django.db.models import Count

    from chat.models import Message
    from movie_module.models import Review, WatchlistItem

    def duplicates(model):
        return (
            model.objects.values("user_id", "movie_id").annotate(rows=Count("id")).filter(rows__gt=1).count()
        )

    counts = {
        "reviews": Review.objects.count(),
        "watchlist_items": WatchlistItem.objects.count(),
        "watched_items": WatchlistItem.objects.filter(watched=True).count(),
        "messages": Message.objects.count(),
        "duplicate_reviews": duplicates(Review),
        "duplicate_watchlist_items": duplicates(WatchlistItem),
    }
    connections.close_all()
    return counts


class ConnectionSampler(threading.Thread):
    """Counts the scratch database's open PostgreSQL connections twice a second."""

    def __init__(self, arguments):
        super().__init__(daemon=True)
        self.arguments = arguments
        self.most = 0
        self.stopped = threading.Event()

    def run(self):
        import psycopg

        url = f"{self.arguments.postgres.rstrip('/')}/postgres"
        with psycopg.connect(url, autocommit=True) as connection:
            while not self.stopped.wait(0.5):
                count = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.arguments.database]
                ).fetchone()[0]
                self.most = max(self.most, count)

    def max_connections(self) -> int:
        import psycopg

        with psycopg.connect(f"{self.arguments.postgres.rstrip('/')}/postgres") as connection:
            return int(connection.execute("SHOW max_connections").fetchone()[0])


def start_server(env: dict, arguments, log_path: Path):
    import psutil
    import requests

    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(
            uvicorn_command(port=arguments.port, workers=arguments.workers),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{arguments.port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            # Each worker answers health once it is up; ask a few times so both are.
            if all(requests.get(url + "/api/health/", timeout=2).status_code == 200 for _ in range(8)):
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.terminate()
            raise SystemExit(f"uvicorn did not start: see {log_path}")
        time.sleep(0.2)
    workers = [child.pid for child in psutil.Process(server.pid).children() if "python" in child.name()]
    return server, url, workers


def run_phase(user_class: str, url: str, arguments, scratch: Path, fixtures_path: Path, workers) -> dict:
    results_path = scratch / f"{user_class}.json"
    env = {
        **os.environ,
        "LOAD_FIXTURES": str(fixtures_path),
        "LOAD_WARMUP_SECONDS": str(arguments.warmup),
        "LOAD_RESULTS": str(results_path),
        "LOAD_SERVER_PIDS": ",".join(map(str, workers)),
        "LOAD_USER_RATE": str(arguments.rate / arguments.clients),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(BASE_DIR / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        url,
        "--users",
        str(arguments.clients),
        "--spawn-rate",
        str(arguments.clients),
        "--run-time",
        f"{arguments.warmup + arguments.seconds:.0f}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
        user_class,
    ]
    print(
        f"\n{user_class}: {arguments.clients} clients, {arguments.warmup:.0f} s warm-up, "
        f"{arguments.seconds:.0f} s measured",
        flush=True,
    )
    with open(scratch / f"{user_class}.log", "w") as log:
        finished = subprocess.run(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    output = (scratch / f"{user_class}.log").read_text()
    warnings = [line for line in output.splitlines() if "CPU usage" in line]
    if not results_path.exists() or "endpoints" not in json.loads(results_path.read_text()):
        print(output[-3000:])
        raise SystemExit(f"locust ({user_class}) wrote no results (exit {finished.returncode})")
    results = json.loads(results_path.read_text())
    results["generator_cpu_warnings"] = warnings
    return results


def print_report(
    arguments, mix: dict, ceiling: dict | None, checks: dict, connections: dict, server_log: dict
):
    database = (
        f"pool of {arguments.pool_size} connections per worker"
        if arguments.pool_size
        else f"no pool, DATABASE_CONN_MAX_AGE={arguments.conn_max_age}"
    )
    print(
        f"\nuvicorn --workers {arguments.workers}, PostgreSQL ({database}), Redis; "
        f"locust FastHttpUser, {arguments.clients} clients, "
        f"{f'{arguments.rate:g} requests/s offered' if arguments.rate else 'no think time'}; "
        f"{mix['seconds']:.0f} s measured after {arguments.warmup:.0f} s warm-up; "
        f"load average at start {mix['load_average_at_start'][0]:.2f}, "
        f"before the run {arguments.load_before:.2f}\n"
    )
    print("| endpoint | requests | failures | requests/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = [(name, row) for name, row in mix["endpoints"].items() if name != "Aggregated"]
    rows.append(("all of the mix", mix["endpoints"]["Aggregated"]))
    if ceiling:
        rows.append((CEILING + ", own run", ceiling["endpoints"][CEILING]))
    for name, row in rows:
        print(
            f"| {name} | {row['requests']} | {row['failures']} | {row['rps']:.0f} | {row['p50']:.0f} | "
            f"{row['p95']:.0f} | {row['p99']:.0f} | {row['max']:.0f} |"
        )
    if ceiling:
        share = mix["endpoints"]["Aggregated"]["rps"] / ceiling["endpoints"][CEILING]["rps"]
        print(f"\nMix throughput / bare view throughput: {share:.2f}")

    print("\nStatus codes (measured window; whole run including warm-up):\n")
    print("| endpoint | measured | whole run |")
    print("|---|---|---|")
    for phase in [mix, ceiling] if ceiling else [mix]:
        for name, statuses in phase["all_statuses"].items():
            measured = phase["measured_statuses"].get(name, {})
            print(
                f"| {name} | {', '.join(f'{code}: {n}' for code, n in measured.items())} | "
                f"{', '.join(f'{code}: {n}' for code, n in statuses.items())} |"
            )

    print(f"\nCPU in the measured window (100% = one core; the machine has {os.cpu_count()} cores):\n")
    print("| phase | generator (locust) | server (uvicorn workers) | whole machine busy |")
    print("|---|---:|---:|---:|")
    for label, phase in [("mix", mix), ("bare view", ceiling)] if ceiling else [("mix", mix)]:
        cpu, seconds = phase["cpu_seconds"], phase["seconds"]
        print(
            f"| {label} | {100 * cpu['generator'] / seconds:.0f}% | {100 * cpu['server'] / seconds:.0f}% | "
            f"{100 * cpu['machine_busy'] / seconds:.0f}% |"
        )
    for label, phase in [("mix", mix), ("bare view", ceiling)] if ceiling else [("mix", mix)]:
        for warning in phase["generator_cpu_warnings"]:
            print(f"locust ({label}): {warning.strip()}")

    print(
        f"\nPostgreSQL connections to {arguments.database}: at most {connections['most']} open at once "
        f"(max_connections {connections['max_connections']})."
    )
    print(
        f"Server log: {server_log['lines']} lines, {server_log['tracebacks']} tracebacks"
        + (f"; first: {server_log['first']}" if server_log["first"] else "")
    )
    print("\nDatabase afterwards:")
    for name, (ok, text) in checks.items():
        print(f"- {'ok' if ok else 'FAILED'}: {name}: {text}")
    for phase in [mix, ceiling] if ceiling else [mix]:
        for error in phase["errors"]:
            print(f"- error: {error['name']}: {error['error']} x{error['occurrences']}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured time before it")
    parser.add_argument("--clients", type=int, default=200, help="concurrent simulated users")
    parser.add_argument("--accounts", type=int, default=400, help="users in the database (>= clients)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="scrapbook_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument(
        "--pool-size", type=int, default=10, help="DATABASE_POOL_MAX_SIZE per worker (0: no pool)"
    )
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE (used only without the pool)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="requests/s the clients send in all, paced (0: each sends on its last answer)",
    )
    parser.add_argument("--skip-ceiling", action="store_true", help="run the mix only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, results)")
    arguments = parser.parse_args()
    if importlib.util.find_spec("locust") is None:
        raise SystemExit("locust is missing: .venv/bin/pip install -r requirements-bench.txt")
    if arguments.accounts < arguments.clients:
        raise SystemExit("--accounts must be at least --clients: each client is its own account")

    started = time.monotonic()
    arguments.load_before = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="scrapbook-load-"))
    env = server_environment(arguments, scratch)
    print(
        f"Preparing {arguments.database} and Redis {arguments.redis_url} (scratch folder {scratch})",
        flush=True,
    )
    recreate_stores(arguments)
    fixtures = prepare_database(env, arguments)
    fixtures_path = scratch / "fixtures.json"
    fixtures_path.write_text(json.dumps(fixtures))
    before = database_counts()

    sampler = ConnectionSampler(arguments)
    server, url, workers = start_server(env, arguments, scratch / "server.log")
    sampler.start()
    try:
        mix = run_phase("MixUser", url, arguments, scratch, fixtures_path, workers)
        ceiling = None
        if not arguments.skip_ceiling:
            ceiling = run_phase("CeilingUser", url, arguments, scratch, fixtures_path, workers)
    finally:
        sampler.stopped.set()
        server.terminate()
        server.wait(timeout=30)
    connections = {"most": sampler.most, "max_connections": sampler.max_connections()}
    log_lines = (scratch / "server.log").read_text().splitlines()
    tracebacks = [number for number, line in enumerate(log_lines) if line.startswith("Traceback")]
    server_log = {
        "lines": len(log_lines),
        "tracebacks": len(tracebacks),
        "first": "",
    }
    if tracebacks:  # the exception line closes the traceback: show it, not the header
        end = next(
            (
                number
                for number in range(tracebacks[0] + 1, len(log_lines))
                if not log_lines[number].startswith(" ")
            ),
            tracebacks[0],
        )
        server_log["first"] = log_lines[end]

    after = database_counts()
    statuses = mix["all_statuses"]
    reviews_201 = statuses.get(REVIEW_CREATE, {}).get("201", 0)
    items_201 = statuses.get(WATCHLIST_ADD, {}).get("201", 0)
    checks = {
        "new reviews = 201s of POST /api/reviews/": (
            after["reviews"] - before["reviews"] == reviews_201,
            f"{after['reviews'] - before['reviews']} rows, {reviews_201} answers",
        ),
        "new watchlist items = 201s of POST /api/watchlist/": (
            after["watchlist_items"] - before["watchlist_items"] == items_201,
            f"{after['watchlist_items'] - before['watchlist_items']} rows, {items_201} answers",
        ),
        "no user has two reviews of a movie": (
            after["duplicate_reviews"] == 0,
            str(after["duplicate_reviews"]),
        ),
        "no user has a movie twice on the watchlist": (
            after["duplicate_watchlist_items"] == 0,
            str(after["duplicate_watchlist_items"]),
        ),
        "chat history unchanged by reading it": (
            after["messages"] == before["messages"],
            f"{after['messages']} messages",
        ),
        "items marked watched went up": (
            after["watched_items"] > before["watched_items"],
            f"{before['watched_items']} -> {after['watched_items']}",
        ),
    }
    print_report(arguments, mix, ceiling, checks, connections, server_log)
    print(f"\nWhole run: {time.monotonic() - started:.0f} s")
    if not arguments.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    failures = sum(phase["endpoints"]["Aggregated"]["failures"] for phase in [mix, ceiling] if phase)
    if failures or server_log["tracebacks"] or not all(ok for ok, _ in checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
