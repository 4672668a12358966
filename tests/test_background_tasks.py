"""Background work without a broker, the embedded default: tasks run on threads of the server
process, after the request's transaction commits, and the server runs the periodic tasks.
(tests/test_celery_worker.py runs the same tasks on a real Celery worker over Redis.)"""

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from movie_module.imdb.client import ImdbClient
from movie_module.recommendations import store as model_store
from movie_module.recommendations import tasks as recommendation_tasks
from movie_module.tests.factories import CorpusRatingFactory, MovieFactory
from scrapbook import background
from tests.fake_imdb import OVERVIEW

REFIT_IF_DUE = "movie_module.recommendations.tasks.refit_recommender_if_due"


@pytest.fixture
def corpus(transactional_db):
    movies = MovieFactory.create_batch(6)
    for person in range(12):
        for movie in movies[person % 2 :: 2]:
            CorpusRatingFactory(external_user_id=str(person), movie=movie, rating=4.5)
    return movies


@pytest.mark.django_db(transaction=True)
def test_a_stale_movie_page_queues_a_refresh_that_runs_off_the_request(api_client, fake_imdb, monkeypatch):
    threads_calling_the_api = []
    title_details = ImdbClient.title_details

    def recorded_title_details(client, *args, **kwargs):
        threads_calling_the_api.append(threading.current_thread().name)
        return title_details(client, *args, **kwargs)

    monkeypatch.setattr(ImdbClient, "title_details", recorded_title_details)
    long_ago = timezone.now() - timedelta(days=400)
    MovieFactory(imdb_id="tt0114709", title="Toy Story", imdb_rating=None, refreshed_at=long_ago)

    response = api_client.get("/api/movies/tt0114709/")  # the request runs on this thread

    assert response.status_code == 200
    assert response.json()["imdb_rating"] is None  # served from what is stored
    assert background.wait_for_tasks(timeout=5)
    assert len(threads_calling_the_api) == 1
    assert threads_calling_the_api[0].startswith("background-")
    assert fake_imdb.calls(OVERVIEW) == 1
    assert api_client.get("/api/movies/tt0114709/").json()["imdb_rating"] == 8.3
    assert background.wait_for_tasks(timeout=5)
    assert fake_imdb.calls(OVERVIEW) == 1  # fresh now: the second view queued nothing


def test_a_refit_queued_without_a_broker_runs_on_a_background_thread_once(corpus):
    background.enqueue(recommendation_tasks.refit_recommender_if_due)
    assert background.wait_for_tasks(timeout=30)
    models = model_store.current_models()
    assert models.similarity.movie_count == 6

    background.enqueue(recommendation_tasks.refit_recommender_if_due)  # not due any more: nothing
    assert background.wait_for_tasks(timeout=30)
    assert model_store.similarity_path().stat().st_mtime == models.fitted_at


def test_a_task_queued_in_a_transaction_runs_once_it_commits_and_never_if_it_rolls_back(corpus):
    with pytest.raises(RuntimeError), transaction.atomic():
        background.enqueue(recommendation_tasks.refit_recommender)
        raise RuntimeError("rolled back")
    assert background.wait_for_tasks(timeout=30)
    assert not model_store.similarity_path().exists()

    with transaction.atomic():
        background.enqueue(recommendation_tasks.refit_recommender)
        assert background.wait_for_tasks(timeout=30)
        assert not model_store.similarity_path().exists()  # not before the commit
    assert background.wait_for_tasks(timeout=30)
    assert model_store.similarity_path().exists()


def run_server_lifespan(until, deadline_seconds: float = 30) -> set[str]:
    """Start the periodic tasks as the ASGI lifespan does, wait for `until()`, stop them;
    return the names of the asyncio tasks that ran meanwhile."""

    async def serve():
        await background.start_periodic_tasks()
        try:
            deadline = time.monotonic() + deadline_seconds
            while not until():
                assert time.monotonic() < deadline, "the periodic tasks did not run in time"
                await asyncio.sleep(0.02)
            return {task.get_name() for task in asyncio.all_tasks()}
        finally:
            await background.stop_periodic_tasks()

    return asyncio.run(serve())


def test_without_a_broker_the_server_runs_the_periodic_tasks(corpus, settings):
    settings.CELERY_BEAT_SCHEDULE = {"refit-recommender-if-due": {"task": REFIT_IF_DUE, "schedule": 0.1}}
    running = run_server_lifespan(until=lambda: model_store.similarity_path().exists())
    assert "refit-recommender-if-due" in running
    assert background.wait_for_tasks(timeout=30)
    assert model_store.current_models().similarity.movie_count == 6


def test_with_a_broker_the_server_leaves_the_periodic_tasks_to_celery_beat(corpus, settings):
    settings.BACKGROUND_TASKS_IN_PROCESS = False
    settings.CELERY_BEAT_SCHEDULE = {"refit-recommender-if-due": {"task": REFIT_IF_DUE, "schedule": 0.01}}
    running = run_server_lifespan(until=lambda: True)
    assert "refit-recommender-if-due" not in running


def test_a_task_the_broker_cannot_take_is_dropped_without_failing_the_caller(settings, monkeypatch, caplog):
    settings.BACKGROUND_TASKS_IN_PROCESS = False
    monkeypatch.setattr(background, "_broker", background._Broker())
    attempts = []

    def unreachable(*args, **kwargs):
        attempts.append(args)
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(recommendation_tasks.refit_recommender, "apply_async", unreachable)
    background.enqueue(recommendation_tasks.refit_recommender)
    background.enqueue(recommendation_tasks.refit_recommender)
    assert len(attempts) == 1  # then not tried again for BROKER_RETRY_AFTER_SECONDS
    assert "Broker unreachable, movie_module.recommendations.tasks.refit_recommender dropped" in caplog.text
