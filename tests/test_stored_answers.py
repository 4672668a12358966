"""Stored answers (scrapbook/stored_answers.py), seen from outside: real uvicorn servers, the
answers a client gets, and what Redis holds.

A repeated GET is answered from the store, on every worker; a write through the API, by
any worker, changes the next answer at once; the store never gives one caller's answer to
another, outlives no token and serves no token whose password changed.
"""

import asyncio
import datetime
import time

import pytest
import redis
import requests
from rest_framework_simplejwt.tokens import AccessToken

from conftest import access_token_for
from movie_module.tests.factories import MovieFactory
from scrapbook.stored_answers import (
    ANONYMOUS,
    KEYED_HEADERS,
    PER_CALLER,
    SHARED,
    CacheAnswerStore,
    _storable_headers,
    declared_for,
)
from tests.servers import uvicorn_server
from tests.test_redis_outage import private_redis  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-1"


def stored_keys(client: redis.Redis, count: int | None = None) -> list[bytes]:
    """The stored answers' keys; with `count`, once there are that many (an answer is stored
    after it was sent)."""
    deadline = time.monotonic() + 5
    while True:
        keys = sorted(client.scan_iter(match="*:stored-answer:*"))
        if count is None or len(keys) >= count or time.monotonic() > deadline:
            return keys
        time.sleep(0.02)


def without_date(response: requests.Response) -> dict:
    return {name: value for name, value in response.headers.items() if name.lower() != "date"}


def test_a_repeated_request_is_answered_from_the_store_on_every_worker_until_a_write(
    private_redis,  # noqa: F811
    user,
):
    movie = MovieFactory()
    store = redis.Redis.from_url(private_redis.url)
    bearer = {"Authorization": f"Bearer {access_token_for(user)}"}
    with uvicorn_server(workers=2, extra_env={"REDIS_URL": private_redis.url}) as url:
        first = requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10)
        assert first.status_code == 200 and first.json()["count"] == 0
        [key] = stored_keys(store, 1)
        again = requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10)
        assert (again.status_code, without_date(again), again.content) == (
            200,
            without_date(first),
            first.content,
        )

        # The stored answer is what both workers serve: altered in Redis, it shows.
        entry = store.get(key)
        assert entry.count(b'"count":0') == 1
        store.set(key, entry.replace(b'"count":0', b'"count":7'), keepttl=True)
        assert {
            requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10).json()["count"]
            for _ in range(12)
        } == {7}

        added = requests.post(
            f"{url}/api/watchlist/", json={"imdb_id": movie.imdb_id}, headers=bearer, timeout=10
        )
        assert added.status_code == 201, added.text
        for _ in range(12):  # whichever worker answers
            shown = requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10).json()
            assert shown["count"] == 1
            assert [item["movie"]["imdb_id"] for item in shown["results"]] == [movie.imdb_id]


def test_the_store_never_gives_one_callers_answer_to_another(private_redis, user, other_user):  # noqa: F811
    movie = MovieFactory()
    mine = {"Authorization": f"Bearer {access_token_for(user)}"}
    theirs = {"Authorization": f"Bearer {access_token_for(other_user)}"}
    with uvicorn_server(extra_env={"REDIS_URL": private_redis.url}) as url:
        requests.post(f"{url}/api/watchlist/", json={"imdb_id": movie.imdb_id}, headers=mine, timeout=10)
        for _ in range(2):
            assert requests.get(f"{url}/api/watchlist/", headers=mine, timeout=10).json()["count"] == 1
            assert requests.get(f"{url}/api/watchlist/", headers=theirs, timeout=10).json()["count"] == 0
            assert requests.get(f"{url}/api/watchlist/", timeout=10).status_code == 401
            assert requests.get(f"{url}/api/feed/", headers=theirs, timeout=10).json()["results"] == []


def test_a_stored_answer_outlives_neither_its_token_nor_a_password_change(private_redis, user):  # noqa: F811
    user.set_password(PASSWORD)
    user.save()
    store = redis.Redis.from_url(private_redis.url)
    bearer = {"Authorization": f"Bearer {access_token_for(user)}"}
    with uvicorn_server(extra_env={"REDIS_URL": private_redis.url}) as url:
        short_lived = AccessToken.for_user(user)
        short_lived.set_exp(lifetime=datetime.timedelta(seconds=3))
        short = {"Authorization": f"Bearer {short_lived}"}
        assert requests.get(f"{url}/api/watchlist/", headers=short, timeout=10).status_code == 200
        [key] = stored_keys(store, 1)
        assert 0 < store.pttl(key) <= 3000
        time.sleep(3.2)
        expired = requests.get(f"{url}/api/watchlist/", headers=short, timeout=10)
        assert expired.status_code == 401

        for _ in range(2):
            assert requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10).status_code == 200
        changed = requests.post(
            f"{url}/api/auth/password/",
            json={"old_password": PASSWORD, "new_password": "another-long-password-2"},
            headers=bearer,
            timeout=10,
        )
        assert changed.status_code == 204, changed.text
        refused = requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10)
        assert refused.status_code == 401


