import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from movie_module.models import WatchlistItem

from .factories import MovieFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

WATCHLIST = "/api/watchlist/"
AUTH_ME = "/api/auth/me/"


def item_url(item):
    return f"{WATCHLIST}{item.id}/"


def test_adding_a_movie_returns_the_new_item(auth_client, user):
    movie = MovieFactory(title="Alien")
    response = auth_client.post(WATCHLIST, {"imdb_id": movie.imdb_id})
    assert response.status_code == 201
    assert set(response.json()) == {"id", "movie", "added_at", "watched", "watched_at"}
    assert response.json()["movie"]["title"] == "Alien"
    assert response.json()["watched"] is False
    assert response.json()["watched_at"] is None
    assert WatchlistItem.objects.get().user == user


def test_adding_the_same_movie_twice_returns_the_existing_item(auth_client):
    movie = MovieFactory()
    first = auth_client.post(WATCHLIST, {"imdb_id": movie.imdb_id})
    second = auth_client.post(WATCHLIST, {"imdb_id": movie.imdb_id})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert WatchlistItem.objects.count() == 1


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "This field is required."),
        ({"imdb_id": None}, "This field may not be null."),
        ({"imdb_id": "tt123"}, "Enter an IMDb id: tt followed by 7 or 8 digits."),
        ({"imdb_id": "nm0000206"}, "Enter an IMDb id: tt followed by 7 or 8 digits."),
        ({"imdb_id": 133093}, "Enter an IMDb id: tt followed by 7 or 8 digits."),
        ({"imdb_id": "tt9999999"}, "No movie has this IMDb id."),
    ],
)
def test_adding_with_a_bad_imdb_id_names_the_field_and_adds_nothing(auth_client, body, message):
    MovieFactory()
    response = auth_client.post(WATCHLIST, body)
    assert response.status_code == 400
    assert response.json() == {"imdb_id": [message]}
    assert not WatchlistItem.objects.exists()


def test_the_watchlist_needs_authentication(api_client):
    movie = MovieFactory()
    assert api_client.get(WATCHLIST).status_code == 401
    assert api_client.post(WATCHLIST, {"imdb_id": movie.imdb_id}).status_code == 401
    assert not WatchlistItem.objects.exists()


def test_the_list_shows_only_the_callers_items_newest_first(auth_client, user):
    older = WatchlistItemFactory(user=user)
    newer = WatchlistItemFactory(user=user)
    WatchlistItemFactory()  # someone else's
    response = auth_client.get(WATCHLIST)
    assert response.json()["count"] == 2
    assert [item["id"] for item in response.json()["results"]] == [newer.id, older.id]


def test_the_list_filters_by_watched(auth_client, user):
    watched = WatchlistItemFactory(user=user, watched=True, watched_at=timezone.now())
    unwatched = WatchlistItemFactory(user=user)
    assert [i["id"] for i in auth_client.get(WATCHLIST, {"watched": "true"}).json()["results"]] == [
        watched.id
    ]
    assert [i["id"] for i in auth_client.get(WATCHLIST, {"watched": "false"}).json()["results"]] == [
        unwatched.id
    ]


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("added_at", ["Brazil", "Alien", "Casablanca"]),
        ("-added_at", ["Casablanca", "Alien", "Brazil"]),
        ("title", ["Alien", "Brazil", "Casablanca"]),
        ("-watched_at", ["Alien", "Brazil", "Casablanca"]),
    ],
)
def test_the_list_orders_as_asked(auth_client, user, ordering, expected):
    now = timezone.now()
    WatchlistItemFactory(
        user=user,
        movie=MovieFactory(title="Brazil"),
        watched=True,
        watched_at=now - datetime.timedelta(days=2),
    )
    WatchlistItemFactory(user=user, movie=MovieFactory(title="Alien"), watched=True, watched_at=now)
    WatchlistItemFactory(user=user, movie=MovieFactory(title="Casablanca"))
    results = auth_client.get(WATCHLIST, {"ordering": ordering}).json()["results"]
    assert [item["movie"]["title"] for item in results] == expected


