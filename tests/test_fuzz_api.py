"""Fuzz every REST endpoint against the API's own OpenAPI schema (issue #8).

Schemathesis reads /api/schema/ and, for every operation, generates valid and invalid
requests, sends them anonymously and as a signed-in user, and checks each answer: never a
5xx, and always one the schema documents (status code, content type, body shape).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.throttling import ScopedRateThrottle

from conftest import access_token_for
from movie_module.tests.factories import MovieFactory
from scrapbook.wsgi import application
from tests.fuzzing import CONFIG, build_world, excluded_checks, with_existing_objects

pytestmark = pytest.mark.slow

# In process, through the real WSGI stack, in the test's own thread and transaction.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def same_connection_for_every_request():
    """Keep Django's WSGI handler from closing the test's connection after each request.

    Django's own test client does the same: closing it would end the test transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(monkeypatch):
    """Login and register allow 10 a minute; the fuzzer sends far more in one test."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "100000/minute"})


@pytest.fixture
def world(db, user, other_user):
    return build_world(user, other_user)


@pytest.fixture(params=["anonymous", "signed_in"])
def caller_headers(request, world):
    if request.param == "anonymous":
        return {}
    return {"Authorization": f"Bearer {access_token_for(world['user'])}"}


@schema.parametrize()
# The fixtures are set up once per operation on purpose; each example rolls its writes back.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_answers_as_its_schema_says(
    case, world, caller_headers, unthrottled, same_connection_for_every_request
):
    excluded = excluded_checks(case)
    generated = case.path_parameters
    # Random ids rarely exist: a request with ids in its path is sent again naming objects that
    # do, the caller's and another user's, to reach past the 404s.
    for owner in [None, "mine", "another_users"] if generated else [None]:
        if owner is not None:
            case.path_parameters = with_existing_objects(generated, path=case.path, owner=owner, world=world)
        # Each request starts from the same data: whatever it wrote is rolled back.
        with transaction.atomic():
            case.call_and_validate(headers=caller_headers, excluded_checks=excluded)
            transaction.set_rollback(True)


# Found by the fuzzer, pinned here whatever it generates next time.


@pytest.mark.parametrize(
    ("search", "found"),
    # A search made only of words under three letters lists the titles that start with it.
    [("a 日本", False), ("ab ín", True), ("é éa", False), ("ab abc é", True)],
)
def test_search_mixing_short_words_with_others_finds_the_movie(db, api_client, search, found):
    # On SQLite these crashed the whole process (SIGSEGV in the FTS5 trigram tokenizer).
    MovieFactory(title="Ab ín 日本 éa abc é")
    response = api_client.get("/api/movies/", {"search": search})
    assert response.status_code == 200
    titles = [movie["title"] for movie in response.json()["results"]]
    assert titles == (["Ab ín 日本 éa abc é"] if found else [])
