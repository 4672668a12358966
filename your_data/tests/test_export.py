"""GET /api/me/export/: a ZIP of everything the caller owns, which imports back into Scrapbook."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from authentication.tests.factories import UserFactory
from chat.models import Message
from conftest import access_token_for
from movie_module.models import Review, WatchlistItem
from movie_module.tests.factories import ReviewFactory, WatchlistItemFactory

from .conftest import imported

pytestmark = pytest.mark.django_db(transaction=True)


def exported(client) -> zipfile.ZipFile:
    response = client.get("/api/me/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''scrapbook-")
    return zipfile.ZipFile(io.BytesIO(async_to_sync(collected)(response.streaming_content)))


async def collected(chunks) -> bytes:
    """The body of an answer streamed as an ASGI server streams it, chunk after chunk."""
    return b"".join([chunk async for chunk in chunks])


def test_the_export_holds_the_users_films_and_scrapbook_json_and_nothing_of_others(
    auth_client, user, other_user, catalogue
):
    ReviewFactory(user=user, movie=catalogue["tiger"], rating=4.5, body='Wire-work, "flying", all of it.')
    ReviewFactory(user=user, movie=catalogue["amelie"], rating=5, body="")
    WatchlistItemFactory(user=user, movie=catalogue["toy"])
    WatchlistItemFactory(
        user=user, movie=catalogue["matrix"], watched=True, watched_at="2020-02-02T20:00:00Z"
    )
    Message.objects.create(room="lobby", user=user, text="Hello")
    ReviewFactory(user=other_user, movie=catalogue["matrix"])
    Message.objects.create(room="lobby", user=other_user, text="Not mine")

    archive = exported(auth_client)

    assert set(archive.namelist()) == {
        "watched.csv", "ratings.csv", "reviews.csv", "diary.csv", "watchlist.csv", "scrapbook.json"
    }  # fmt: skip
    ratings = archive.read("ratings.csv").decode().splitlines()
    assert ratings[0] == "Date,Name,Year,imdbID,Rating"
    assert sorted(line.split(",", 1)[1] for line in ratings[1:]) == [
        '"Crouching Tiger, Hidden Dragon",2000,tt0190332,4.5',
        "Amélie,2001,tt0211915,5.0",
    ]
    assert archive.read("watchlist.csv").decode().splitlines()[1].endswith(",Toy Story,1995,tt0114709")
    assert archive.read("watched.csv").decode().splitlines()[1] == "2020-02-02,The Matrix,1999,tt0133093"
    assert archive.read("diary.csv").decode().splitlines() == [
        "Date,Name,Year,imdbID,Rating,Rewatch,Tags,Watched Date"
    ]
    document = json.loads(archive.read("scrapbook.json"))
    assert document["profile"]["username"] == user.username
    assert [message["text"] for message in document["chat_messages"]] == ["Hello"]
    assert document["follows"] == [] and document["likes"] == []


def test_an_export_imports_back_into_scrapbook_as_it_was(auth_client, user, catalogue):
    ReviewFactory(user=user, movie=catalogue["tiger"], rating=4.5, body='Wire-work, "flying", all of it.')
    ReviewFactory(user=user, movie=catalogue["amelie"], rating=0.5, body="")
    WatchlistItemFactory(user=user, movie=catalogue["toy"])
    WatchlistItemFactory(
        user=user, movie=catalogue["matrix"], watched=True, watched_at="2020-02-02T00:00:00Z"
    )
    archive = exported(auth_client)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))

    newcomer = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(newcomer)}")
    result = imported(client, buffer.getvalue(), format_name="letterboxd", name="scrapbook.zip")

    assert result["unmatched"] == []

    def state(owner):
        reviews = sorted(Review.objects.filter(user=owner).values_list("movie__imdb_id", "rating", "body"))
        items = sorted(
            WatchlistItem.objects.filter(user=owner).values_list("movie__imdb_id", "watched", "watched_at")
        )
        return reviews, items

    assert state(newcomer) == state(user)
    assert state(newcomer)[0][0] == ("tt0190332", Decimal("4.5"), 'Wire-work, "flying", all of it.')
    again = imported(auth_client, buffer.getvalue(), format_name="letterboxd", name="scrapbook.zip")
    assert again["counts"]["reviews"] == again["counts"]["watchlist"] == 0


def test_the_export_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/me/export/").status_code == 401
