"""The realistic mix that bench/load.py drives, and the bare view it compares with.

Not meant to be run by hand: bench/load.py builds the database, starts the server and runs
`locust -f bench/locustfile.py MixUser` (then `CeilingUser`) with these variables:

    LOAD_FIXTURES        JSON file: accounts (token, movies to review, watchlist items),
                         the catalogue's IMDb ids, the chat rooms
    LOAD_WARMUP_SECONDS  statistics are reset this long after the start
    LOAD_RESULTS         where the figures of the measured window are written (JSON)
    LOAD_SERVER_PIDS     the uvicorn workers, whose CPU time is reported with ours
    LOAD_USER_RATE       requests per second each user sends at most (bench/load.py --rate);
                         unset or 0: no think time

Each simulated user is one account with its own token, and sends its next request as soon
as the previous one is answered (no think time): 200 users are 200 concurrent clients. With
LOAD_USER_RATE, each waits between requests so as to send that many a second (locust's
`constant_throughput`), unless its answers come slower: a fixed offered load below the
server's capacity, at which latency is the server's own, not the queue's.
A response counts as an error unless its status is the one the contract promises.
"""

import itertools
import json
import os
import random
import time
from collections import Counter
from pathlib import Path

import gevent
import psutil
from locust import FastHttpUser, constant, constant_throughput, events, task

FIXTURES = (
    json.loads(Path(os.environ["LOAD_FIXTURES"]).read_text()) if os.environ.get("LOAD_FIXTURES") else {}
)
WARMUP_SECONDS = float(os.environ.get("LOAD_WARMUP_SECONDS", "10"))
SERVER_PIDS = [int(pid) for pid in os.environ.get("LOAD_SERVER_PIDS", "").split(",") if pid]
USER_RATE = float(os.environ.get("LOAD_USER_RATE") or 0)

MOVIE_PAGE = "GET /api/movies/<imdb_id>/"
WATCHLIST_LIST = "GET /api/watchlist/"
WATCHLIST_ADD = "POST /api/watchlist/"
WATCHLIST_WATCHED = "PATCH /api/watchlist/<id>/"
REVIEW_CREATE = "POST /api/reviews/"
RECOMMENDATIONS = "GET /api/recommendations/"
CHAT_HISTORY = "GET /api/chat/rooms/<room>/messages/"
CEILING = "GET /bench/ceiling/ (bare JsonResponse)"

# Every status seen, per endpoint: over the measured window, and since the start (the
# latter is what bench/load.py reconciles with the rows the database holds afterwards).
measured_statuses: Counter = Counter()
all_statuses: Counter = Counter()
window: dict = {}
next_account = itertools.count()


