"""What the catalogue gains from the IMDb API, and keeps when the API is off or failing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from movie_module.catalogue import services as imdb_sync
from movie_module.catalogue import tasks as catalogue_tasks
from movie_module.catalogue.selectors import movie_with_title
from movie_module.models import Movie
from scrapbook import background
from tests.fake_imdb import OVERVIEW, SEARCH, SERVER_ERROR, slow

from .factories import MovieFactory

pytestmark = pytest.mark.django_db


def long_ago():
    return timezone.now() - timedelta(days=365)


# Search


def test_search_results_are_stored_as_new_movies(fake_imdb):
    imdb_sync.store_search_results("the matrix")
    movies = Movie.objects.order_by("imdb_id")
    assert [(movie.imdb_id, movie.title, movie.year) for movie in movies] == [
        ("tt0133093", "The Matrix", 1999),
        ("tt0234215", "The Matrix Reloaded", 2003),
        ("tt0242653", "The Matrix Revolutions", 2003),
    ]
    assert {movie.source for movie in movies} == {Movie.Source.IMDB}
    assert movies[0].poster_url == "https://m.media-amazon.com/images/M/tt0133093.jpg"
    assert movies[0].refreshed_at is None  # the details are still to be fetched


def test_search_results_leave_stored_movies_as_they_are(fake_imdb):
    local = MovieFactory(imdb_id="tt0133093", title="The Matrix (curated)", plot="Our own words.")
    imdb_sync.store_search_results("matrix")
    local.refresh_from_db()
    assert (local.title, local.plot, local.source) == ("The Matrix (curated)", "Our own words.", "demo")
    assert Movie.objects.count() == 3


def test_search_without_a_key_stores_nothing_and_calls_nothing(settings, fake_imdb):
    settings.RAPIDAPI_KEY = ""
    imdb_sync.store_search_results("matrix")
    assert not Movie.objects.exists()
    assert fake_imdb.calls() == 0


def test_search_with_the_api_failing_stores_nothing_and_does_not_raise(fake_imdb):
    fake_imdb.always(SEARCH, SERVER_ERROR)
    imdb_sync.store_search_results("matrix")
    assert not Movie.objects.exists()


def test_search_with_the_api_unreachable_does_not_raise(imdb_refusing_connections):
    imdb_sync.store_search_results("matrix")
    assert not Movie.objects.exists()


# A movie missing locally


def test_a_missing_movie_is_fetched_and_stored_with_its_details(fake_imdb):
    movie = imdb_sync.fetch_movie("tt0133093")
    assert movie.pk
    movie.refresh_from_db()
    assert (movie.title, movie.year, movie.runtime_minutes, movie.source) == ("The Matrix", 1999, 136, "imdb")
    assert movie.directors == ["Lana Wachowski", "Lilly Wachowski"]
    assert movie.cast[0] == "Keanu Reeves"
    assert movie.genre_names == ["Action", "Sci-Fi"]
    assert (movie.imdb_rating, movie.imdb_votes) == (Decimal("8.7"), 2100000)
    assert movie.plot == "A hacker learns what the Matrix really is."
    assert movie.refreshed_at is not None


def test_a_stored_movie_is_served_without_calling_the_api(fake_imdb):
    stored = MovieFactory(imdb_id="tt0133093")
    assert imdb_sync.fetch_movie("tt0133093") == stored
    assert fake_imdb.calls() == 0


def test_a_movie_the_api_does_not_know_is_none(fake_imdb):
    assert imdb_sync.fetch_movie("tt9999999") is None
    assert not Movie.objects.exists()


def test_a_missing_movie_is_none_when_the_api_is_off_or_failing(settings, fake_imdb):
    fake_imdb.always(OVERVIEW, SERVER_ERROR)
    assert imdb_sync.fetch_movie("tt0133093") is None
    settings.RAPIDAPI_KEY = ""
    assert imdb_sync.fetch_movie("tt0133093") is None
    assert not Movie.objects.exists()


# Stale details


def refreshed_in_background(movie: Movie) -> Movie:
    """The movie as stored once the background tasks queued so far are done."""
    assert background.wait_for_tasks(timeout=5)
    movie.refresh_from_db()
    return movie


@pytest.mark.django_db(transaction=True)
def test_a_stale_movie_is_refreshed_in_the_background(fake_imdb):
    movie = MovieFactory(
        imdb_id="tt0242653", title="Matrix 3", plot="Kept: the API has no plot.", refreshed_at=long_ago()
    )
    assert imdb_sync.refresh_if_stale(movie) is True
    movie = refreshed_in_background(movie)
    assert movie.title == "The Matrix Revolutions"
    assert movie.imdb_rating == Decimal("6.7")
    assert movie.plot == "Kept: the API has no plot."
    assert movie.refreshed_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_a_movie_never_refreshed_is_stale(fake_imdb):
    movie = MovieFactory(imdb_id="tt0114709", refreshed_at=None)
    assert imdb_sync.refresh_if_stale(movie) is True
    assert refreshed_in_background(movie).imdb_rating == Decimal("8.3")


def test_a_fresh_movie_is_not_refreshed(fake_imdb):
    movie = MovieFactory(imdb_id="tt0114709", refreshed_at=timezone.now() - timedelta(days=29))
    assert imdb_sync.refresh_if_stale(movie) is False
    assert fake_imdb.calls() == 0


def test_nothing_is_refreshed_without_a_key(settings):
    settings.RAPIDAPI_KEY = ""
    assert imdb_sync.refresh_if_stale(MovieFactory(refreshed_at=None)) is False


@pytest.mark.django_db(transaction=True)
def test_one_movie_is_queued_once_while_its_refresh_waits(settings, fake_imdb):
    settings.IMDB_READ_TIMEOUT = 2
    fake_imdb.always(OVERVIEW, slow(0.3))
    movie = MovieFactory(imdb_id="tt0114709", refreshed_at=None)
    assert imdb_sync.refresh_if_stale(movie) is True
    assert imdb_sync.refresh_if_stale(movie) is False
    refreshed_in_background(movie)
    assert fake_imdb.calls(OVERVIEW) == 1


def test_a_refresh_another_process_queued_is_not_queued_again(fake_imdb):
    movie = MovieFactory(imdb_id="tt0114709", refreshed_at=None)
    cache.add(imdb_sync.refresh_queued_key("tt0114709"), 1, timeout=60)  # as another worker would
    assert imdb_sync.refresh_if_stale(movie) is False


@pytest.mark.django_db(transaction=True)
def test_a_refresh_run_twice_refreshes_once(fake_imdb):
    movie = MovieFactory(imdb_id="tt0114709", title="Toy Story?", refreshed_at=None)
    assert catalogue_tasks.refresh_movie("tt0114709") == "refreshed"
    assert catalogue_tasks.refresh_movie("tt0114709") is None  # fresh now: nothing to do
    assert fake_imdb.calls(OVERVIEW) == 1
    movie.refresh_from_db()
    assert movie.title == "Toy Story"


@pytest.mark.django_db(transaction=True)
def test_a_failed_refresh_leaves_the_movie_as_it_was_and_is_queued_again_later(fake_imdb):
    fake_imdb.always(OVERVIEW, SERVER_ERROR)
    refreshed_at = long_ago()
    movie = MovieFactory(imdb_id="tt0114709", title="Toy Story", plot="Ours.", refreshed_at=refreshed_at)
    assert imdb_sync.refresh_if_stale(movie) is True
    movie = refreshed_in_background(movie)
    assert (movie.plot, movie.refreshed_at) == ("Ours.", refreshed_at)
    # Not at once: a worker retries it meanwhile. Then the page may queue it again.
    assert imdb_sync.refresh_if_stale(movie) is False
    cache.delete(imdb_sync.refresh_queued_key("tt0114709"))  # REFRESH_QUEUED_SECONDS later
    fake_imdb.heal()
    assert imdb_sync.refresh_if_stale(movie) is True
    assert refreshed_in_background(movie).plot == "A cowboy doll feels threatened."


@pytest.mark.django_db(transaction=True)
def test_the_refresh_task_retries_while_the_api_fails(fake_imdb):
    movie = MovieFactory(imdb_id="tt0114709", plot="Ours.", refreshed_at=None)
    fake_imdb.program(OVERVIEW, *[SERVER_ERROR] * 3)  # the client's first call and its two retries
    result = catalogue_tasks.refresh_movie.apply(args=["tt0114709"])  # as a worker runs it, retries at once
    assert result.get() == "refreshed"
    assert fake_imdb.calls(OVERVIEW) == 4
    movie.refresh_from_db()
    assert movie.plot == "A cowboy doll feels threatened."


@pytest.mark.django_db(transaction=True)
def test_the_periodic_refresh_queues_the_stalest_movies(settings, fake_imdb):
    settings.IMDB_REFRESH_AFTER_DAYS = 30
    settings.IMDB_REFRESH_BATCH_SIZE = 2
    now = timezone.now()
    MovieFactory(imdb_id="tt0133093", refreshed_at=now - timedelta(days=1))
    MovieFactory(imdb_id="tt0234215", refreshed_at=now - timedelta(days=40))
    MovieFactory(imdb_id="tt0242653", refreshed_at=now - timedelta(days=400))
    MovieFactory(imdb_id="tt0114709", refreshed_at=None)

    def refreshed_since(moment):
        assert background.wait_for_tasks(timeout=5)
        return set(Movie.objects.filter(refreshed_at__gt=moment).values_list("imdb_id", flat=True))

    assert catalogue_tasks.refresh_stale_movies() == 2
    assert refreshed_since(now) == {"tt0114709", "tt0242653"}  # never fetched, then the oldest
    assert catalogue_tasks.refresh_stale_movies() == 1
    assert refreshed_since(now) == {"tt0114709", "tt0242653", "tt0234215"}
    assert catalogue_tasks.refresh_stale_movies() == 0
    Movie.objects.filter(imdb_id="tt0133093").update(refreshed_at=None)
    settings.RAPIDAPI_KEY = ""
    assert catalogue_tasks.refresh_stale_movies() == 0


# Recommender titles


def test_a_title_is_resolved_from_the_local_catalogue_first(fake_imdb):
    matrix = MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999)
    assert movie_with_title("Matrix, The (1999)") == matrix
    assert movie_with_title("the matrix") == matrix
    assert movie_with_title("The Matrix", year=2000) == matrix  # a year off still matches
    assert fake_imdb.calls() == 0


def test_a_title_missing_locally_is_found_through_the_api_and_stored(fake_imdb):
    MovieFactory(imdb_id="tt9000001", title="Dune", year=1984)
    assert movie_with_title("Dune (2021)") is None  # the catalogue's Dune is 1984's
    movie = imdb_sync.fetch_title("Dune (2021)")
    assert (movie.imdb_id, movie.title, movie.year, movie.source) == ("tt1160419", "Dune", 2021, "imdb")
    assert movie.directors == ["Denis Villeneuve"]


def test_a_title_nobody_knows_is_none(fake_imdb):
    assert imdb_sync.fetch_title("No Such Film (1999)") is None
    assert not Movie.objects.exists()


def test_without_the_api_only_local_titles_resolve(settings, imdb_refusing_connections):
    toy_story = MovieFactory(title="Toy Story", year=1995)
    assert movie_with_title("Toy Story (1995)") == toy_story
    assert imdb_sync.fetch_title("The Matrix (1999)") is None
    settings.RAPIDAPI_KEY = ""
    assert imdb_sync.fetch_title("The Matrix (1999)") is None
