"""Fuzz every REST endpoint over HTTP against real servers, as `make run` serves it (DEBUG on)
and with production settings (DJANGO_DEBUG=0) (issue #12).

In process (tests/test_fuzz_api.py) Django's test setup forces DEBUG off, so the HTML debug
pages a frontend developer meets under `make run` never showed there. Here every answer
crosses uvicorn, the ASGI router and the request-body gate, and must be one the schema
documents: JSON, never a 5xx.
"""

import pytest
import requests
import schemathesis
from django.conf import settings as django_settings
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken

from authentication.tests.factories import UserFactory
from tests.fuzzing import build_world, excluded_checks, with_existing_objects
from tests.servers import uvicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

# Fewer random examples than in process: each is a real HTTP request, and two modes run.
CONFIG = schemathesis.Config.from_dict(
    {"seed": 12, "generation": {"deterministic": True, "max-examples": 8, "database": "none"}}
)
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)

PRODUCTION_SIGNING_KEY = "fuzz-production-signing-key-" + "k" * 40
MODES = {
    "development": {"DJANGO_DEBUG": "1"},
    "production": {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "fuzz-production-secret-key-" + "s" * 40,
        "JWT_SIGNING_KEY": PRODUCTION_SIGNING_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    },
}


@pytest.fixture(scope="module", params=list(MODES))
def running_server(request, django_db_setup, django_db_blocker):
    with uvicorn_server(extra_env={**MODES[request.param], "LOGIN_FAILURE_LIMIT": "100000"}) as url:
        yield request.param, url


@pytest.fixture
def world(running_server):
    return build_world(UserFactory(), UserFactory())


@pytest.fixture(params=["anonymous", "signed_in"])
def caller_headers(request, running_server, world):
    if request.param == "anonymous":
        return {}
    mode, _ = running_server
    signing = {"SIGNING_KEY": PRODUCTION_SIGNING_KEY} if mode == "production" else {}
    with override_settings(SIMPLE_JWT={**django_settings.SIMPLE_JWT, **signing}):
        token = str(RefreshToken.for_user(world["user"]).access_token)
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_real_server_answers_as_its_schema_says(case, running_server, world, caller_headers):
    _, url = running_server
    generated = case.path_parameters
    with requests.Session() as session:
        for owner in [None, "mine", "another_users"] if generated else [None]:
            if owner is not None:
                case.path_parameters = with_existing_objects(
                    generated, path=case.path, owner=owner, world=world
                )
            case.call_and_validate(
                base_url=url, session=session, headers=caller_headers, excluded_checks=excluded_checks(case)
            )
