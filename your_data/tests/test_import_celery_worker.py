"""An import queued from the web side runs on a real Celery worker over Redis (CI's Redis pass).

Skipped without REDIS_URL; where CI requires the services (CI_REQUIRE_SERVICES=1), failed.
"""

import pytest

from movie_module.models import Review
from scrapbook import background
from your_data.imports import tasks as import_tasks
from your_data.models import Import

from . import files
from .conftest import upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_import_runs_on_the_worker_and_running_it_twice_imports_once(
    auth_client, user, catalogue, start_worker
):
    worker = start_worker()

    response = upload(auth_client, files.letterboxd_export(), format_name="letterboxd", name="letterboxd.zip")

    assert response.status_code == 202
    [status] = worker.wait_for_results(import_tasks.run_import.name, count=1, deadline_seconds=60)
    assert status == "'done'"
    result = auth_client.get(f"/api/imports/{response.json()['id']}/").json()
    assert result["counts"]["reviews"] == 3
    assert Review.objects.filter(user=user).count() == 3
    background.enqueue(import_tasks.run_import, response.json()["id"])  # delivered twice: a no-op
    assert worker.wait_for_results(import_tasks.run_import.name, count=2)[1] == "None"
    assert Import.objects.get().status == "done"
