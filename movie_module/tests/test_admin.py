import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from authentication.tests.factories import UserFactory
from movie_module.models import Activity, Follow, MovieList, MovieListItem

from .factories import (
    CorpusRatingFactory,
    MovieFactory,
    ReviewFactory,
    ReviewLikeFactory,
    WatchFactory,
    WatchlistItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["movie", "watchlistitem", "review", "corpusrating"])
def test_staff_can_list_and_search_every_movie_table(staff_client, model):
    review = ReviewFactory(movie=MovieFactory(title="Casablanca"))
    WatchlistItemFactory(movie=review.movie)
    CorpusRatingFactory(movie=review.movie)
    url = f"/admin/movie_module/{model}/"
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "casablanca"}).status_code == 200


def test_admin_list_queries_do_not_grow_with_the_page(staff_client, django_assert_max_num_queries):
    ReviewFactory.create_batch(60)
    with django_assert_max_num_queries(12):
        assert staff_client.get("/admin/movie_module/review/").status_code == 200


def test_a_non_staff_user_is_sent_to_the_login_page(client):
    client.force_login(UserFactory())
    response = client.get("/admin/movie_module/movie/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


SOCIAL_TABLES = ["watch", "movielist", "movielistitem", "follow", "reviewlike", "activity"]


@pytest.fixture
def social_rows(db):
    def make(count: int):
        for _ in range(count):
            review = ReviewFactory(movie=MovieFactory(title="Casablanca"))
            ReviewLikeFactory(review=review)
            watch = WatchFactory(movie=review.movie)
            movie_list = MovieList.objects.create(owner=review.user, name="Casablanca and more")
            MovieListItem.objects.create(movie_list=movie_list, movie=review.movie, position=0)
            follow = Follow.objects.create(follower=review.user, followed=watch.user)
            Activity.objects.create(user=review.user, kind="follow", follow=follow)

    return make


@pytest.mark.parametrize("model", SOCIAL_TABLES)
def test_staff_can_list_search_and_open_every_social_table(staff_client, social_rows, model):
    social_rows(1)
    url = f"/admin/movie_module/{model}/"
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "casablanca"}).status_code == 200
    row = apps.get_model("movie_module", model).objects.first()
    assert staff_client.get(f"{url}{row.pk}/change/").status_code == 200


@pytest.mark.parametrize("model", SOCIAL_TABLES)
def test_social_admin_lists_run_the_same_queries_for_2_and_20_rows(
    staff_client, social_rows, model, django_assert_num_queries
):
    social_rows(2)
    url = f"/admin/movie_module/{model}/"
    staff_client.get(url)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    social_rows(18)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(url).status_code == 200
    assert len(many) == len(few)
