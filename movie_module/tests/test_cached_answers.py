"""Cached answers (scrapbook/response_cache.py): a repeated read skips the database, and every
write shows in the very next read, whoever or whatever made it."""

import datetime
import threading
import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from conftest import access_token_for
from movie_module.catalogue import services as imdb_sync
from movie_module.models import Movie, Review
from movie_module.tracking import selectors
from scrapbook import cached_data
from scrapbook.response_cache import GENERATION_PREFIX

from .factories import MovieFactory, ReviewFactory, WatchlistItemFactory

MOVIES = "/api/movies/"
REVIEWS = "/api/reviews/"
WATCHLIST = "/api/watchlist/"
AUTH_ME = "/api/auth/me/"

pytestmark = pytest.mark.django_db


def movie_in_list(client, imdb_id):
    results = client.get(MOVIES, {"page_size": 100}).json()["results"]
    return next(movie for movie in results if movie["imdb_id"] == imdb_id)


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.mark.parametrize("url", [MOVIES, REVIEWS, f"{REVIEWS}?ordering=rating&page_size=5"])
def test_a_repeated_public_read_runs_no_query(api_client, url, django_assert_num_queries):
    ReviewFactory.create_batch(3)
    first = api_client.get(url)
    with django_assert_num_queries(0):
        again = api_client.get(url)
    assert again.status_code == 200
    assert again.json() == first.json()


def test_a_repeated_movie_page_runs_no_query_whatever_the_caller_has_of_it(
    auth_client, user, django_assert_num_queries
):
    listed, reviewed, other = MovieFactory(), MovieFactory(), MovieFactory()
    WatchlistItemFactory(user=user, movie=listed)
    review = ReviewFactory(user=user, movie=reviewed)
    for movie in (listed, reviewed, other):
        auth_client.get(f"{MOVIES}{movie.imdb_id}/")
    with django_assert_num_queries(0):
        assert auth_client.get(f"{MOVIES}{listed.imdb_id}/").json()["me"]["in_watchlist"] is True
        assert auth_client.get(f"{MOVIES}{other.imdb_id}/").json()["me"]["in_watchlist"] is False
        assert auth_client.get(f"{MOVIES}{reviewed.imdb_id}/").json()["me"]["review"]["id"] == review.id


def test_a_review_or_a_watchlist_item_of_one_movie_leaves_another_movies_page_cached(
    api_client, auth_client, django_assert_num_queries
):
    reviewed, other = MovieFactory(), MovieFactory()
    for movie in (reviewed, other):
        api_client.get(f"{MOVIES}{movie.imdb_id}/")
    auth_client.post(REVIEWS, {"imdb_id": reviewed.imdb_id, "rating": 4}, format="json")
    auth_client.post(WATCHLIST, {"imdb_id": reviewed.imdb_id}, format="json")
    with django_assert_num_queries(0):
        assert api_client.get(f"{MOVIES}{other.imdb_id}/").json()["review_count"] == 0
    page = api_client.get(f"{MOVIES}{reviewed.imdb_id}/").json()
    assert (page["review_count"], page["watchlist_count"]) == (1, 1)


def test_the_callers_reviews_are_read_with_their_map_of_movies_not_page_by_page(auth_client, user):
    first, reviewed, unreviewed = MovieFactory(), MovieFactory(), MovieFactory()
    review = ReviewFactory(user=user, movie=reviewed, rating=2.5)
    auth_client.get(f"{MOVIES}{first.imdb_id}/")  # reads the caller's map, and their reviews
    with CaptureQueriesContext(connection) as reviewed_page:
        me = auth_client.get(f"{MOVIES}{reviewed.imdb_id}/").json()["me"]
    with CaptureQueriesContext(connection) as unreviewed_page:
        auth_client.get(f"{MOVIES}{unreviewed.imdb_id}/")
    assert (me["review"]["id"], me["review"]["rating"]) == (review.id, 2.5)
    assert len(reviewed_page) == len(unreviewed_page)  # the page itself, nothing of the review


