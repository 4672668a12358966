import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_suite_runs_on_the_engines_the_environment_names():
    """CI's second run must really use PostgreSQL and Redis; a fallback would hide bugs."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql"
    if os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["BACKEND"] == "scrapbook.cache.ResilientRedisCache"
        assert redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2).ping()
    if os.environ.get("CI_REQUIRE_SERVICES"):
        assert connection.vendor == "postgresql"
        assert settings.REDIS_URL


def test_health_reports_every_part(api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "chat_manager": "redis" if settings.REDIS_URL else "memory",
    }


def test_health_names_an_unreachable_redis(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = api_client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"
    assert response.json()["chat_manager"] == "redis"
    assert "redis" in response.json()["detail"]
    assert response.json()["database"] == "ok"


def test_schema_is_openapi_3_and_lists_the_auth_endpoints(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ["/api/auth/register/", "/api/auth/login/", "/api/auth/me/", "/api/health/"]:
        assert path in schema["paths"]


def test_docs_are_served_without_any_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert "//unpkg" not in page and "jsdelivr" not in page


def test_admin_login_page_answers(client):
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/movies/tt0133093/nothing/"])
def test_unknown_api_paths_answer_json_in_production(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_pages_outside_the_api_stay_html(client, settings):
    settings.DEBUG = False
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
def test_migrate_against_a_database_that_does_not_exist_says_so_at_once():
    parts = urlsplit(os.environ["DATABASE_URL"])
    missing = urlunsplit(parts._replace(path="/no_such_scrapbook_database"))
    started = time.monotonic()
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": missing},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrated.returncode != 0
    assert time.monotonic() - started < 8  # not the pool's 10 s timeout
    assert "(scrapbook.E001) Cannot connect to the database 'default'" in migrated.stderr
    assert 'database "no_such_scrapbook_database" does not exist' in migrated.stderr