@events.request.add_listener
def count_status(request_type, name, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    measured_statuses[name, status] += 1
    all_statuses[name, status] += 1


def cpu_snapshot() -> dict:
    servers = 0.0
    for pid in SERVER_PIDS:
        try:
            times = psutil.Process(pid).cpu_times()
            servers += times.user + times.system
        except psutil.Error:
            pass
    own = psutil.Process().cpu_times()
    machine = psutil.cpu_times()
    return {
        "time": time.perf_counter(),
        "generator": own.user + own.system,
        "server": servers,
        "machine_busy": sum(machine) - machine.idle - getattr(machine, "iowait", 0.0),
    }


@events.test_start.add_listener
def start_window(environment, **kwargs):
    def reset_after_warmup():
        gevent.sleep(WARMUP_SECONDS)
        environment.runner.stats.reset_all()
        measured_statuses.clear()
        window["start"] = cpu_snapshot()
        window["load_average"] = os.getloadavg()

    gevent.spawn(reset_after_warmup)


@events.test_stopping.add_listener
def close_window(environment, **kwargs):
    """The figures of the measured window, before users stop (their last requests excluded)."""
    if "start" not in window:
        return
    end = cpu_snapshot()
    seconds = end["time"] - window["start"]["time"]
    stats = environment.runner.stats
    endpoints = {}
    for entry in [*sorted(stats.entries.values(), key=lambda entry: entry.name), stats.total]:
        endpoints[entry.name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.num_requests / seconds,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
        }
    window["results"] = {
        "seconds": seconds,
        "users": environment.runner.user_count,
        "endpoints": endpoints,
        "errors": [
            {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
        "measured_statuses": _by_endpoint(measured_statuses),
        "cpu_seconds": {
            key: end[key] - window["start"][key] for key in ("generator", "server", "machine_busy")
        },
        "load_average_at_start": window["load_average"],
    }


@events.test_stop.add_listener
def write_results(environment, **kwargs):
    results = window.get("results", {})
    results["all_statuses"] = _by_endpoint(all_statuses)
    with open(os.environ["LOAD_RESULTS"], "w") as results_file:
        json.dump(results, results_file, indent=1)


def _by_endpoint(statuses: Counter) -> dict:
    by_endpoint: dict = {}
    for (name, status), count in sorted(statuses.items()):
        by_endpoint.setdefault(name, {})[str(status)] = count
    return by_endpoint


class StrictUser(FastHttpUser):
    abstract = True
    wait_time = constant_throughput(USER_RATE) if USER_RATE else constant(0)

    def on_start(self):
        # A redirect would hide a wrong path behind its target's 200: report it as it is.
        self.client.client.redirect_response_codes = frozenset()

    def call(self, method: str, path: str, name: str, expected: tuple[int, ...], **kwargs):
        """Send one request; a status other than `expected` is a failure. Returns the response."""
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code in expected:
                response.success()
            else:
                body = " ".join((response.text or "").split())
                response.failure(f"status {response.status_code}: {body[:120]}")
        return response


class MixUser(StrictUser):
    """One signed-in person browsing: reads dominate, a quarter of the requests write."""

    def on_start(self):
        super().on_start()
        number = next(next_account)
        accounts = FIXTURES["accounts"]
        if number >= len(accounts):
            raise RuntimeError(f"{len(accounts)} accounts prepared, user {number + 1} started")
        account = accounts[number]
        self.rng = random.Random(number)
        self.client.auth_header = f"Bearer {account['token']}"
        # Movies this account has not reviewed, its own share: a review is never a repeat.
        self.to_review = list(account["unreviewed"])
        self.rng.shuffle(self.to_review)
        self.unwatched = list(account["unwatched_item_ids"])
        self.items = list(account["item_ids"])

    @task(30)
    def movie_page(self):
        self.call("GET", f"/api/movies/{self.rng.choice(FIXTURES['imdb_ids'])}/", MOVIE_PAGE, (200,))

    @task(15)
    def watchlist(self):
        self.call("GET", "/api/watchlist/", WATCHLIST_LIST, (200,))

    @task(15)
    def chat_history(self):
        room = self.rng.choice(FIXTURES["rooms"])
        self.call("GET", f"/api/chat/rooms/{room}/messages/", CHAT_HISTORY, (200,))

    @task(10)
    def recommendations(self):
        self.call("GET", "/api/recommendations/", RECOMMENDATIONS, (200,))

    @task(10)
    def add_to_watchlist(self):
        # Any catalogue movie: one already listed answers 200 with the existing item.
        imdb_id = self.rng.choice(FIXTURES["imdb_ids"])
        response = self.call("POST", "/api/watchlist/", WATCHLIST_ADD, (200, 201), json={"imdb_id": imdb_id})
        if response.status_code == 201:
            item_id = response.json()["id"]
            self.items.append(item_id)
            self.unwatched.append(item_id)

    @task(8)
    def mark_watched(self):
        item_id = self.unwatched.pop() if self.unwatched else self.rng.choice(self.items)
        self.call("PATCH", f"/api/watchlist/{item_id}/", WATCHLIST_WATCHED, (200,), json={"watched": True})

    @task(7)
    def write_review(self):
        if not self.to_review:
            return self.movie_page()
        self.call(
            "POST",
            "/api/reviews/",
            REVIEW_CREATE,
            (201,),
            json={
                "imdb_id": self.to_review.pop(),
                "rating": self.rng.randint(1, 10) / 2,
                "body": "Seen it under load. " * self.rng.randint(1, 10),
            },
        )


class CeilingUser(StrictUser):
    """The framework's ceiling: a bare Django view, same generator, same concurrency."""

    wait_time = constant(0)  # the ceiling is a capacity: never paced

    @task
    def ceiling(self):
        self.call("GET", "/bench/ceiling/", CEILING, (200,))