def test_a_user_with_very_many_movies_gets_their_me_block_movie_by_movie(
    auth_client, user, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(selectors, "RELATIONS_IN_ONE_READ", 2)
    movies = MovieFactory.create_batch(4)
    for movie in movies[:3]:
        WatchlistItemFactory(user=user, movie=movie)
    ReviewFactory(user=user, movie=movies[0], rating=3.0)
    pages = [auth_client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"] for movie in movies]
    assert [me["in_watchlist"] for me in pages] == [True, True, True, False]
    assert pages[0]["review"]["rating"] == 3.0
    assert pages[1]["review"] is None
    with django_assert_num_queries(1):  # this movie's relation, nothing more
        auth_client.get(f"{MOVIES}{movies[3].imdb_id}/")


def test_the_shared_movie_page_keeps_each_callers_own_me_block(auth_client, user, other_client):
    movie = MovieFactory()
    WatchlistItemFactory(user=user, movie=movie)
    ReviewFactory(user=user, movie=movie, rating=4.5)
    mine = auth_client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"]
    theirs = other_client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"]
    anonymous = APIClient().get(f"{MOVIES}{movie.imdb_id}/").json()["me"]
    assert mine["in_watchlist"] and mine["review"]["rating"] == 4.5
    assert mine["review"]["movie"]["imdb_id"] == movie.imdb_id
    assert mine["review"]["user"]["username"] == user.username
    assert theirs == {"in_watchlist": False, "watched": False, "watchlist_id": None, "review": None}
    assert anonymous is None


def test_one_users_watchlist_is_never_served_to_another(auth_client, user, other_client, other_user):
    WatchlistItemFactory(user=user, movie=MovieFactory(title="Mine"))
    WatchlistItemFactory(user=other_user, movie=MovieFactory(title="Theirs"))
    assert [item["movie"]["title"] for item in auth_client.get(WATCHLIST).json()["results"]] == ["Mine"]
    assert [item["movie"]["title"] for item in other_client.get(WATCHLIST).json()["results"]] == ["Theirs"]


def test_a_new_review_shows_at_once_in_every_cached_answer(auth_client, user):
    movie = MovieFactory()
    WatchlistItemFactory(user=user, movie=movie)
    page_url = f"{MOVIES}{movie.imdb_id}/"
    # Fill the cache.
    assert movie_in_list(auth_client, movie.imdb_id)["review_count"] == 0
    assert auth_client.get(REVIEWS).json()["count"] == 0
    assert auth_client.get(page_url).json()["average_rating"] is None
    assert auth_client.get(WATCHLIST).json()["results"][0]["watched"] is False

    created = auth_client.post(REVIEWS, {"imdb_id": movie.imdb_id, "rating": 3.5}, format="json")
    assert created.status_code == 201

    listed = movie_in_list(auth_client, movie.imdb_id)
    assert (listed["review_count"], listed["average_rating"]) == (1, 3.5)
    assert [review["id"] for review in auth_client.get(REVIEWS).json()["results"]] == [created.json()["id"]]
    page = auth_client.get(page_url).json()
    assert (page["review_count"], page["average_rating"]) == (1, 3.5)
    assert page["me"]["review"]["id"] == created.json()["id"]
    # Marked watched by the review (a bulk update, which sends no signal).
    assert page["me"]["watched"] is True
    item = auth_client.get(WATCHLIST).json()["results"][0]
    assert item["watched"] is True
    assert item["movie"]["review_count"] == 1


def test_an_edited_then_deleted_review_shows_at_once(auth_client, user):
    review = ReviewFactory(user=user, rating=2.0)
    imdb_id = review.movie.imdb_id
    assert movie_in_list(auth_client, imdb_id)["average_rating"] == 2.0
    assert auth_client.get(REVIEWS).json()["results"][0]["rating"] == 2.0

    assert auth_client.patch(f"{REVIEWS}{review.id}/", {"rating": 5}, format="json").status_code == 200
    assert movie_in_list(auth_client, imdb_id)["average_rating"] == 5.0
    assert auth_client.get(REVIEWS).json()["results"][0]["rating"] == 5.0

    assert auth_client.delete(f"{REVIEWS}{review.id}/").status_code == 204
    assert movie_in_list(auth_client, imdb_id)["review_count"] == 0
    assert auth_client.get(REVIEWS).json()["count"] == 0
    assert auth_client.get(f"{MOVIES}{imdb_id}/").json()["me"]["review"] is None


def test_watchlist_changes_show_at_once(auth_client, other_client):
    movie = MovieFactory()
    page_url = f"{MOVIES}{movie.imdb_id}/"
    assert auth_client.get(WATCHLIST).json()["count"] == 0
    assert auth_client.get(page_url).json()["watchlist_count"] == 0

    added = auth_client.post(WATCHLIST, {"imdb_id": movie.imdb_id}, format="json").json()
    assert auth_client.get(WATCHLIST).json()["count"] == 1
    assert other_client.get(page_url).json()["watchlist_count"] == 1
    assert auth_client.get(page_url).json()["me"]["watchlist_id"] == added["id"]

    assert (
        auth_client.patch(f"{WATCHLIST}{added['id']}/", {"watched": True}, format="json").status_code == 200
    )
    assert auth_client.get(WATCHLIST).json()["results"][0]["watched"] is True
    assert auth_client.get(WATCHLIST, {"watched": "false"}).json()["count"] == 0
    assert auth_client.get(page_url).json()["me"]["watched"] is True
    assert other_client.get(page_url).json()["me"]["in_watchlist"] is False

    assert auth_client.delete(f"{WATCHLIST}{added['id']}/").status_code == 204
    assert auth_client.get(WATCHLIST).json()["count"] == 0
    assert other_client.get(page_url).json()["watchlist_count"] == 0


def test_changes_made_outside_the_api_show_at_once(api_client):
    """Staff edit movies and users in the admin, which saves through the ORM like this."""
    review = ReviewFactory()
    movie, author = review.movie, review.user
    assert movie_in_list(api_client, movie.imdb_id)["title"] == movie.title
    assert api_client.get(f"{MOVIES}{movie.imdb_id}/").json()["title"] == movie.title
    assert api_client.get(REVIEWS).json()["results"][0]["user"]["username"] == author.username

    movie.title = "Retitled by staff"
    movie.save()
    author.username = "renamed_by_staff"
    author.save()

    assert movie_in_list(api_client, movie.imdb_id)["title"] == "Retitled by staff"
    assert api_client.get(f"{MOVIES}{movie.imdb_id}/").json()["title"] == "Retitled by staff"
    first = api_client.get(REVIEWS).json()["results"][0]
    assert (first["movie"]["title"], first["user"]["username"]) == ("Retitled by staff", "renamed_by_staff")

    author.delete()  # cascades to the review
    assert api_client.get(REVIEWS).json()["count"] == 0
    assert movie_in_list(api_client, movie.imdb_id)["review_count"] == 0


def test_an_imdb_refresh_shows_at_once(api_client, fake_imdb, imdb_client):
    # Details fetched long ago: the page shows them and leaves the refresh to the background.
    movie = MovieFactory(
        imdb_id="tt0133093",
        title="Matrix, the",
        plot="",
        refreshed_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400),
    )
    assert api_client.get(f"{MOVIES}tt0133093/").json()["title"] == "Matrix, the"
    imdb_sync.refresh_movie(movie, client=imdb_client)  # a bulk update, which sends no signal
    page = api_client.get(f"{MOVIES}tt0133093/").json()
    assert page["title"] == "The Matrix"
    assert movie_in_list(api_client, "tt0133093")["title"] == "The Matrix"


def test_with_the_cache_off_every_read_runs_its_queries(api_client, settings, django_assert_num_queries):
    settings.API_CACHE_SECONDS = 0
    MovieFactory()
    api_client.get(MOVIES)
    with django_assert_num_queries(1):  # the page, with its genres and the list's length
        assert api_client.get(MOVIES).status_code == 200


# The user behind a token is cached too, until the user changes.


def test_a_deactivated_user_is_refused_at_once(user):
    client = client_of(user)
    assert client.get(AUTH_ME).status_code == 200
    assert client.get(WATCHLIST).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(AUTH_ME).status_code == 401
    assert client.get(WATCHLIST).status_code == 401


def test_a_deleted_user_is_refused_at_once(user):
    client = client_of(user)
    assert client.get(AUTH_ME).status_code == 200
    user.delete()
    response = client.get(AUTH_ME)
    assert response.status_code == 401


def test_a_repeated_authenticated_read_does_not_read_the_user_again(user, django_assert_num_queries):
    client = client_of(user)
    client.get(AUTH_ME)
    with django_assert_num_queries(0):
        assert client.get(AUTH_ME).json()["username"] == user.username


def test_a_token_used_while_valid_is_refused_once_it_expires(user):
    token = AccessToken.for_user(user)
    # `exp` is written in whole seconds (rounded down): a 1 s lifetime could leave a busy
    # machine no time at all for the first request.
    token.set_exp(lifetime=datetime.timedelta(seconds=3))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(AUTH_ME).status_code == 200
    deadline = time.monotonic() + 10
    while (response := client.get(AUTH_ME)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_generation_that_left_the_cache_makes_its_answers_miss_not_go_stale(api_client):
    movie = MovieFactory(title="Before")
    assert movie_in_list(api_client, movie.imdb_id)["title"] == "Before"
    with connection.cursor() as cursor:  # behind the ORM's back: nothing announces it
        cursor.execute(f"UPDATE {Movie._meta.db_table} SET title = %s WHERE id = %s", ["After", movie.pk])
    assert movie_in_list(api_client, movie.imdb_id)["title"] == "Before"
    cache.delete(f"{GENERATION_PREFIX}{cached_data.MOVIES}")  # expired, or evicted under memory pressure
    assert movie_in_list(api_client, movie.imdb_id)["title"] == "After"


# Round trips to the cache: a warm read makes one, whatever it is made of.


class RoundTripCountingCache(LocMemCache):
    """The local-memory cache, noting each call a Redis cache would make one round trip for."""

    round_trips: list[str] = []
    _inside = threading.local()

    def _noted(name):
        def call(self, *args, **kwargs):
            outermost = not getattr(self._inside, "depth", 0)
            if outermost:
                self.round_trips.append(name)
            self._inside.depth = getattr(self._inside, "depth", 0) + 1
            try:
                return getattr(LocMemCache, name)(self, *args, **kwargs)
            finally:
                self._inside.depth -= 1

        return call

    get, get_many, set, set_many, add = map(_noted, ["get", "get_many", "set", "set_many", "add"])
    delete, delete_many, incr, touch = map(_noted, ["delete", "delete_many", "incr", "touch"])


@pytest.fixture
def round_trips():
    counting = {"BACKEND": f"{__name__}.RoundTripCountingCache", "LOCATION": "round-trips"}
    with override_settings(CACHES={"default": counting}):
        cache.clear()  # nothing left from another test's users
        yield RoundTripCountingCache.round_trips
        cache.clear()
    RoundTripCountingCache.round_trips.clear()


def test_a_warm_movie_page_is_one_round_trip_to_the_cache(user, round_trips):
    listed, reviewed = MovieFactory(), MovieFactory()
    WatchlistItemFactory(user=user, movie=listed)
    ReviewFactory(user=user, movie=reviewed)
    client = client_of(user)
    for movie in (listed, reviewed):
        client.get(f"{MOVIES}{movie.imdb_id}/")  # built: the account, the page, the caller's movies, review
    for movie in (listed, reviewed):
        round_trips.clear()
        me = client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"]
        assert round_trips == ["get_many"]
    assert me["review"]["user"]["username"] == user.username


@pytest.mark.parametrize("url", [WATCHLIST, "/api/feed/", AUTH_ME, MOVIES, REVIEWS])
def test_a_warm_authenticated_read_is_one_round_trip_to_the_cache(user, round_trips, url):
    client = client_of(user)
    client.get(url)
    round_trips.clear()
    assert client.get(url).status_code == 200
    assert round_trips == ["get_many"]


@pytest.mark.parametrize("how", ["save", "save_update_fields", "queryset_update"])
def test_a_review_the_admin_moves_to_another_author_and_movie_leaves_both_pages_right(
    api_client, user, other_user, how
):
    left, joined = MovieFactory(), MovieFactory()
    review = ReviewFactory(user=user, movie=left, rating=4.0)
    mine, theirs = client_of(user), client_of(other_user)

    def my_review_shown(client, movie):
        return client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"]["review"] is not None

    def shown():
        return {
            "left": api_client.get(f"{MOVIES}{left.imdb_id}/").json()["review_count"],
            "joined": api_client.get(f"{MOVIES}{joined.imdb_id}/").json()["review_count"],
            "in the list of left": movie_in_list(api_client, left.imdb_id)["review_count"],
            "my page of left": my_review_shown(mine, left),
            "their page of joined": my_review_shown(theirs, joined),
            "my profile": api_client.get(f"/api/users/{user.username}/").json()["stats"]["reviews"],
            "their profile": api_client.get(f"/api/users/{other_user.username}/").json()["stats"]["reviews"],
        }

    before = {
        "left": 1,
        "joined": 0,
        "in the list of left": 1,
        "my page of left": True,
        "their page of joined": False,
        "my profile": 1,
        "their profile": 0,
    }
    assert shown() == before  # and cached now
    if how == "save":  # what the admin's change form does
        review.user, review.movie = other_user, joined
        review.save()
    elif how == "save_update_fields":
        review.user, review.movie = other_user, joined
        review.save(update_fields=["user", "movie"])
    else:
        Review.objects.filter(pk=review.pk).update(user=other_user, movie=joined)

    assert shown() == {
        "left": 0,
        "joined": 1,
        "in the list of left": 0,
        "my page of left": False,
        "their page of joined": True,
        "my profile": 0,
        "their profile": 1,
    }
