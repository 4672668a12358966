"""Background tasks on real Celery workers over Redis, started as `make worker` starts them,
on the test database: what the web side queues runs there, twice is as good as once, and
a worker killed mid-task loses nothing.

Skipped without REDIS_URL; where CI requires the services (CI_REQUIRE_SERVICES=1), failed.
"""

import os
import signal
import time
from contextlib import ExitStack

import pytest
import redis

from conftest import FAST_IMDB_SETTINGS, TEST_RAPIDAPI_KEY
from movie_module.catalogue import tasks as catalogue_tasks
from movie_module.models import Movie
from movie_module.recommendations import store as model_store
from movie_module.recommendations import tasks as recommendation_tasks
from movie_module.tests.factories import CorpusRatingFactory, MovieFactory
from scrapbook import background
from tests.fake_imdb import OVERVIEW, slow
from tests.servers import CeleryWorker, celery_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REFIT = recommendation_tasks.refit_recommender.name
REFIT_IF_DUE = recommendation_tasks.refit_recommender_if_due.name
REFRESH_MOVIE = catalogue_tasks.refresh_movie.name


def skip_or_fail(reason: str):
    if os.environ.get("CI_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (CI_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def broker(settings, monkeypatch):
    """Tasks queued by this test go to the environment's Redis, as on a deployment with REDIS_URL."""
    if not settings.REDIS_URL:
        skip_or_fail("REDIS_URL is unset: the Celery worker needs Redis")
    try:
        with redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1) as client:
            client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"no Redis at {settings.CELERY_BROKER_URL} ({error})")
    settings.BACKGROUND_TASKS_IN_PROCESS = False
    monkeypatch.setattr(background, "_broker", background._Broker())  # no outage remembered


@pytest.fixture
def start_worker(broker, settings, tmp_path):
    """Start Celery workers that fit into this test's model folder; all stop after the test."""
    with ExitStack() as workers:
        started = []

        def start(*, pool: str = "solo", beat: bool = False, **environment) -> CeleryWorker:
            env = {
                "RECOMMENDER_MODEL_DIR": str(settings.RECOMMENDER_MODEL_DIR),
                "SCRAPBOOK_DATA_DIR": str(tmp_path / "data"),  # beat's schedule file
                **{name: str(value) for name, value in environment.items()},
            }
            log_path = tmp_path / f"worker-{len(started) + 1}.log"
            worker = workers.enter_context(
                celery_worker(log_path=log_path, pool=pool, beat=beat, extra_env=env)
            )
            started.append(worker)
            return worker

        yield start


def imdb_environment(fake_imdb, **overrides) -> dict:
    """A worker's environment that points its IMDb client at the fake API."""
    api = {"RAPIDAPI_KEY": TEST_RAPIDAPI_KEY, "IMDB_API_URL": fake_imdb.url}
    return {**api, **FAST_IMDB_SETTINGS, **overrides}


# Time enough to kill a worker in the middle of its first overview call, which never ends.
# Not much more: the task run again waits this long for the dead call's cross-process lock.
SLOW_FIRST_CALL = {"IMDB_READ_TIMEOUT": 3, "IMDB_CALL_BUDGET_SECONDS": 3}


