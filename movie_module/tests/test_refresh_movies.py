"""`manage.py refresh_movies` against the fake IMDb API."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from movie_module.models import Movie
from tests.fake_imdb import OVERVIEW, SERVER_ERROR

from .factories import MovieFactory

pytestmark = pytest.mark.django_db(transaction=True)


def refresh_movies(*args) -> str:
    out = StringIO()
    call_command("refresh_movies", *args, verbosity=0, stdout=out, stderr=StringIO())
    return out.getvalue()


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def test_stale_movies_are_refreshed_and_counted(fake_imdb):
    never = MovieFactory(imdb_id="tt0133093", title="Matrix", refreshed_at=None)
    old = MovieFactory(imdb_id="tt0114709", title="Toy Story", refreshed_at=days_ago(40))
    fresh = MovieFactory(imdb_id="tt0087182", title="Dune", refreshed_at=days_ago(3))
    gone = MovieFactory(imdb_id="tt0000001", title="Lost", refreshed_at=days_ago(90))
    output = refresh_movies()
    assert "Refreshed 2, not found 1, failed 0, skipped 0 of 3 movies older than 30 days." in output
    never.refresh_from_db()
    assert (never.title, never.imdb_rating) == ("The Matrix", Decimal("8.7"))
    old.refresh_from_db()
    assert old.refreshed_at > days_ago(1)
    gone.refresh_from_db()
    assert gone.refreshed_at > days_ago(1)  # not asked again until it is stale once more
    fresh.refresh_from_db()
    assert fresh.refreshed_at < days_ago(2)
    assert {request.query["tconst"] for request in fake_imdb.requests_to(OVERVIEW)} == {
        "tt0133093",
        "tt0114709",
        "tt0000001",
    }


def test_older_than_days_and_limit_choose_the_movies(fake_imdb):
    MovieFactory(imdb_id="tt0133093", refreshed_at=days_ago(3))
    MovieFactory(imdb_id="tt0114709", refreshed_at=None)
    MovieFactory(imdb_id="tt0087182", refreshed_at=days_ago(10))
    output = refresh_movies("--older-than-days", "2", "--limit", "2", "--concurrency", "1")
    assert "Refreshed 2, not found 0, failed 0, skipped 0 of 2 movies older than 2 days." in output
    # Never-refreshed first, then the oldest.
    asked = [request.query["tconst"] for request in fake_imdb.requests_to(OVERVIEW)]
    assert asked == ["tt0114709", "tt0087182"]


def test_requests_are_paced_to_the_rate(fake_imdb):
    for imdb_id in ["tt0133093", "tt0114709", "tt0087182", "tt1160419", "tt0116282"]:
        MovieFactory(imdb_id=imdb_id, refreshed_at=None)
    refresh_movies("--rate", "20", "--concurrency", "4")
    times = sorted(request.at for request in fake_imdb.requests)
    assert len(times) == 10  # overview and credits of each
    # 20 per second with no burst: ten requests span nine intervals of 50 ms, and any five
    # span four (less one, for threads that wake a little late).
    assert times[-1] - times[0] >= 9 / 20 * 0.9
    for first, fifth in zip(times, times[4:], strict=False):
        assert fifth - first >= 3 / 20


def test_failures_are_counted_and_the_run_stops_when_the_circuit_opens(fake_imdb):
    fake_imdb.always(OVERVIEW, SERVER_ERROR)
    for imdb_id in ["tt0133093", "tt0114709", "tt0087182", "tt1160419", "tt0116282", "tt0211915"]:
        MovieFactory(imdb_id=imdb_id, refreshed_at=None)
    with pytest.raises(CommandError, match=r"failed 3, skipped 3 of 6 movies"):
        refresh_movies("--concurrency", "1")
    assert fake_imdb.calls(OVERVIEW) == 9  # three movies, each tried three times; then the breaker
    assert not Movie.objects.filter(refreshed_at__isnull=False).exists()


def test_without_a_key_it_says_so_and_does_nothing(settings, fake_imdb):
    settings.RAPIDAPI_KEY = ""
    MovieFactory(refreshed_at=None)
    assert "RAPIDAPI_KEY is not set" in refresh_movies()
    assert fake_imdb.calls() == 0


@pytest.mark.parametrize("arguments", [["--rate", "0"], ["--concurrency", "0"], ["--limit", "-1"]])
def test_nonsense_arguments_are_refused(fake_imdb, arguments):
    with pytest.raises(CommandError):
        refresh_movies(*arguments)
    assert fake_imdb.calls() == 0