@pytest.mark.parametrize(
    "params, field", [({"watched": "maybe"}, "watched"), ({"ordering": "rating"}, "ordering")]
)
def test_a_bad_filter_is_a_400_naming_it(auth_client, params, field):
    response = auth_client.get(WATCHLIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_marking_watched_sets_watched_at_to_now(auth_client, user):
    item = WatchlistItemFactory(user=user)
    before = timezone.now()
    response = auth_client.patch(item_url(item), {"watched": True})
    assert response.status_code == 200
    assert response.json()["watched"] is True
    item.refresh_from_db()
    assert item.watched and item.watched_at >= before


def test_marking_watched_at_a_given_time_keeps_it(auth_client, user):
    item = WatchlistItemFactory(user=user)
    response = auth_client.patch(item_url(item), {"watched": True, "watched_at": "2024-05-01T20:00:00Z"})
    assert response.status_code == 200
    assert response.json()["watched_at"] == "2024-05-01T20:00:00Z"


def test_marking_watched_again_keeps_the_first_watched_at(auth_client, user):
    first = datetime.datetime(2023, 4, 5, 20, 0, tzinfo=datetime.UTC)
    item = WatchlistItemFactory(user=user, watched=True, watched_at=first)
    response = auth_client.patch(item_url(item), {"watched": True}, format="json")
    assert response.status_code == 200
    assert response.json()["watched_at"] == "2023-04-05T20:00:00Z"
    item.refresh_from_db()
    assert item.watched_at == first


def test_marking_unwatched_clears_watched_at(auth_client, user):
    item = WatchlistItemFactory(user=user, watched=True, watched_at=timezone.now())
    response = auth_client.patch(item_url(item), {"watched": False})
    assert response.status_code == 200
    assert response.json()["watched_at"] is None
    item.refresh_from_db()
    assert not item.watched and item.watched_at is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "watched"),
        ({"watched": "perhaps"}, "watched"),
        ({"watched": None}, "watched"),
        ({"watched": True, "watched_at": "yesterday"}, "watched_at"),
        ({"watched": True, "watched_at": "2999-01-01T00:00:00Z"}, "watched_at"),
        ({"watched": False, "watched_at": "2024-01-01T00:00:00Z"}, "watched_at"),
    ],
)
def test_a_bad_update_names_the_field_and_changes_nothing(auth_client, user, body, field):
    item = WatchlistItemFactory(user=user)
    response = auth_client.patch(item_url(item), body)
    assert response.status_code == 400
    assert field in response.json()
    item.refresh_from_db()
    assert not item.watched and item.watched_at is None


def test_put_is_not_allowed(auth_client, user):
    item = WatchlistItemFactory(user=user)
    assert auth_client.put(item_url(item), {"watched": True}).status_code == 405


def test_deleting_an_item_removes_it(auth_client, user):
    item = WatchlistItemFactory(user=user)
    assert auth_client.delete(item_url(item)).status_code == 204
    assert not WatchlistItem.objects.exists()


def test_another_users_item_is_a_404_and_stays_untouched(auth_client):
    item = WatchlistItemFactory()
    assert auth_client.get(item_url(item)).status_code == 404
    assert auth_client.patch(item_url(item), {"watched": True}).status_code == 404
    response = auth_client.delete(item_url(item))
    assert response.status_code == 404
    assert response.json()["detail"]
    item.refresh_from_db()
    assert not item.watched


def test_the_list_runs_the_same_queries_for_1_and_100_items(auth_client, user, django_assert_num_queries):
    WatchlistItemFactory.create_batch(100, user=user)
    auth_client.get(AUTH_ME)  # reads the user once; later requests take it from the cache
    for page_size in (1, 100):
        # count, the items with their movies and the movies' genres
        with django_assert_num_queries(2):
            response = auth_client.get(WATCHLIST, {"page_size": page_size, "ordering": "title"})
        assert len(response.json()["results"]) == page_size


def test_adding_reads_the_movie_once_without_its_credits(auth_client):
    movie = MovieFactory(title="Alien", year=1979, imdb_rating=8.5, cast=["Sigourney Weaver"])
    auth_client.get(AUTH_ME)  # reads the user once; later requests take it from the cache
    with CaptureQueriesContext(connection) as queries:
        response = auth_client.post(WATCHLIST, {"imdb_id": movie.imdb_id})
    assert response.status_code == 201
    shown = response.json()["movie"]
    assert (shown["imdb_id"], shown["title"], shown["year"], shown["imdb_rating"]) == (
        movie.imdb_id,
        "Alien",
        1979,
        8.5,
    )
    by_imdb_id = [query["sql"] for query in queries if '"movie_module_movie"."imdb_id" =' in query["sql"]]
    assert len(by_imdb_id) == 1, by_imdb_id
    assert '"cast"' not in by_imdb_id[0]


def test_an_item_is_found_by_its_id_however_the_url_writes_it(auth_client, user):
    item = WatchlistItemFactory(user=user, movie=MovieFactory(title="Alien", year=1979, genres=["Horror"]))
    for written in (str(item.id), f"0{item.id}", f"{item.id:020d}"):
        response = auth_client.get(f"{WATCHLIST}{written}/")
        assert response.status_code == 200, written
        shown = response.json()
        assert shown["id"] == item.id
        assert (shown["movie"]["title"], shown["movie"]["genres"]) == ("Alien", ["Horror"])


@pytest.mark.parametrize("written", ["x1", "1e3", "9223372036854775808", "99999999999999999999999"])
def test_an_item_id_that_names_no_item_is_a_404(auth_client, user, written):
    WatchlistItemFactory(user=user)
    response = auth_client.patch(f"{WATCHLIST}{written}/", {"watched": True})
    assert response.status_code == 404
    assert response.json()["detail"]