def wait_until(condition, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


@pytest.fixture
def corpus(transactional_db):
    movies = MovieFactory.create_batch(6)
    for person in range(12):
        for movie in movies[person % 2 :: 2]:
            CorpusRatingFactory(external_user_id=str(person), movie=movie, rating=4.5)
    return movies


def test_a_refit_queued_from_the_web_side_runs_in_the_worker_and_the_web_side_loads_it(
    corpus, settings, start_worker
):
    settings.RECOMMENDER_RELOAD_CHECK_SECONDS = 0
    model_store.fit_and_save()
    loaded = model_store.current_models()
    newcomer = MovieFactory()
    for person in range(6):
        CorpusRatingFactory(external_user_id=f"new{person}", movie=newcomer, rating=5)
    worker = start_worker()

    background.enqueue(recommendation_tasks.refit_recommender)

    [summary] = worker.wait_for_results(REFIT, count=1)
    assert summary.startswith("{'ratings': 42, 'movies': 7")
    reloaded = model_store.current_models()  # no restart: the newer files are noticed
    assert reloaded is not loaded
    assert reloaded.similarity.movie_count == 7


def test_a_refit_if_due_queued_twice_fits_once(corpus, start_worker):
    worker = start_worker()
    background.enqueue(recommendation_tasks.refit_recommender_if_due)
    background.enqueue(recommendation_tasks.refit_recommender_if_due)
    first, second = worker.wait_for_results(REFIT_IF_DUE, count=2)
    assert first.startswith("{'ratings': 36, 'movies': 6")  # never fitted: due
    assert second == "None"  # up to date
    assert model_store.current_models().similarity.movie_count == 6


def test_a_refresh_queued_twice_calls_the_api_once(fake_imdb, start_worker):
    MovieFactory(imdb_id="tt0114709", title="Toy Story?", refreshed_at=None)
    worker = start_worker(**imdb_environment(fake_imdb))
    background.enqueue(catalogue_tasks.refresh_movie, "tt0114709")
    background.enqueue(catalogue_tasks.refresh_movie, "tt0114709")
    assert worker.wait_for_results(REFRESH_MOVIE, count=2) == ["'refreshed'", "None"]
    assert fake_imdb.calls(OVERVIEW) == 1
    assert Movie.objects.get(imdb_id="tt0114709").title == "Toy Story"


def test_a_task_whose_worker_is_killed_is_redelivered_to_the_next_worker(fake_imdb, start_worker):
    MovieFactory(imdb_id="tt0114709", plot="Ours.", refreshed_at=None)
    fake_imdb.program(OVERVIEW, slow(30))
    first = start_worker(**imdb_environment(fake_imdb, **SLOW_FIRST_CALL))
    background.enqueue(catalogue_tasks.refresh_movie, "tt0114709")
    wait_until(lambda: fake_imdb.calls(OVERVIEW) == 1)  # the worker is in the middle of the task

    first.kill()
    assert Movie.objects.get(imdb_id="tt0114709").plot == "Ours."
    # Unacknowledged, the task goes back to the queue after the visibility timeout (2 h in
    # production; a second here), and the next worker runs it.
    second = start_worker(**imdb_environment(fake_imdb), CELERY_VISIBILITY_TIMEOUT_SECONDS=1)

    assert second.wait_for_results(REFRESH_MOVIE, count=1) == ["'refreshed'"]
    assert fake_imdb.calls(OVERVIEW) == 2
    assert Movie.objects.get(imdb_id="tt0114709").plot == "A cowboy doll feels threatened."


def test_a_task_whose_worker_process_dies_is_put_back_at_once(fake_imdb, start_worker):
    MovieFactory(imdb_id="tt0114709", plot="Ours.", refreshed_at=None)
    fake_imdb.program(OVERVIEW, slow(30))
    worker = start_worker(pool="prefork", **imdb_environment(fake_imdb, **SLOW_FIRST_CALL))
    [pool_process] = worker.pool_processes()
    background.enqueue(catalogue_tasks.refresh_movie, "tt0114709")
    wait_until(lambda: fake_imdb.calls(OVERVIEW) == 1)

    os.kill(pool_process, signal.SIGKILL)

    # Rejected when its process was lost, the task is run again by the same worker's new
    # process, long before the visibility timeout (2 h) would have brought it back.
    assert worker.wait_for_results(REFRESH_MOVIE, count=1) == ["'refreshed'"]
    assert worker.process.poll() is None
    assert fake_imdb.calls(OVERVIEW) == 2
    assert Movie.objects.get(imdb_id="tt0114709").plot == "A cowboy doll feels threatened."


def test_make_worker_runs_the_periodic_refit_and_refreshes(corpus, fake_imdb, start_worker):
    MovieFactory(imdb_id="tt0114709", imdb_rating=None, refreshed_at=None)
    worker = start_worker(
        beat=True,
        RECOMMENDER_AUTO_REFIT=1,
        RECOMMENDER_REFIT_CHECK_SECONDS=1,
        IMDB_REFRESH_BATCH_SECONDS=1,
        **imdb_environment(fake_imdb),
    )
    [summary, *_] = worker.wait_for_results(REFIT_IF_DUE, count=1)
    assert summary.startswith("{'ratings': 36, 'movies': 6")
    assert model_store.current_models().similarity.movie_count == 6
    wait_until(lambda: not Movie.objects.filter(refreshed_at=None).exists())
    assert str(Movie.objects.get(imdb_id="tt0114709").imdb_rating) == "8.3"
