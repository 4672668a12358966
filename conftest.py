import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from authentication.tests.factories import UserFactory
from tests.servers import uvicorn_server


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness only slows the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def recommender_model_directory(settings, tmp_path):
    """Every test fits into its own folder; none sees the developer's fitted model."""
    from movie_module import model_store

    settings.RECOMMENDER_MODEL_DIR = tmp_path / "recommender"
    model_store.worker_copy.forget()
    yield settings.RECOMMENDER_MODEL_DIR
    model_store.worker_copy.forget()


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttles, rate limits and cached IMDb answers never leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def access_token_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


@pytest.fixture
def auth_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.fixture
def other_client(other_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(other_user)}")
    return client


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """A real uvicorn process serving the ASGI application on the test database.

    Tests that use it need `transactional_db`, so what they write is committed and visible.
    """
    with uvicorn_server() as url:
        yield url