def test_shared_answers_are_stored_once_for_everyone_and_a_callers_movie_page_never(
    private_redis,  # noqa: F811
    user,
):
    movie = MovieFactory()
    store = redis.Redis.from_url(private_redis.url)
    bearer = {"Authorization": f"Bearer {access_token_for(user)}"}
    with uvicorn_server(extra_env={"REDIS_URL": private_redis.url}) as url:
        anonymous = requests.get(f"{url}/api/movies/", timeout=10)
        with_token = requests.get(f"{url}/api/movies/", headers=bearer, timeout=10)
        assert with_token.content == anonymous.content
        assert len(stored_keys(store, 1)) == 1

        page = requests.get(f"{url}/api/movies/{movie.imdb_id}/", headers=bearer, timeout=10)
        assert page.status_code == 200 and page.json()["me"]["in_watchlist"] is False
        assert len(stored_keys(store)) == 1
        assert requests.get(f"{url}/api/movies/{movie.imdb_id}/", timeout=10).json()["me"] is None
        assert len(stored_keys(store, 2)) == 2

        # Headers that Scrapbook never reads (a proxy's request id, the browser) share one answer.
        for number in range(3):
            varied = {"User-Agent": f"browser/{number}", "X-Request-Id": f"request-{number}"}
            assert requests.get(f"{url}/api/movies/", headers=varied, timeout=10).content == anonymous.content
        assert len(stored_keys(store)) == 2

        # Another Origin is another key: its CORS headers are its own.
        origin = {"Origin": "http://localhost:3000"}
        cors = requests.get(f"{url}/api/movies/", headers=origin, timeout=10)
        assert cors.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert "Access-Control-Allow-Origin" not in requests.get(f"{url}/api/movies/", timeout=10).headers
        assert without_date(requests.get(f"{url}/api/movies/", headers=origin, timeout=10)) == without_date(
            cors
        )
        assert len(stored_keys(store, 3)) == 3


def test_views_declare_which_answers_may_be_stored():
    assert declared_for("/api/movies/") == SHARED
    assert declared_for("/api/movies/tt0111161/") == ANONYMOUS
    assert declared_for("/api/watchlist/") == PER_CALLER
    assert declared_for("/api/feed/") == PER_CALLER
    assert declared_for("/api/reviews/") == ANONYMOUS
    assert declared_for("/api/users/someone/") == ANONYMOUS
    # Writes' routes, other reads and unknown paths: Django's.
    assert declared_for("/api/auth/me/") is None
    assert declared_for("/api/watchlist/1/") is None
    assert declared_for("/api/movies") is None
    assert declared_for("/api/nowhere/") is None


def test_answers_that_set_a_cookie_or_vary_on_an_ignored_header_are_not_stored():
    assert _storable_headers([(b"content-type", b"application/json"), (b"vary", b"Origin")]) == [
        ["content-type", "application/json"],
        ["vary", "Origin"],
    ]
    assert _storable_headers([(b"Set-Cookie", b"csrftoken=x")]) is None
    assert _storable_headers([(b"Vary", b"User-Agent, Origin")]) is None
    assert _storable_headers([(b"Vary", b"*")]) is None
    assert _storable_headers([(b"Vary", b"Authorization")]) == [["Vary", "Authorization"]]
    assert _storable_headers([(b"Vary", b"Authorization")], KEYED_HEADERS - {b"authorization"}) is None


def test_the_local_store_serves_an_answer_while_its_generations_are_current():
    from django.core.cache.backends.locmem import LocMemCache

    cache = LocMemCache("stored-answers-test", {})
    store = CacheAnswerStore(cache)
    cache.set("generation:a", 1)
    cache.set("generation:b", 2)
    generations = {"generation:a": 1, "generation:b": 2}
    asyncio.run(store.store("stored-answer:k", generations, [["x", "y"]], b"body", 60))
    assert asyncio.run(store.answer("stored-answer:k")) == ([["x", "y"]], b"body")
    cache.set("generation:b", 3)
    assert asyncio.run(store.answer("stored-answer:k")) is None
    cache.delete("generation:b")
    assert asyncio.run(store.answer("stored-answer:k")) is None
