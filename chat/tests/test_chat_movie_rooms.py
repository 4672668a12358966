"""A `movie:<imdb_id>` room names a movie of the catalogue, or one the IMDb API knows (then
stored); any other is refused with `unknown_movie`, and waiting on the API holds up nobody else."""

import asyncio
import time

import pytest

from chat.tests.clients import connected, unique_room
from conftest import FAST_IMDB_SETTINGS, TEST_RAPIDAPI_KEY, access_token_for
from movie_module.models import Movie
from movie_module.tests.factories import MovieFactory
from tests.fake_imdb import OVERVIEW, SERVER_ERROR, FakeImdb, slow
from tests.servers import uvicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

NOT_IN_FAKE_IMDB = "tt7654321"


@pytest.fixture(scope="module")
def server_without_api(django_db_setup, django_db_blocker):
    with uvicorn_server(extra_env={"RAPIDAPI_KEY": "", "REDIS_URL": ""}) as url:
        yield url


@pytest.fixture(scope="module")
def fake_api():
    with FakeImdb() as fake:
        yield fake


@pytest.fixture(scope="module")
def server_with_api(django_db_setup, django_db_blocker, fake_api):
    """A server whose IMDb API is the fake one; a local cache of its own, so no answer of
    another run is remembered, and a breaker that failures in one test do not open."""
    env = {
        **{name: str(value) for name, value in FAST_IMDB_SETTINGS.items()},
        "RAPIDAPI_KEY": TEST_RAPIDAPI_KEY,
        "IMDB_API_URL": fake_api.url,
        "IMDB_BREAKER_THRESHOLD": "1000",
        "REDIS_URL": "",
    }
    with uvicorn_server(extra_env=env) as url:
        yield url


@pytest.fixture
def api(fake_api):
    fake_api.heal()
    yield fake_api
    fake_api.heal()


def join_all(url: str, token: str, rooms: list[str]) -> list[dict]:
    async def scenario():
        async with connected(url, token) as client:
            acks = [await client.call("join", {"room": room}) for room in rooms]
            # A refused room was not joined: nothing can be said there.
            said = [await client.call("message", {"room": room, "text": "hi"}) for room in rooms]
            return acks, said

    return asyncio.run(scenario())


def test_without_the_api_only_the_catalogues_movies_have_rooms(server_without_api, user):
    MovieFactory(imdb_id="tt0133093", title="The Matrix")
    rooms = [
        "movie:tt0133093",
        f"movie:{NOT_IN_FAKE_IMDB}",
        "movie:the-matrix",
        "movie:tt0133093-2",
        unique_room(),
    ]

    acks, said = join_all(server_without_api, access_token_for(user), rooms)

    assert [ack["ok"] for ack in acks] == [True, False, False, False, True]
    assert [ack.get("error") for ack in acks[1:4]] == ["unknown_movie"] * 3
    assert [ack["ok"] for ack in said] == [True, False, False, False, True]
    assert [ack.get("error") for ack in said[1:4]] == ["not_in_room"] * 3
    assert not Movie.objects.filter(imdb_id=NOT_IN_FAKE_IMDB).exists()


def test_with_the_api_a_movie_it_knows_is_fetched_stored_and_its_room_joined(server_with_api, api, user):
    acks, _ = join_all(
        server_with_api, access_token_for(user), ["movie:tt0234215", f"movie:{NOT_IN_FAKE_IMDB}"]
    )
    calls_after_first_join = api.calls(OVERVIEW)
    again, _ = join_all(server_with_api, access_token_for(user), ["movie:tt0234215"])

    assert acks[0]["ok"] is True
    assert acks[1] == {"ok": False, "error": "unknown_movie"}
    assert Movie.objects.get(imdb_id="tt0234215").title == "The Matrix Reloaded"
    assert not Movie.objects.filter(imdb_id=NOT_IN_FAKE_IMDB).exists()
    assert again[0]["ok"] is True
    assert api.calls(OVERVIEW) == calls_after_first_join  # now in the catalogue: the API is not asked


def test_an_api_that_fails_refuses_a_movie_it_cannot_vouch_for(server_with_api, api, user):
    api.always(OVERVIEW, SERVER_ERROR)
    acks, _ = join_all(server_with_api, access_token_for(user), ["movie:tt0242653"])
    assert acks == [{"ok": False, "error": "unknown_movie"}]
    assert not Movie.objects.filter(imdb_id="tt0242653").exists()


def test_a_slow_api_holds_up_only_the_connection_that_joins(server_with_api, api, user, other_user):
    api.always(OVERVIEW, slow(1.0))  # past the server's read timeout: the join is refused late
    joiner_token, talker_token = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with (
            connected(server_with_api, joiner_token) as joiner,
            connected(server_with_api, talker_token) as talker,
        ):
            started = time.monotonic()
            join = asyncio.create_task(joiner.call("join", {"room": "movie:tt0114709"}))
            await asyncio.sleep(0.1)  # the join is waiting on the API by now
            said = await talker.call("message", "meanwhile")
            said_after = time.monotonic() - started
            return await join, time.monotonic() - started, said, said_after

    join, join_took, said, said_after = asyncio.run(scenario())
    assert join == {"ok": False, "error": "unknown_movie"}
    assert said["ok"] is True
    assert said_after < 0.8 < join_took
