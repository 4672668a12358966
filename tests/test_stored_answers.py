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
from movie_module.tests.factories import MovieFactory, ReviewFactory, WatchlistItemFactory
from scrapbook.answer_stores import CacheAnswerStore, part_of, parts_entry
from scrapbook.stored_answers import (
    ANONYMOUS,
    ANONYMOUS_ANSWER,
    CALLER_PARTS,
    COMPOSED,
    KEYED_HEADERS,
    PER_CALLER,
    SHARED,
    _authorization,
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


def change_password(url: str, bearer: dict) -> None:
    changed = requests.post(
        f"{url}/api/auth/password/",
        json={"old_password": PASSWORD, "new_password": "another-long-password-2"},
        headers=bearer,
        timeout=10,
    )
    assert changed.status_code == 204, changed.text


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
        change_password(url, bearer)
        refused = requests.get(f"{url}/api/watchlist/", headers=bearer, timeout=10)
        assert refused.status_code == 401


def test_shared_answers_are_stored_once_for_everyone_and_a_callers_movie_page_as_the_anonymous_one(
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
        # The page as anyone sees it, and the caller's parts apart, under their token.
        assert len(stored_keys(store, 2)) == 2
        assert len(stored_parts(store, 1)) == 1
        assert requests.get(f"{url}/api/movies/{movie.imdb_id}/", timeout=10).json()["me"] is None
        assert len(stored_keys(store)) == 2

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
    assert declared_for("/api/movies/tt0111161/") == COMPOSED
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


def stored_parts(client: redis.Redis, count: int) -> list[bytes]:
    """The callers' stored parts' keys, once there are `count` (stored after the answer)."""
    deadline = time.monotonic() + 5
    while True:
        keys = sorted(client.scan_iter(match="*:stored-parts:*"))
        if len(keys) >= count or time.monotonic() > deadline:
            return keys
        time.sleep(0.02)


def test_a_callers_movie_page_is_the_anonymous_page_with_their_own_me_written_in(
    private_redis,  # noqa: F811
    user,
    other_user,
):
    listed, reviewed, untouched = MovieFactory(), MovieFactory(), MovieFactory()
    item = WatchlistItemFactory(user=user, movie=listed)
    ReviewFactory(user=user, movie=reviewed, rating=4.5)
    store = redis.Redis.from_url(private_redis.url)
    mine = {"Authorization": f"Bearer {access_token_for(user)}"}
    theirs = {"Authorization": f"Bearer {access_token_for(other_user)}"}
    with uvicorn_server(workers=2, extra_env={"REDIS_URL": private_redis.url}) as url:

        def page(movie, headers=None):
            answer = requests.get(f"{url}/api/movies/{movie.imdb_id}/", headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
            return answer

        built = {movie.imdb_id: page(movie, mine) for movie in (listed, reviewed, untouched)}
        [parts_key] = stored_parts(store, 1)
        stored_keys(store, 3)
        for _ in range(4):  # whichever worker answers: what Django answered, byte for byte
            for movie in (listed, reviewed, untouched):
                again = page(movie, mine)
                assert again.content == built[movie.imdb_id].content
                assert without_date(again) == without_date(built[movie.imdb_id])
        assert built[listed.imdb_id].json()["me"] == {
            "in_watchlist": True,
            "watched": False,
            "watchlist_id": item.id,
            "review": None,
        }
        assert built[reviewed.imdb_id].json()["me"]["review"]["rating"] == 4.5
        assert built[untouched.imdb_id].json()["me"]["in_watchlist"] is False

        # The parts are what the pages show: altered in Redis, the caller's pages show it, and
        # nobody else's: the anonymous page, another caller's.
        entry = store.get(parts_key)
        assert entry.count(b'"watchlist_id":null') == 1  # the default: a movie not listed
        store.set(parts_key, entry.replace(b'"watchlist_id":null', b'"watchlist_id":-7'), keepttl=True)
        for _ in range(6):
            assert page(untouched, mine).json()["me"]["watchlist_id"] == -7
            assert page(untouched).json()["me"] is None
            assert page(untouched, theirs).json()["me"]["watchlist_id"] is None
            assert page(listed, theirs).json()["me"]["in_watchlist"] is False

        # A write of the caller's, by either worker, shows on their next page at once.
        watched = requests.patch(
            f"{url}/api/watchlist/{item.id}/", json={"watched": True}, headers=mine, timeout=10
        )
        assert watched.status_code == 200, watched.text
        for _ in range(6):
            assert page(listed, mine).json()["me"]["watched"] is True
            assert page(untouched, mine).json()["me"]["watchlist_id"] is None
        added = requests.post(
            f"{url}/api/watchlist/", json={"imdb_id": untouched.imdb_id}, headers=mine, timeout=10
        )
        assert added.status_code == 201, added.text
        for _ in range(6):
            assert page(untouched, mine).json()["me"]["watchlist_id"] == added.json()["id"]
            assert page(untouched, theirs).json()["me"]["in_watchlist"] is False


def test_a_callers_stored_parts_outlive_neither_their_token_nor_a_password_change(private_redis, user):  # noqa: F811
    user.set_password(PASSWORD)
    user.save()
    movie = MovieFactory()
    WatchlistItemFactory(user=user, movie=movie)
    store = redis.Redis.from_url(private_redis.url)
    bearer = {"Authorization": f"Bearer {access_token_for(user)}"}
    with uvicorn_server(extra_env={"REDIS_URL": private_redis.url}) as url:
        page_url = f"{url}/api/movies/{movie.imdb_id}/"
        short_lived = AccessToken.for_user(user)
        short_lived.set_exp(lifetime=datetime.timedelta(seconds=3))
        short = {"Authorization": f"Bearer {short_lived}"}
        assert requests.get(page_url, headers=short, timeout=10).json()["me"]["in_watchlist"] is True
        [key] = stored_parts(store, 1)
        assert 0 < store.pttl(key) <= 3000
        assert requests.get(page_url, headers=short, timeout=10).json()["me"]["in_watchlist"] is True
        time.sleep(3.2)
        assert requests.get(page_url, headers=short, timeout=10).json()["me"] is None  # anonymous now

        for _ in range(2):
            assert requests.get(page_url, headers=bearer, timeout=10).json()["me"]["in_watchlist"] is True
        change_password(url, bearer)
        assert requests.get(page_url, headers=bearer, timeout=10).json()["me"] is None


def test_a_callers_parts_are_stored_one_line_an_item_and_read_back_by_item():
    default = b'{"in_watchlist":false}'
    entry = parts_entry(default, {"tt0000001": b'{"in_watchlist":true}', "tt0000002": None})
    assert entry == b'{"in_watchlist":false}\ntt0000001\t{"in_watchlist":true}\ntt0000002\t'
    assert part_of(entry, "tt0000001") == b'{"in_watchlist":true}'
    assert part_of(entry, "tt0000002") == b""  # Django's to answer
    assert part_of(entry, "tt0000003") == default
    assert part_of(entry, "tt000000") == default  # a prefix of an item is another item
    assert part_of(parts_entry(default, {}), "tt0000001") == default
    assert parts_entry(b"a\nb", {}) is None
    assert parts_entry(default, {"tt0000001": b"a\nb"}) is None


def test_the_local_store_composes_while_both_entries_are_current():
    from django.core.cache.backends.locmem import LocMemCache

    cache = LocMemCache("stored-answers-composed-test", {})
    store = CacheAnswerStore(cache)
    cache.set("generation:page", 1)
    cache.set("generation:caller", 2)
    assert asyncio.run(store.composed("answer", "parts", "tt0000001")) == {ANONYMOUS_ANSWER, CALLER_PARTS}
    asyncio.run(store.store("answer", {"generation:page": 1}, [["x", "y"]], b'{"me":null}', 60))
    assert asyncio.run(store.composed("answer", "parts", "tt0000001")) == {CALLER_PARTS}
    entry = parts_entry(b"{}", {"tt0000001": b"[1]", "tt0000002": None})
    asyncio.run(store.store_parts("parts", {"generation:caller": 2}, entry, 60))
    assert asyncio.run(store.composed("answer", "parts", "tt0000001")) == (
        [["x", "y"]],
        b'{"me":null}',
        b"[1]",
    )
    assert asyncio.run(store.composed("answer", "parts", "tt0000009")) == (
        [["x", "y"]],
        b'{"me":null}',
        b"{}",
    )
    assert asyncio.run(store.composed("answer", "parts", "tt0000002")) == frozenset()
    cache.set("generation:caller", 3)
    assert asyncio.run(store.composed("answer", "parts", "tt0000001")) == {CALLER_PARTS}
    cache.set("generation:page", 4)
    assert asyncio.run(store.composed("answer", "parts", "tt0000001")) == {ANONYMOUS_ANSWER, CALLER_PARTS}


def test_a_callers_parts_are_keyed_by_the_authorization_django_reads():
    def scope(*authorizations):
        return {"headers": [(b"accept", b"*/*"), *((b"authorization", value) for value in authorizations)]}

    assert _authorization(scope()) is None
    assert _authorization(scope(b"Bearer a")) == b"Bearer a"
    # Two headers are one to Django ("Bearer a,Bearer b", no token): not the first one's parts.
    assert _authorization(scope(b"Bearer a", b"Bearer b")) == b"Bearer a,Bearer b"
