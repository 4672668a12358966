import pytest

from movie_module.models import ReviewLike

from .factories import MovieFactory, ReviewFactory

pytestmark = pytest.mark.django_db

AUTH_ME = "/api/auth/me/"


def like_url(review) -> str:
    return f"/api/reviews/{review.id}/like/"


def test_liking_a_review_counts_everywhere_it_is_shown(auth_client, api_client, user, other_user):
    movie = MovieFactory()
    review = ReviewFactory(user=other_user, movie=movie)
    response = auth_client.post(like_url(review))
    assert response.status_code == 201
    assert response.json() == {"like_count": 1, "liked_by_me": True}
    assert auth_client.post(like_url(review)).status_code == 200
    assert ReviewLike.objects.count() == 1
    mine = {"like_count": 1, "liked_by_me": True}
    anonymous = {"like_count": 1, "liked_by_me": False}
    for client, expected in ((auth_client, mine), (api_client, anonymous)):
        shown = [
            client.get("/api/reviews/").json()["results"][0],
            client.get(f"/api/reviews/{review.id}/").json(),
            client.get(f"/api/movies/{movie.imdb_id}/reviews/").json()["results"][0],
        ]
        for answer in shown:
            assert {key: answer[key] for key in expected} == expected


def test_the_callers_own_review_on_the_movie_page_shows_its_likes(auth_client, other_client, user):
    review = ReviewFactory(user=user)
    other_client.post(like_url(review))
    me = auth_client.get(f"/api/movies/{review.movie.imdb_id}/").json()["me"]
    assert (me["review"]["like_count"], me["review"]["liked_by_me"]) == (1, False)


def test_a_like_reaches_the_cached_review_list_and_unliking_too(auth_client, api_client, other_user):
    review = ReviewFactory(user=other_user)
    assert api_client.get("/api/reviews/").json()["results"][0]["like_count"] == 0
    auth_client.post(like_url(review))
    assert api_client.get("/api/reviews/").json()["results"][0]["like_count"] == 1
    assert auth_client.delete(like_url(review)).status_code == 204
    assert auth_client.delete(like_url(review)).status_code == 204
    assert api_client.get("/api/reviews/").json()["results"][0]["like_count"] == 0
    assert auth_client.get("/api/reviews/").json()["results"][0]["liked_by_me"] is False


def test_liking_needs_authentication_and_an_existing_review(api_client, auth_client):
    review = ReviewFactory()
    assert api_client.post(like_url(review)).status_code == 401
    assert auth_client.post("/api/reviews/999999/like/").status_code == 404
    assert not ReviewLike.objects.exists()


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_review_list_of_a_signed_in_caller_runs_the_same_queries_for_1_and_100(
    auth_client, user, django_assert_num_queries, page_size
):
    for review in ReviewFactory.create_batch(100):
        ReviewLike.objects.create(user=user, review=review)
    auth_client.get(AUTH_ME)
    # the page with its like counts and the list's length, the caller's likes
    with django_assert_num_queries(2):
        response = auth_client.get("/api/reviews/", {"page_size": page_size})
    assert all(review["liked_by_me"] and review["like_count"] == 1 for review in response.json()["results"])
    with django_assert_num_queries(1):  # the page is cached; the caller's likes are read
        auth_client.get("/api/reviews/", {"page_size": page_size})
