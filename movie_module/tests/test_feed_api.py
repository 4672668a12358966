import datetime

import pytest
from rest_framework.test import APIClient

from authentication.models import User
from authentication.usernames import username_key
from movie_module.models import Activity, Follow, Movie, Review, ReviewLike, Watch

from .factories import MovieFactory, ReviewFactory

pytestmark = pytest.mark.django_db

FEED = "/api/feed/"
AUTH_ME = "/api/auth/me/"


def follow(client, person):
    assert client.post(f"/api/users/{person.username}/follow/").status_code == 201


@pytest.fixture
def followed_world(auth_client, other_client, user, other_user):
    """`user` follows `other_user`, who reviews, logs a watch, makes lists and follows someone."""
    follow(auth_client, other_user)
    matrix, alien = MovieFactory(title="The Matrix"), MovieFactory(title="Alien")
    review = other_client.post(
        "/api/reviews/", {"imdb_id": matrix.imdb_id, "rating": 5}, format="json"
    ).json()
    watch = other_client.post("/api/diary/", {"imdb_id": alien.imdb_id, "rating": 4}, format="json").json()
    public = other_client.post("/api/lists/", {"name": "Shown"}, format="json").json()
    other_client.post("/api/lists/", {"name": "Hidden", "public": False}, format="json")
    third = User.objects.create_user(username="third", password="x")
    follow(other_client, third)
    return {"review": review, "watch": watch, "list": public, "third": third}


def test_the_feed_shows_what_the_followed_did_newest_first(auth_client, other_user, followed_world):
    response = auth_client.get(FEED)
    assert response.status_code == 200
    body = response.json()
    assert body["next_before"] is None
    kinds = [activity["kind"] for activity in body["results"]]
    assert kinds == ["follow", "list", "watch", "review"]
    assert all(
        activity["user"] == {"id": other_user.id, "username": other_user.username}
        for activity in body["results"]
    )
    follow_shown, list_shown, watch_shown, review_shown = body["results"]
    assert follow_shown["followed"] == {"id": followed_world["third"].id, "username": "third"}
    assert list_shown["list"]["name"] == "Shown" and list_shown["list"]["item_count"] == 0
    assert watch_shown["watch"]["movie"]["title"] == "Alien" and watch_shown["watch"]["rewatch"] is False
    assert review_shown["review"]["movie"]["title"] == "The Matrix"
    assert review_shown["review"]["like_count"] == 0 and review_shown["review"]["liked_by_me"] is False
    assert set(review_shown) == {"id", "kind", "user", "created_at", "review"}


def test_the_feed_pages_with_a_cursor(auth_client, followed_world):
    first = auth_client.get(FEED, {"limit": 3}).json()
    assert [activity["kind"] for activity in first["results"]] == ["follow", "list", "watch"]
    assert first["next_before"] == first["results"][-1]["id"]
    second = auth_client.get(FEED, {"limit": 3, "before": first["next_before"]}).json()
    assert [activity["kind"] for activity in second["results"]] == ["review"]
    assert second["next_before"] is None


def test_a_list_made_private_leaves_the_feed_and_a_deleted_review_too(
    auth_client, other_client, followed_world
):
    other_client.patch(f"/api/lists/{followed_world['list']['id']}/", {"public": False}, format="json")
    other_client.delete(f"/api/reviews/{followed_world['review']['id']}/")
    kinds = [activity["kind"] for activity in auth_client.get(FEED).json()["results"]]
    assert kinds == ["follow", "watch"]


def test_an_edited_review_shows_as_edited_and_likes_count(auth_client, other_client, followed_world):
    review_id = followed_world["review"]["id"]
    other_client.patch(f"/api/reviews/{review_id}/", {"body": "Even better again."}, format="json")
    assert auth_client.post(f"/api/reviews/{review_id}/like/").status_code == 201
    review = auth_client.get(FEED).json()["results"][-1]["review"]
    assert review["body"] == "Even better again."
    assert (review["like_count"], review["liked_by_me"]) == (1, True)


def test_unfollowing_empties_the_feed_of_that_person(auth_client, other_user, followed_world):
    auth_client.delete(f"/api/users/{other_user.username}/follow/")
    assert auth_client.get(FEED).json() == {"results": [], "next_before": None}


def test_nobodys_activity_but_the_followed_shows(auth_client, user, other_client):
    stranger = User.objects.create_user(username="stranger", password="x")
    ReviewFactory(user=stranger)
    auth_client.post("/api/reviews/", {"imdb_id": MovieFactory().imdb_id, "rating": 3}, format="json")
    assert auth_client.get(FEED).json()["results"] == []


