import pytest

from authentication.tests.factories import UserFactory

from .factories import CorpusRatingFactory, MovieFactory, ReviewFactory, WatchlistItemFactory

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
