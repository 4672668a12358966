"""Many requests for one uncached answer at once make one upstream call."""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from django.db import connections

from movie_module.catalogue import services as imdb_sync
from movie_module.imdb.errors import ImdbUnavailable
from movie_module.models import Movie
from tests.fake_imdb import CREDITS, OVERVIEW, SEARCH, SERVER_ERROR, slow

THREADS = 8


def all_at_once(function, *args):
    """Run `function(*args)` in THREADS threads released together; their results (or errors)."""
    barrier = threading.Barrier(THREADS)

    def run():
        barrier.wait()
        try:
            return function(*args)
        except Exception as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(run) for _ in range(THREADS)]
        return [future.result(timeout=10) for future in futures]


@pytest.fixture
def slow_enough_to_overlap(settings, fake_imdb):
    # Every answer takes a moment, so all the threads ask while the first call is in flight.
    settings.IMDB_READ_TIMEOUT = 2
    fake_imdb.always("*", slow(0.2))
    return fake_imdb


def test_concurrent_lookups_of_one_title_make_one_search(slow_enough_to_overlap):
    client = imdb_sync.get_client()
    assert all_at_once(client.find_title, "The Matrix (1999)") == ["tt0133093"] * THREADS
    assert slow_enough_to_overlap.calls(SEARCH) == 1


def test_concurrent_searches_make_one_call(slow_enough_to_overlap):
    client = imdb_sync.get_client()
    results = all_at_once(client.search, "toy story")
    assert all(result == results[0] for result in results) and results[0]
    assert slow_enough_to_overlap.calls(SEARCH) == 1


def test_concurrent_failing_lookups_share_one_failure(slow_enough_to_overlap):
    slow_enough_to_overlap.always(SEARCH, replace(SERVER_ERROR, delay=0.1))
    client = imdb_sync.get_client()
    results = all_at_once(client.search, "matrix")
    assert all(isinstance(result, ImdbUnavailable) for result in results)
    assert slow_enough_to_overlap.calls(SEARCH) == 3  # one call and its two retries, for all


@pytest.mark.django_db(transaction=True)
def test_concurrent_page_views_of_a_missing_movie_store_it_once(slow_enough_to_overlap):
    movies = all_at_once(imdb_sync.fetch_movie, "tt0114709")
    assert {movie.pk for movie in movies} == {Movie.objects.get(imdb_id="tt0114709").pk}
    assert slow_enough_to_overlap.calls(OVERVIEW) == 1
    assert slow_enough_to_overlap.calls(CREDITS) == 1
