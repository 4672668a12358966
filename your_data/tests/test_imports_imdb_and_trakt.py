"""Importing IMDb's CSV exports and Trakt's JSON export: 1 to 10 becomes 0.5 to 5 stars."""

from decimal import Decimal

import pytest

from movie_module.models import Review, WatchlistItem

from . import files
from .conftest import imported

pytestmark = pytest.mark.django_db(transaction=True)


def test_imdb_ratings_become_half_their_value_in_stars_and_series_are_reported(auth_client, user, catalogue):
    result = imported(auth_client, files.IMDB_RATINGS, format_name="imdb", name="ratings.csv")

    ratings = dict(Review.objects.filter(user=user).values_list("movie__imdb_id", "rating"))
    assert ratings == {"tt0133093": Decimal("4.5"), "tt0211915": Decimal("5.0")}
    assert [(entry["title"], entry["reason"]) for entry in result["unmatched"]] == [
        ("Breaking Bad", "not a film (TV Series)"),
        ("Not Here", "not in the catalogue (IMDb id tt9999998)"),
    ]
    assert result["counts"]["rows"] == 4 and result["counts"]["reviews"] == 2


def test_the_imdb_watchlist_adds_its_films(auth_client, user, catalogue):
    result = imported(auth_client, files.IMDB_WATCHLIST, format_name="imdb", name="WATCHLIST.csv")
    assert result["counts"]["watchlist"] == 1
    assert list(WatchlistItem.objects.filter(user=user).values_list("movie__imdb_id", "watched")) == [
        ("tt0114709", False)
    ]


def test_trakt_json_files_alone_and_in_their_zip(auth_client, user, catalogue):
    alone = imported(auth_client, files.TRAKT_RATINGS, format_name="trakt", name="ratings-movies.json")
    ratings = dict(Review.objects.filter(user=user).values_list("movie__title", "rating"))
    assert ratings == {"The Matrix": Decimal("4.0"), "Amélie": Decimal("5.0")}  # Amélie by title and year
    assert [(entry["row"], entry["reason"]) for entry in alone["unmatched"]] == [(3, "not a film (show)")]

    export = files.zipped(
        {
            "ratings-movies.json": files.TRAKT_RATINGS,
            "watchlist-movies.json": files.TRAKT_WATCHLIST,
            "watched-movies.json": files.TRAKT_WATCHED,
            "lists-lists.json": b"[]",
        }
    )
    result = imported(auth_client, export, format_name="trakt", name="trakt-export.zip")
    assert result["counts"] == {
        "rows": 5, "reviews": 0, "watches": 0, "watchlist": 2, "lists": 0, "unchanged": 2, "unmatched": 1
    }  # fmt: skip
    assert list(WatchlistItem.objects.filter(user=user).values_list("movie__title", "watched")) == [
        ("Toy Story", True)
    ]


def test_a_title_the_imdb_api_finds_is_imported_when_the_catalogue_lacks_it(auth_client, user, fake_imdb):
    row = files.crlf_csv(
        "Date,Name,Year,Letterboxd URI,Rating", "2021-01-01,Toy Story,1995,https://boxd.it/t,5"
    )
    result = imported(auth_client, row, format_name="letterboxd", name="ratings.csv")
    assert result["counts"]["reviews"] == 1, result
    assert Review.objects.get(user=user).movie.imdb_id == "tt0114709"
