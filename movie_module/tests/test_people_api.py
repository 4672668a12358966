import datetime

import pytest

from authentication.tests.factories import UserFactory
from movie_module.models import Follow

from .factories import MovieFactory, ReviewFactory, WatchFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

AUTH_ME = "/api/auth/me/"


def profile_url(user) -> str:
    return f"/api/users/{user.username}/"


def test_a_profile_is_public_with_its_stats(api_client, user):
    matrix = MovieFactory(genres=["Action", "Sci-Fi"])
    alien = MovieFactory(genres=["Horror", "Sci-Fi"])
    heat = MovieFactory(genres=["Crime"])
    toy = MovieFactory(genres=["Animation"])
    WatchFactory(user=user, movie=matrix, watched_on=datetime.date(2023, 5, 1))
    WatchFactory(user=user, movie=matrix, watched_on=datetime.date(2024, 5, 1))  # a rewatch: one film
    WatchFactory(user=user, movie=alien, watched_on=datetime.date(2024, 6, 1))
    ReviewFactory(user=user, movie=alien, rating=4)
    ReviewFactory(user=user, movie=heat, rating=2.5)
    watched_at = datetime.datetime(2022, 1, 2, tzinfo=datetime.UTC)
    WatchlistItemFactory(user=user, movie=toy, watched=True, watched_at=watched_at)
    WatchlistItemFactory(user=user, movie=MovieFactory(genres=["Drama"]))  # not watched
    response = api_client.get(profile_url(user))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert (body["followers_count"], body["following_count"], body["is_following"]) == (0, 0, False)
    assert body["stats"] == {
        "watched": 4,
        "reviews": 2,
        "average_rating": 3.25,
        "watched_by_year": {"2022": 1, "2023": 1, "2024": 2},
        "top_genres": [
            {"name": "Sci-Fi", "count": 2},
            {"name": "Action", "count": 1},
            {"name": "Animation", "count": 1},
            {"name": "Crime", "count": 1},
            {"name": "Horror", "count": 1},
        ],
    }


def test_a_new_users_profile_has_empty_stats(api_client, user):
    stats = api_client.get(profile_url(user)).json()["stats"]
    assert stats == {
        "watched": 0,
        "reviews": 0,
        "average_rating": None,
        "watched_by_year": {},
        "top_genres": [],
    }


def test_an_unknown_user_is_a_404(api_client, auth_client):
    assert api_client.get("/api/users/nobody-here/").status_code == 404
    assert auth_client.post("/api/users/nobody-here/follow/").status_code == 404
    assert api_client.get("/api/users/nobody-here/followers/").status_code == 404


@pytest.mark.parametrize("films", [1, 30])
def test_a_profile_runs_the_same_queries_for_1_and_30_films(
    auth_client, user, other_user, django_assert_num_queries, films
):
    for year, movie in enumerate(MovieFactory.create_batch(films)):
        WatchFactory(user=other_user, movie=movie, watched_on=datetime.date(1990 + year, 1, 1))
        ReviewFactory(user=other_user, movie=movie)
    auth_client.get(AUTH_ME)
    # The name's user; the user with follow counts, reviews, films watched, by year and
    # their genres; whether the caller follows them.
    with django_assert_num_queries(3):
        response = auth_client.get(profile_url(other_user))
    assert response.json()["stats"]["watched"] == films


def test_following_and_unfollowing(auth_client, user, other_user):
    url = f"{profile_url(other_user)}follow/"
    assert auth_client.post(url).status_code == 201
    assert auth_client.post(url).status_code == 200
    assert Follow.objects.filter(follower=user, followed=other_user).count() == 1
    profile = auth_client.get(profile_url(other_user)).json()
    assert (profile["followers_count"], profile["is_following"]) == (1, True)
    assert auth_client.get(profile_url(user)).json()["following_count"] == 1
    assert auth_client.delete(url).status_code == 204
    assert auth_client.delete(url).status_code == 204
    assert not Follow.objects.exists()
    assert auth_client.get(profile_url(other_user)).json()["is_following"] is False


def test_options_describes_the_follow_endpoint(auth_client, other_user):
    assert auth_client.options(f"{profile_url(other_user)}follow/").status_code == 200


def test_following_oneself_is_a_400(auth_client, user):
    response = auth_client.post(f"{profile_url(user)}follow/")
    assert response.status_code == 400
    assert response.json() == {"username": ["You cannot follow yourself."]}
    assert not Follow.objects.exists()


def test_following_needs_authentication(api_client, other_user):
    assert api_client.post(f"{profile_url(other_user)}follow/").status_code == 401
    assert not Follow.objects.exists()


