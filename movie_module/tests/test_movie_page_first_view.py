"""A movie found by a search shows a complete page the first time it is opened, against the fake
IMDb API (tests/fake_imdb.py); with the API down or slow, the page shows what is stored, in time."""

import time

import pytest

from conftest import API_DOWN
from movie_module.models import Movie
from tests.fake_imdb import OVERVIEW, SEARCH, SERVER_ERROR, slow

from .factories import MovieFactory

pytestmark = pytest.mark.django_db

MOVIES = "/api/movies/"


def test_search_results_are_stored_with_what_the_search_gives(api_client, fake_imdb):
    results = api_client.get(MOVIES, {"search": "matrix reloaded"}).json()["results"]
    assert [(movie["title"], movie["year"]) for movie in results] == [("The Matrix Reloaded", 2003)]
    assert results[0]["poster_url"] == "https://m.media-amazon.com/images/M/tt0234215.jpg"
    stored = Movie.objects.get(imdb_id="tt0234215")
    assert (stored.cast, stored.refreshed_at) == (["Keanu Reeves"], None)


@pytest.mark.parametrize(
    ("search", "films"),
    [("fargo", ["tt0116282"]), ("dune", ["tt0087182", "tt1160419"]), ("keanu reeves", [])],
)
def test_people_and_series_found_by_a_search_never_become_movies(api_client, fake_imdb, search, films):
    assert api_client.get(MOVIES, {"search": search}).status_code == 200
    assert sorted(Movie.objects.values_list("imdb_id", flat=True)) == films


def test_a_series_is_no_movie_page(api_client, fake_imdb):
    assert api_client.get(f"{MOVIES}tt2802850/").status_code == 404
    assert not Movie.objects.exists()


def test_a_movie_found_by_a_search_opens_complete_the_first_time(api_client, fake_imdb):
    api_client.get(MOVIES, {"search": "toy story"})
    page = api_client.get(f"{MOVIES}tt0114709/").json()
    assert page["plot"] == "A cowboy doll feels threatened."
    assert (page["directors"], page["runtime_minutes"], page["imdb_rating"]) == (["John Lasseter"], 81, 8.3)
    assert page["genres"] == ["Adventure", "Animation", "Comedy"]
    # Stored once: the next views and the list show it without asking again.
    assert api_client.get(f"{MOVIES}tt0114709/").json()["plot"] == page["plot"]
    assert fake_imdb.calls(OVERVIEW) == 1
    listed = api_client.get(MOVIES, {"genre": "Animation"}).json()["results"]
    assert [movie["imdb_id"] for movie in listed] == ["tt0114709"]


def test_the_page_cached_without_details_is_not_kept_once_they_are_in(api_client, fake_imdb):
    MovieFactory(imdb_id="tt0133093", title="The Matrix", plot="", directors=[], genres=[], refreshed_at=None)
    fake_imdb.always(OVERVIEW, SERVER_ERROR)
    assert api_client.get(f"{MOVIES}tt0133093/").json()["plot"] == ""  # what is stored
    fake_imdb.heal()
    page = api_client.get(f"{MOVIES}tt0133093/").json()
    assert (page["plot"], page["genres"]) == (
        "A hacker learns what the Matrix really is.",
        ["Action", "Sci-Fi"],
    )


@pytest.mark.parametrize("api_down", API_DOWN, indirect=True)
def test_with_the_api_down_the_first_view_shows_what_is_stored_quickly(api_client, api_down):
    MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999, plot="", refreshed_at=None)
    start = time.monotonic()
    response = api_client.get(f"{MOVIES}tt0133093/")
    assert time.monotonic() - start < 1.5
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["plot"]) == ("The Matrix", "")


def test_with_a_slow_api_the_first_view_waits_no_longer_than_the_call_budget(settings, api_client, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 5
    settings.IMDB_CALL_BUDGET_SECONDS = 1.0
    fake_imdb.always("*", slow(0.6))  # the overview in time, the credits not
    MovieFactory(imdb_id="tt0133093", title="The Matrix", plot="", refreshed_at=None)
    start = time.monotonic()
    response = api_client.get(f"{MOVIES}tt0133093/")
    assert time.monotonic() - start < 1.5
    assert (response.status_code, response.json()["plot"]) == (200, "")


def test_a_slow_api_within_the_budget_gives_a_complete_first_view(settings, api_client, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 2
    fake_imdb.always(OVERVIEW, slow(0.3))
    api_client.get(MOVIES, {"search": "fargo"})
    assert fake_imdb.calls(SEARCH) == 1
    page = api_client.get(f"{MOVIES}tt0116282/").json()
    assert page["directors"] == ["Joel Coen", "Ethan Coen"]
