import datetime

import pytest

from authentication.models import User
from authentication.usernames import username_key
from movie_module.models import Activity, Follow, Review, Watch

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
    with django_assert_num_queries(1):
        response = auth_client.get(FEED, {"limit": limit})
    body = response.json()
    assert len(body["results"]) == limit
    assert body["results"][0]["kind"] == "watch"
    with django_assert_num_queries(1):
        assert auth_client.get(FEED, {"limit": limit, "before": body["next_before"]}).status_code == 200
