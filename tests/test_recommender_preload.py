"""A server worker loads the fitted recommender at its start, on a thread of its own
(RECOMMENDER_PRELOAD), so that its first caller of recommendations does not wait for it."""

import subprocess
import time

import pytest
import requests

from conftest import access_token_for
from movie_module.recommendations import store as model_store
from movie_module.tests.factories import ReviewFactory
from movie_module.tests.test_recommendations_api import taste_groups  # noqa: F401 (a fixture)
from tests.servers import free_port, uvicorn_process

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LOADED = "Loaded the recommender fitted at"


def test_a_worker_loads_the_fitted_recommender_before_anyone_asks(
    taste_groups,  # noqa: F811
    recommender_model_directory,
    tmp_path,
    user,
):
    model_store.fit_and_save()
    ReviewFactory(user=user, movie=taste_groups["matrix"], rating=5)
    log_path = tmp_path / "server.log"
    preloading = {
        "RECOMMENDER_PRELOAD": "1",
        "RECOMMENDER_MODEL_DIR": str(recommender_model_directory),
        "LOG_LEVEL": "INFO",
    }
    port = free_port()
    with (
        open(log_path, "w") as log,
        uvicorn_process(port=port, extra_env=preloading, stdout=log, stderr=subprocess.STDOUT),
    ):
        deadline = time.monotonic() + 30
        while LOADED not in log_path.read_text():  # nobody asked for recommendations yet
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        bearer = {"Authorization": f"Bearer {access_token_for(user)}"}
        answer = requests.get(f"http://127.0.0.1:{port}/api/recommendations/", headers=bearer, timeout=10)
        assert answer.status_code == 200 and answer.json()["source"] == "similarity"
        assert answer.json()["results"][0]["title"] == "The Matrix Reloaded"
    assert log_path.read_text().count(LOADED) == 1  # loaded once, not again for the caller
