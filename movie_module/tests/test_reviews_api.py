import pytest
from django.utils import timezone

from authentication.tests.factories import UserFactory
from movie_module.models import Review, WatchlistItem

from .factories import MovieFactory, ReviewFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

REVIEWS = "/api/reviews/"
REVIEW_FIELDS = {
    "id",
    "movie",
    "user",
    "rating",
    "body",
    "contains_spoilers",
    "created_at",
    "updated_at",
    "like_count",
    "liked_by_me",
}


def review_url(review):
    return f"{REVIEWS}{review.id}/"


def test_writing_a_review_returns_it(auth_client, user):
    movie = MovieFactory(title="Heat", year=1995)
    response = auth_client.post(
        REVIEWS, {"imdb_id": movie.imdb_id, "rating": 4.5, "body": "Superb.", "contains_spoilers": True}
    )
    assert response.status_code == 201
    assert set(response.json()) == REVIEW_FIELDS
    assert response.json()["movie"] == {
        "imdb_id": movie.imdb_id,
        "title": "Heat",
        "year": 1995,
        "poster_url": "",
    }
    assert response.json()["user"] == {"id": user.id, "username": user.username}
    assert response.json()["rating"] == 4.5
    assert response.json()["body"] == "Superb."
    assert response.json()["contains_spoilers"] is True


def test_a_review_needs_only_the_movie_and_the_rating(auth_client):
    movie = MovieFactory()
    response = auth_client.post(REVIEWS, {"imdb_id": movie.imdb_id, "rating": "3"})
    assert response.status_code == 201
    assert response.json()["rating"] == 3.0
    assert response.json()["body"] == ""
    assert response.json()["contains_spoilers"] is False


def test_a_review_marks_the_watchlist_item_watched(auth_client, user):
    item = WatchlistItemFactory(user=user)
    auth_client.post(REVIEWS, {"imdb_id": item.movie.imdb_id, "rating": 4})
    item.refresh_from_db()
    assert item.watched and item.watched_at is not None


def test_a_review_does_not_add_the_movie_to_the_watchlist(auth_client):
    movie = MovieFactory()
    auth_client.post(REVIEWS, {"imdb_id": movie.imdb_id, "rating": 4})
    assert not WatchlistItem.objects.exists()


def test_a_second_review_of_the_same_movie_is_rejected(auth_client, user):
    review = ReviewFactory(user=user, rating=2)
    response = auth_client.post(REVIEWS, {"imdb_id": review.movie.imdb_id, "rating": 5})
    assert response.status_code == 400
    assert response.json() == {"imdb_id": ["You have already reviewed this movie."]}
    review.refresh_from_db()
    assert review.rating == 2
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    "rating, message",
    [
        (0, "A rating is 0.5 to 5.0 stars in steps of 0.5."),
        (5.5, "A rating is 0.5 to 5.0 stars in steps of 0.5."),
        (3.3, "A rating is 0.5 to 5.0 stars in steps of 0.5."),
        (-1, "A rating is 0.5 to 5.0 stars in steps of 0.5."),
        ("text", "A rating is a number of stars."),
        (True, "A rating is a number of stars."),
        (None, "This field may not be null."),
        ("NaN", "A rating is a number of stars."),
        ("1e309", "A rating is a number of stars."),
    ],
)
def test_a_bad_rating_is_rejected_and_nothing_is_written(auth_client, user, rating, message):
    item = WatchlistItemFactory(user=user)
    response = auth_client.post(REVIEWS, {"imdb_id": item.movie.imdb_id, "rating": rating})
    assert response.status_code == 400
    assert response.json()["rating"] == [message]
    assert not Review.objects.exists()
    item.refresh_from_db()
    assert not item.watched


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rating": 4}, "imdb_id"),
        ({"imdb_id": "EXISTING"}, "rating"),
        ({"imdb_id": "tt0000001", "rating": 4}, "imdb_id"),
        ({"imdb_id": "garbage", "rating": 4}, "imdb_id"),
        ({"imdb_id": "EXISTING", "rating": 4, "body": ["not", "text"]}, "body"),
        ({"imdb_id": "EXISTING", "rating": 4, "body": "x" * 10001}, "body"),
        ({"imdb_id": "EXISTING", "rating": 4, "contains_spoilers": "often"}, "contains_spoilers"),
    ],
)
def test_bad_review_input_names_the_field(auth_client, body, field):
    movie = MovieFactory()
    body = {key: movie.imdb_id if value == "EXISTING" else value for key, value in body.items()}
    response = auth_client.post(REVIEWS, body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Review.objects.exists()


def test_writing_a_review_needs_authentication(api_client):
    movie = MovieFactory()
    response = api_client.post(REVIEWS, {"imdb_id": movie.imdb_id, "rating": 4})
    assert response.status_code == 401
    assert not Review.objects.exists()


def test_anyone_can_read_reviews(api_client):
    review = ReviewFactory()
    assert api_client.get(REVIEWS).json()["count"] == 1
    response = api_client.get(review_url(review))
    assert response.status_code == 200
    assert response.json()["id"] == review.id


def test_reviews_filter_by_movie_and_by_username_in_any_case(api_client, user):
    mine = ReviewFactory(user=user)
    ReviewFactory(movie=mine.movie)
    ReviewFactory()
    by_movie = api_client.get(REVIEWS, {"movie": mine.movie.imdb_id}).json()
    assert by_movie["count"] == 2
    by_user = api_client.get(REVIEWS, {"user": user.username.upper()}).json()
    assert [review["id"] for review in by_user["results"]] == [mine.id]


@pytest.mark.parametrize("typed", ["ÉMILE", "emile", "ｅｍｉｌｅ", "Émile"])
def test_reviews_filter_by_any_spelling_of_a_username(api_client, typed):
    emile = UserFactory(username="émile")
    theirs = ReviewFactory(user=emile)
    ReviewFactory(user=UserFactory(username="emily"))
    response = api_client.get(REVIEWS, {"user": typed})
    assert response.status_code == 200
    assert [review["id"] for review in response.json()["results"]] == [theirs.id]
    assert response.json()["results"][0]["user"] == {"id": emile.id, "username": "émile"}


def test_reviews_filter_by_an_unknown_username_is_empty(api_client):
    ReviewFactory()
    response = api_client.get(REVIEWS, {"user": "nobody"})
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "ordering, expected", [("-created_at", [3, 2, 1]), ("rating", [1, 3, 2]), ("-rating", [2, 3, 1])]
)
def test_reviews_order_as_asked(api_client, ordering, expected):
    reviews = {
        1: ReviewFactory(rating=1.5),
        2: ReviewFactory(rating=5),
        3: ReviewFactory(rating=3),
    }
    ids = [review["id"] for review in api_client.get(REVIEWS, {"ordering": ordering}).json()["results"]]
    assert ids == [reviews[number].id for number in expected]