def test_followers_and_following_are_listed_latest_first(api_client, user):
    fans = UserFactory.create_batch(3)
    for fan in fans:
        Follow.objects.create(follower=fan, followed=user)
    followers = api_client.get(f"{profile_url(user)}followers/").json()
    assert followers["count"] == 3
    assert followers["results"] == [{"id": fan.id, "username": fan.username} for fan in reversed(fans)]
    following = api_client.get(f"{profile_url(fans[0])}following/").json()["results"]
    assert following == [{"id": user.id, "username": user.username}]


@pytest.mark.parametrize("page_size", [1, 100])
@pytest.mark.parametrize("which", ["followers", "following"])
def test_follow_lists_run_the_same_queries_for_1_and_100(
    api_client, user, django_assert_num_queries, page_size, which
):
    others = UserFactory.create_batch(100)
    if which == "followers":
        Follow.objects.bulk_create(Follow(follower=other, followed=user) for other in others)
    else:
        Follow.objects.bulk_create(Follow(follower=user, followed=other) for other in others)
    with django_assert_num_queries(3):  # the user, count, page
        response = api_client.get(f"{profile_url(user)}{which}/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


# A profile is cached until a write it shows: each of them, at once, for every viewer.


def test_a_repeated_profile_read_runs_no_query_whoever_looks(
    api_client, auth_client, other_client, user, other_user, django_assert_num_queries
):
    auth_client.post(f"{profile_url(other_user)}follow/")
    for client in (api_client, auth_client, other_client):
        client.get(profile_url(other_user))
    with django_assert_num_queries(0):
        assert api_client.get(profile_url(other_user)).json()["is_following"] is False
        assert auth_client.get(profile_url(other_user)).json()["is_following"] is True
        assert other_client.get(profile_url(other_user)).json()["is_following"] is False


def test_a_profile_shows_each_new_viewing_and_review_at_once(api_client, auth_client, user):
    assert api_client.get(profile_url(user)).json()["stats"]["watched"] == 0
    movie, other = MovieFactory(genres=["Horror"]), MovieFactory(genres=["Crime"])
    auth_client.post("/api/diary/", {"imdb_id": movie.imdb_id, "watched_on": "2024-02-03"}, format="json")
    stats = api_client.get(profile_url(user)).json()["stats"]
    assert (stats["watched"], stats["watched_by_year"], stats["top_genres"]) == (
        1,
        {"2024": 1},
        [{"name": "Horror", "count": 1}],
    )
    auth_client.post("/api/reviews/", {"imdb_id": other.imdb_id, "rating": 2}, format="json")
    stats = api_client.get(profile_url(user)).json()["stats"]
    assert (stats["watched"], stats["reviews"], stats["average_rating"]) == (2, 1, 2.0)
    item = auth_client.post("/api/watchlist/", {"imdb_id": MovieFactory().imdb_id}, format="json").json()
    assert api_client.get(profile_url(user)).json()["stats"]["watched"] == 2
    auth_client.patch(f"/api/watchlist/{item['id']}/", {"watched": True}, format="json")
    assert api_client.get(profile_url(user)).json()["stats"]["watched"] == 3


def test_follows_show_on_both_profiles_at_once(api_client, auth_client, user, other_user):
    def counts(person):
        shown = api_client.get(profile_url(person)).json()
        return [shown["followers_count"], shown["following_count"]]

    assert counts(user) == counts(other_user) == [0, 0]
    auth_client.post(f"{profile_url(other_user)}follow/")
    assert (counts(user), counts(other_user)) == ([0, 1], [1, 0])
    assert auth_client.get(profile_url(other_user)).json()["is_following"] is True
    auth_client.delete(f"{profile_url(other_user)}follow/")
    assert (counts(user), counts(other_user)) == ([0, 0], [0, 0])
    assert auth_client.get(profile_url(other_user)).json()["is_following"] is False


def test_a_renamed_user_answers_to_the_new_name_only_and_a_deleted_one_to_none(api_client, other_user):
    old_url = profile_url(other_user)
    assert api_client.get(old_url).status_code == 200
    other_user.username = "renamed"
    other_user.save()
    assert api_client.get(old_url).status_code == 404
    assert api_client.get("/api/users/RENAMED/").json()["username"] == "renamed"
    old_name = old_url.split("/")[-2]
    newcomer = UserFactory(username=old_name, email="newcomer@example.com")  # the old name, someone else's
    assert api_client.get(old_url).json()["id"] == newcomer.id
    other_user.delete()
    assert api_client.get("/api/users/renamed/").status_code == 404
