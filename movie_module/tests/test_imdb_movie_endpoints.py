"""The movie endpoints with the IMDb API up, down, failing or slow: same answers from what is
stored, new movies when the API can give them, never a 500."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import API_DOWN, TEST_RAPIDAPI_KEY
from movie_module.models import Movie
from scrapbook import background
from tests.fake_imdb import OVERVIEW, SEARCH, slow

from .factories import MovieFactory

pytestmark = pytest.mark.django_db

MOVIES = "/api/movies/"


def titles(response) -> list[str]:
    return [movie["title"] for movie in response.json()["results"]]


# Search


def test_search_adds_the_apis_titles_to_the_local_ones(api_client, fake_imdb):
    MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999, plot="Local words.")
    MovieFactory(title="Matrix of Local Things")
    response = api_client.get(MOVIES, {"search": "matrix"})
    assert response.status_code == 200
    assert response.json()["count"] == 4
    assert set(titles(response)) == {
        "The Matrix",
        "Matrix of Local Things",
        "The Matrix Reloaded",
        "The Matrix Revolutions",
    }
    assert set(Movie.objects.filter(source=Movie.Source.IMDB).values_list("imdb_id", flat=True)) == {
        "tt0234215",
        "tt0242653",
    }
    assert Movie.objects.get(imdb_id="tt0133093").plot == "Local words."


def test_repeating_a_search_asks_the_api_once(api_client, fake_imdb):
    api_client.get(MOVIES, {"search": "toy story"})
    response = api_client.get(MOVIES, {"search": "toy story", "page": 1})
    assert titles(response) == ["Toy Story", "Toy Story 3"]
    assert fake_imdb.calls(SEARCH) == 1


@pytest.mark.parametrize("api_down", API_DOWN, indirect=True)
def test_search_with_the_api_down_answers_from_the_catalogue(api_client, api_down):
    MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999)
    start = time.monotonic()
    response = api_client.get(MOVIES, {"search": "matrix"})
    assert time.monotonic() - start < 1.5
    assert response.status_code == 200
    assert titles(response) == ["The Matrix"]
    assert Movie.objects.count() == 1
    assert TEST_RAPIDAPI_KEY not in response.content.decode()


def test_search_without_a_key_answers_from_the_catalogue_alone(settings, api_client, fake_imdb):
    settings.RAPIDAPI_KEY = ""
    MovieFactory(title="The Matrix")
    assert titles(api_client.get(MOVIES, {"search": "matrix"})) == ["The Matrix"]
    assert fake_imdb.calls() == 0


# The movie page


def test_a_movie_missing_locally_is_fetched_stored_and_shown(api_client, fake_imdb):
    response = api_client.get(f"{MOVIES}tt0133093/")
    assert response.status_code == 200
    page = response.json()
    assert (page["imdb_id"], page["title"], page["year"], page["runtime_minutes"]) == (
        "tt0133093",
        "The Matrix",
        1999,
        136,
    )
    assert page["directors"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert page["cast"][:2] == ["Keanu Reeves", "Laurence Fishburne"]
    assert page["genres"] == ["Action", "Sci-Fi"]
    assert page["imdb_rating"] == 8.7
    assert page["plot"] == "A hacker learns what the Matrix really is."
    assert Movie.objects.get(imdb_id="tt0133093").source == Movie.Source.IMDB
    assert api_client.get(f"{MOVIES}tt0133093/").status_code == 200
    assert fake_imdb.calls(OVERVIEW) == 1


def test_a_movie_neither_knows_is_a_404_and_the_api_is_asked_once(api_client, fake_imdb):
    for _ in range(2):
        response = api_client.get(f"{MOVIES}tt9999999/")
        assert response.status_code == 404
        assert response.json()["detail"]
    assert fake_imdb.calls(OVERVIEW) == 1
    assert not Movie.objects.exists()


def test_a_malformed_id_is_a_404_without_asking_the_api(api_client, fake_imdb):
    assert api_client.get(f"{MOVIES}nonsense/").status_code == 404
    assert fake_imdb.calls() == 0


@pytest.mark.parametrize("api_down", API_DOWN, indirect=True)
def test_a_stored_movie_is_served_with_the_api_down(api_client, api_down):
    MovieFactory(imdb_id="tt0133093", title="The Matrix", plot="Stored.", refreshed_at=None)
    response = api_client.get(f"{MOVIES}tt0133093/")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["plot"]) == ("The Matrix", "Stored.")


@pytest.mark.parametrize("api_down", API_DOWN, indirect=True)
def test_a_movie_missing_locally_is_a_404_with_the_api_down(api_client, api_down):
    start = time.monotonic()
    response = api_client.get(f"{MOVIES}tt0133093/")
    assert time.monotonic() - start < 1.5
    assert response.status_code == 404
    assert TEST_RAPIDAPI_KEY not in response.content.decode()
    assert not Movie.objects.exists()


def test_a_movie_missing_locally_is_a_404_without_a_key(settings, api_client, fake_imdb):
    settings.RAPIDAPI_KEY = ""
    assert api_client.get(f"{MOVIES}tt0133093/").status_code == 404
    assert fake_imdb.calls() == 0


@pytest.mark.django_db(transaction=True)
def test_a_stale_movie_page_is_served_at_once_and_refreshed_behind_it(settings, api_client, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 2
    fake_imdb.always(OVERVIEW, slow(0.5))
    MovieFactory(
        imdb_id="tt0114709",
        title="Toy Story",
        imdb_rating=None,
        refreshed_at=timezone.now() - timedelta(days=400),
    )
    response = api_client.get(f"{MOVIES}tt0114709/")
    # Served with the stale details: a page that waited for the refresh would show 8.3. (Not
    # timed: on a busy machine the page alone took 1.5 s, as long as the slow API.)
    assert response.json()["imdb_rating"] is None
    assert background.wait_for_tasks(timeout=5)
    assert api_client.get(f"{MOVIES}tt0114709/").json()["imdb_rating"] == 8.3
    assert fake_imdb.calls(OVERVIEW) == 1