@pytest.mark.parametrize("params", [{"movie": "not-an-id"}, {"ordering": "title"}])
def test_a_bad_review_filter_is_a_400(api_client, params):
    response = api_client.get(REVIEWS, params)
    assert response.status_code == 400
    assert list(params)[0] in response.json()


def test_the_author_can_edit_a_review(auth_client, user):
    review = ReviewFactory(user=user, rating=2, body="meh")
    response = auth_client.patch(review_url(review), {"rating": 4.5, "contains_spoilers": True})
    assert response.status_code == 200
    assert response.json()["rating"] == 4.5
    assert response.json()["body"] == "meh"
    assert response.json()["contains_spoilers"] is True
    review.refresh_from_db()
    assert float(review.rating) == 4.5


def test_an_edit_with_a_bad_rating_changes_nothing(auth_client, user):
    review = ReviewFactory(user=user, rating=2, body="meh")
    response = auth_client.patch(review_url(review), {"rating": 3.3, "body": "new"})
    assert response.status_code == 400
    assert response.json()["rating"]
    review.refresh_from_db()
    assert float(review.rating) == 2 and review.body == "meh"


def test_another_users_review_cannot_be_edited_or_deleted(auth_client):
    review = ReviewFactory(rating=2, body="theirs")
    edit = auth_client.patch(review_url(review), {"rating": 5})
    assert edit.status_code == 403
    assert edit.json()["detail"] == "Only the author of a review can change it."
    assert auth_client.delete(review_url(review)).status_code == 403
    review.refresh_from_db()
    assert float(review.rating) == 2 and review.body == "theirs"


def test_the_author_can_delete_a_review_and_the_watchlist_stays(auth_client, user):
    item = WatchlistItemFactory(user=user, watched=True, watched_at=timezone.now())
    review = ReviewFactory(user=user, movie=item.movie)
    assert auth_client.delete(review_url(review)).status_code == 204
    assert not Review.objects.exists()
    item.refresh_from_db()
    assert item.watched


def test_an_unknown_review_is_a_404(api_client):
    response = api_client.get(f"{REVIEWS}999999/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_put_on_a_review_is_not_allowed(auth_client, user):
    review = ReviewFactory(user=user)
    assert auth_client.put(review_url(review), {"rating": 4}).status_code == 405


def test_the_review_list_runs_the_same_queries_for_1_and_100(api_client, django_assert_num_queries):
    ReviewFactory.create_batch(100)
    for page_size in (1, 100):
        with django_assert_num_queries(3):  # count, the page's ids, their rows with like counts
            response = api_client.get(REVIEWS, {"page_size": page_size, "ordering": "-rating"})
        assert len(response.json()["results"]) == page_size
