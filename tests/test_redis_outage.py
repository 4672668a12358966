"""Redis down with REDIS_URL set: health says 503 naming Redis, the API serves what it can,
and nothing written is lost. A private redis-server is started, killed and restarted."""

import os
import shutil
import subprocess
import time

import pytest
import requests

from conftest import access_token_for
from movie_module.models import Review, WatchlistItem
from movie_module.tests.factories import MovieFactory
from tests.servers import free_port, uvicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import redis

                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        if os.environ.get("CI_REQUIRE_SERVICES"):
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def wait_for_health(url, status, deadline_seconds=15):
    deadline = time.monotonic() + deadline_seconds
    while True:
        response = requests.get(f"{url}/api/health/", timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_with_redis_down_the_api_keeps_serving_and_loses_nothing(private_redis, user):
    user.set_password("correct-horse-battery-staple")  # as the test servers hash
    user.save(update_fields=["password"])
    movie = MovieFactory(title="Stalker")
    headers = {"Authorization": f"Bearer {access_token_for(user)}"}
    with uvicorn_server(extra_env={"REDIS_URL": private_redis.url}) as url:
        healthy = wait_for_health(url, 200)
        assert healthy.json()["chat_manager"] == "redis"

        private_redis.stop()
        down = wait_for_health(url, 503)
        assert down.status_code == 503
        assert "redis" in down.json()["detail"]
        assert down.json()["cache"] == "unavailable"
        assert down.json()["database"] == "ok"

        listing = requests.get(f"{url}/api/movies/", timeout=10)
        assert listing.status_code == 200
        assert [entry["title"] for entry in listing.json()["results"]] == ["Stalker"]
        added = requests.post(
            f"{url}/api/watchlist/", json={"imdb_id": movie.imdb_id}, headers=headers, timeout=10
        )
        assert added.status_code == 201
        reviewed = requests.post(
            f"{url}/api/reviews/", json={"imdb_id": movie.imdb_id, "rating": 4.5}, headers=headers, timeout=10
        )
        assert reviewed.status_code == 201
        login = requests.post(
            f"{url}/api/auth/login/",
            json={"username": user.username, "password": "correct-horse-battery-staple"},
            timeout=10,
        )
        assert login.status_code == 200  # login is throttled through the cache: it goes on without
        assert set(login.json()) == {"access", "refresh"}

        private_redis.start()
        assert wait_for_health(url, 200).status_code == 200

    assert WatchlistItem.objects.get(user=user, movie=movie).watched is True
    assert float(Review.objects.get(user=user, movie=movie).rating) == 4.5


def test_health_names_redis_when_it_was_never_there(user):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with uvicorn_server(extra_env={"REDIS_URL": dead}) as url:
        response = requests.get(f"{url}/api/health/", timeout=10)
        assert response.status_code == 503
        assert "redis" in response.json()["detail"]
        assert requests.get(f"{url}/api/movies/", timeout=10).status_code == 200