@pytest.mark.parametrize(
    "params, field", [({"before": "x"}, "before"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit")]
)
def test_a_bad_feed_query_is_a_400(auth_client, params, field):
    response = auth_client.get(FEED, params)
    assert response.status_code == 400 and list(response.json()) == [field]


def test_the_feed_needs_authentication(api_client):
    assert api_client.get(FEED).status_code == 401


@pytest.mark.parametrize("limit", [1, 100])
def test_the_feed_of_someone_following_1000_people_runs_one_query_a_page(
    auth_client, user, django_assert_num_queries, limit
):
    people = User.objects.bulk_create(
        User(username=f"person{number}", username_key=username_key(f"person{number}"))
        for number in range(1000)
    )
    Follow.objects.bulk_create(Follow(follower=user, followed=person) for person in people)
    movies = MovieFactory.create_batch(5)
    reviews = Review.objects.bulk_create(
        Review(user=person, movie=movies[number % 5], rating=4) for number, person in enumerate(people[:300])
    )
    watches = Watch.objects.bulk_create(
        Watch(user=person, movie=movies[number % 5], watched_on=datetime.date(2024, 1, 1))
        for number, person in enumerate(people[300:600])
    )
    Activity.objects.bulk_create(
        [Activity(user=review.user, kind="review", review=review) for review in reviews]
        + [Activity(user=watch.user, kind="watch", watch=watch) for watch in watches]
    )
    auth_client.get(AUTH_ME)
    with django_assert_num_queries(1):  # the page's ids, then their rows, in one
        response = auth_client.get(FEED, {"limit": limit})
    body = response.json()
    assert len(body["results"]) == limit
    assert body["results"][0]["kind"] == "watch"
    with django_assert_num_queries(1):
        assert auth_client.get(FEED, {"limit": limit, "before": body["next_before"]}).status_code == 200


# The feed is cached per follower until a write it shows: each of them, at once.


def kinds_in_feed(client) -> list[str]:
    return [activity["kind"] for activity in client.get(FEED).json()["results"]]


def test_a_repeated_feed_read_runs_no_query(auth_client, followed_world, django_assert_num_queries):
    first = auth_client.get(FEED).json()
    with django_assert_num_queries(0):
        assert auth_client.get(FEED).json() == first


def test_new_activities_of_the_followed_show_at_once(auth_client, other_client, followed_world):
    assert kinds_in_feed(auth_client) == ["follow", "list", "watch", "review"]
    movie = MovieFactory(title="Heat")
    other_client.post("/api/reviews/", {"imdb_id": movie.imdb_id, "rating": 4}, format="json")
    other_client.post("/api/diary/", {"imdb_id": movie.imdb_id}, format="json")
    shown = auth_client.get(FEED).json()["results"]
    assert [activity["kind"] for activity in shown[:2]] == ["watch", "review"]
    assert shown[0]["watch"]["movie"]["title"] == "Heat" and shown[0]["watch"]["rewatch"] is False


def test_following_someone_shows_what_they_did_before_at_once(auth_client, followed_world):
    assert kinds_in_feed(auth_client) == ["follow", "list", "watch", "review"]
    third = followed_world["third"]
    ReviewFactory(user=third)
    Activity.objects.create(user=third, kind="review", review=Review.objects.get(user=third))
    follow(auth_client, third)
    assert kinds_in_feed(auth_client) == ["review", "follow", "list", "watch", "review"]


def test_a_deleted_watch_leaves_the_feed_at_once(auth_client, other_client, followed_world):
    assert "watch" in kinds_in_feed(auth_client)
    assert other_client.delete(f"/api/diary/{followed_world['watch']['id']}/").status_code == 204
    assert kinds_in_feed(auth_client) == ["follow", "list", "review"]


def test_an_earlier_watch_logged_later_makes_the_shown_watch_a_rewatch_at_once(
    auth_client, other_client, followed_world
):
    imdb_id = followed_world["watch"]["movie"]["imdb_id"]
    other_client.post("/api/diary/", {"imdb_id": imdb_id, "watched_on": "2025-01-02"}, format="json")
    shown = auth_client.get(FEED).json()["results"]
    watches = [activity["watch"] for activity in shown if "watch" in activity]
    # Newest activity first: the watch just logged (the earlier viewing), then today's.
    assert [(watch["watched_on"], watch["rewatch"]) for watch in watches] == [
        ("2025-01-02", False),
        (followed_world["watch"]["watched_on"], True),
    ]


def test_a_list_growing_shows_its_item_count_at_once(auth_client, other_client, followed_world):
    assert auth_client.get(FEED).json()["results"][1]["list"]["item_count"] == 0
    list_id = followed_world["list"]["id"]
    other_client.post(f"/api/lists/{list_id}/items/", {"imdb_id": MovieFactory().imdb_id}, format="json")
    assert auth_client.get(FEED).json()["results"][1]["list"]["item_count"] == 1


def test_a_like_by_anyone_shows_in_the_like_count_at_once(auth_client, other_user, followed_world):
    review = auth_client.get(FEED).json()["results"][-1]["review"]
    assert review["like_count"] == 0
    stranger = User.objects.create_user(username="stranger", password="x")
    ReviewLike.objects.create(user=stranger, review_id=review["id"])
    assert auth_client.get(FEED).json()["results"][-1]["review"]["like_count"] == 1


def test_a_retitled_movie_and_a_renamed_user_show_at_once(auth_client, other_user, followed_world):
    auth_client.get(FEED)
    Movie.objects.filter(imdb_id=followed_world["review"]["movie"]["imdb_id"]).update(
        title="The Matrix (1999)"
    )
    other_user.username = "renamed"
    other_user.save()
    shown = auth_client.get(FEED).json()["results"]
    assert shown[-1]["review"]["movie"]["title"] == "The Matrix (1999)"
    assert {activity["user"]["username"] for activity in shown} == {"renamed"}
    assert shown[-1]["review"]["user"]["username"] == "renamed"


def test_a_deleted_account_leaves_every_feed_at_once(auth_client, other_user, followed_world):
    assert kinds_in_feed(auth_client) != []
    other_user.delete()  # as DELETE /api/auth/me/ does, in one cascade
    assert auth_client.get(FEED).json() == {"results": [], "next_before": None}


def test_another_followers_feed_is_their_own(auth_client, other_user, followed_world):
    third = followed_world["third"]
    third_client = APIClient()
    third_client.force_authenticate(third)
    follow(third_client, other_user)
    assert kinds_in_feed(third_client) == kinds_in_feed(auth_client)
    auth_client.delete(f"/api/users/{other_user.username}/follow/")
    assert kinds_in_feed(auth_client) == []
    assert kinds_in_feed(third_client) == ["follow", "list", "watch", "review"]
