"""Importing Letterboxd's export: the ZIP as downloaded and its CSVs alone."""

from decimal import Decimal

import pytest

from movie_module.models import Review, WatchlistItem
from movie_module.tests.factories import ReviewFactory

from . import files
from .conftest import imported

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_export_zip_becomes_reviews_and_watchlist_and_reports_what_it_could_not_use(
    auth_client, user, catalogue
):
    result = imported(auth_client, files.letterboxd_export(), format_name="letterboxd", name="letterboxd.zip")

    assert result["status"] == "done"
    assert result["error"] is None
    reviews = {review.movie.title: review for review in Review.objects.filter(user=user)}
    assert {title: review.rating for title, review in reviews.items()} == {
        "The Matrix": Decimal("4.5"),
        "Crouching Tiger, Hidden Dragon": Decimal("4.0"),
        "Amélie": Decimal("5.0"),
    }
    assert reviews["The Matrix"].body == 'Still great, still "the one".\nTwo lines.'
    items = {item.movie.title: item for item in WatchlistItem.objects.filter(user=user)}
    assert set(items) == {"Toy Story"}  # The Matrix, reviewed, is known watched without it
    assert items["Toy Story"].watched  # on the watchlist, and in watched.csv
    assert items["Toy Story"].watched_at.date().isoformat() == "2018-02-03"
    reasons = {(entry["file"], entry["title"]): entry["reason"] for entry in result["unmatched"]}
    assert reasons == {
        ("ratings.csv", "A Film Nobody Has"): "not in the catalogue",
        ("diary.csv", "The Matrix"): "diary/lists not available yet",
        ("lists/favourites.csv", "The Matrix"): "diary/lists not available yet",
    }
    [nobody] = [entry for entry in result["unmatched"] if entry["title"] == "A Film Nobody Has"]
    assert nobody == {
        "row": 5, "file": "ratings.csv", "title": "A Film Nobody Has", "year": 2011, "reason": "not in the catalogue"  # noqa: E501
    }  # fmt: skip
    assert result["counts"] == {
        "rows": 10, "reviews": 3, "watches": 0, "watchlist": 2, "lists": 0, "unchanged": 1, "unmatched": 3
    }  # fmt: skip


def test_importing_the_same_export_again_changes_nothing(auth_client, user, catalogue):
    imported(auth_client, files.letterboxd_export(), format_name="letterboxd", name="letterboxd.zip")
    before = sorted(Review.objects.filter(user=user).values_list("movie_id", "rating", "body", "updated_at"))
    items_before = sorted(
        WatchlistItem.objects.filter(user=user).values_list("movie_id", "watched", "watched_at")
    )

    again = imported(auth_client, files.letterboxd_export(), format_name="letterboxd", name="letterboxd.zip")

    assert again["counts"]["reviews"] == again["counts"]["watchlist"] == 0
    assert again["counts"]["unchanged"] == 7
    assert (
        sorted(Review.objects.filter(user=user).values_list("movie_id", "rating", "body", "updated_at"))
        == before
    )
    assert sorted(
        WatchlistItem.objects.filter(user=user).values_list("movie_id", "watched", "watched_at")
    ) == (items_before)


def test_a_newer_export_adds_only_what_is_new_and_the_latest_rating_wins(auth_client, user, catalogue):
    imported(auth_client, files.LETTERBOXD_RATINGS, format_name="letterboxd", name="ratings.csv")
    newer = files.crlf_csv(
        "Date,Name,Year,Letterboxd URI,Rating",
        "2021-03-04,The Matrix,1999,https://boxd.it/2a1m,4.5",
        "2030-01-01,Amélie,2001,https://boxd.it/29NM,3.5",
        "2030-01-02,Toy Story,1995,https://boxd.it/29Na,2",
    )

    result = imported(auth_client, newer, format_name="letterboxd", name="ratings.csv")

    assert result["counts"]["reviews"] == 2 and result["counts"]["unchanged"] == 1
    ratings = dict(Review.objects.filter(user=user).values_list("movie__title", "rating"))
    assert ratings["Amélie"] == Decimal("3.5")
    assert ratings["Toy Story"] == Decimal("2.0")


def test_an_existing_review_keeps_its_text_and_a_rating_changed_here_since_is_kept(
    auth_client, user, catalogue
):
    ReviewFactory(user=user, movie=catalogue["matrix"], rating=2, body="My own words.")
    result = imported(auth_client, files.LETTERBOXD_REVIEWS, format_name="letterboxd", name="reviews.csv")

    review = Review.objects.get(user=user, movie=catalogue["matrix"])
    assert review.body == "My own words."
    assert review.rating == Decimal("2.0")  # written today, after the file's rating of 2021
    assert result["counts"]["unchanged"] == 1


def test_a_file_named_neither_watched_nor_watchlist_is_refused_with_the_reason(auth_client, catalogue):
    from .conftest import upload

    response = upload(auth_client, files.LETTERBOXD_WATCHLIST, format_name="letterboxd", name="export.csv")
    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "export.csv may be your watchlist or your watched films: name it watchlist.csv or watched.csv."
        ]
    }
