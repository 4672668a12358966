"""Two requests racing to write the same record end in one record and no 500."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from conftest import access_token_for
from movie_module.models import Review, WatchlistItem

from .factories import MovieFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(path, body, token, contenders=2):
    """POST the same body from several threads at once; return their status codes."""
    start = threading.Barrier(contenders)
    statuses = []

    def contend():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            start.wait()
            statuses.append(client.post(path, body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_adds_of_one_movie_make_one_item(user, attempt):
    movie = MovieFactory()
    statuses = race("/api/watchlist/", {"imdb_id": movie.imdb_id}, access_token_for(user))
    assert statuses == [200, 201]
    assert WatchlistItem.objects.filter(user=user, movie=movie).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_reviews_of_one_movie_make_one_review(user, attempt):
    movie = MovieFactory()
    statuses = race("/api/reviews/", {"imdb_id": movie.imdb_id, "rating": 4}, access_token_for(user))
    assert statuses == [201, 400]
    assert Review.objects.filter(user=user, movie=movie).count() == 1
