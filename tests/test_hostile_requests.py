"""Hostile requests answered in the contract's shapes, in development mode too (issue #12)."""

import datetime
import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from authentication.tests.factories import PASSWORD, UserFactory
from conftest import access_token_for
from movie_module.models import Review, WatchlistItem
from movie_module.tests.factories import MovieFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LOGIN, '{"username": %s, "password": "x"}'),
        ("/api/auth/refresh/", '{"refresh": %s}'),
        ("/api/watchlist/", '{"imdb_id": %s}'),
        ("/api/reviews/", '{"imdb_id": %s, "rating": 4}'),
        ("/api/auth/register/", '{"username": "a", "email": "a@example.com", "password": %s}'),
    ],
)
@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_a_400_with_one_log_line(path, body, depth, caplog, user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    counts = (WatchlistItem.objects.count(), Review.objects.count(), get_user_model().objects.count())
    with caplog.at_level(logging.INFO):
        response = client.post(path, body % nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested more than 32 levels deep."}
    assert (WatchlistItem.objects.count(), Review.objects.count(), get_user_model().objects.count()) == counts
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert caplog.records[0].exc_info is None


def test_json_nested_a_little_still_reaches_the_field_checks(auth_client):
    response = auth_client.post(
        "/api/watchlist/", '{"imdb_id": [[["tt0133093"]]]}', content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["imdb_id"]


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug_mode(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path", ["/api/nothing-here/", "/api/nothing-here", "/api/movies/tt0000000/", "/api/watchlist/999999/"]
)
def test_unknown_api_paths_answer_json_in_every_mode(debug_mode, auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["detail"]


def test_a_django_error_made_json_keeps_its_security_headers_and_a_true_length(debug_mode, client):
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert response["Content-Length"] == str(len(response.content))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_html_is_never_the_answer_even_when_the_browser_asks_for_it(debug_mode, client):
    response = client.get("/api/movies/", HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 406)
    assert response["Content-Type"].startswith("application/json")


def test_a_post_without_its_trailing_slash_is_served_as_with_it(debug_mode, auth_client, user):
    movie = MovieFactory()
    response = auth_client.post("/api/watchlist", {"imdb_id": movie.imdb_id}, format="json")
    assert response.status_code == 201
    assert response.json()["movie"]["imdb_id"] == movie.imdb_id
    assert WatchlistItem.objects.filter(user=user, movie=movie).count() == 1


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_every_method_without_a_trailing_slash_is_served(debug_mode, auth_client, user, method):
    item = WatchlistItemFactory(user=user)
    call = getattr(auth_client, method)
    response = call(
        f"/api/watchlist/{item.pk}", {"watched": True} if method == "patch" else None, format="json"
    )
    assert response.status_code == {"get": 200, "patch": 200, "delete": 204}[method]


def test_an_unknown_path_without_a_slash_stays_a_json_404(debug_mode, auth_client):
    response = auth_client.post("/api/nothing", {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_server_error_under_api_is_json_in_debug_mode_too(settings, monkeypatch):
    settings.DEBUG = True
    from api import health

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(health.HealthView, "get", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/health/")
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred."}


def stale_tokens(user):
    expired = AccessToken.for_user(user)
    expired.set_exp(from_time=expired.current_time - datetime.timedelta(hours=1))
    return {"expired": str(expired), "garbage": "not-a-token", "signed-elsewhere": str(expired)[:-4] + "AAAA"}


@pytest.mark.parametrize("kind", ["expired", "garbage", "signed-elsewhere"])
@pytest.mark.parametrize("path", ["/api/movies/", "/api/reviews/", "/api/movies/{movie}/"])
def test_public_reads_with_a_stale_token_are_answered_as_anonymous(user, kind, path):
    movie = MovieFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {stale_tokens(user)[kind]}")
    response = client.get(path.format(movie=movie.imdb_id))
    assert response.status_code == 200
    if path.endswith("{movie}/"):
        assert response.json()["me"] is None


@pytest.mark.parametrize("kind", ["expired", "garbage"])
def test_endpoints_that_need_a_user_still_refuse_a_stale_token(user, kind):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {stale_tokens(user)[kind]}")
    response = client.get("/api/watchlist/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    writing = client.post("/api/reviews/", {"imdb_id": MovieFactory().imdb_id, "rating": 4}, format="json")
    assert writing.status_code == 401
    assert writing.json()["code"] == "token_not_valid"
    assert Review.objects.count() == 0


def test_a_password_change_refuses_every_token_issued_before_it(user):
    refresh = RefreshToken.for_user(user)
    old_access = str(refresh.access_token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old_access}")
    assert client.get("/api/auth/me/").status_code == 200
    response = client.post(
        "/api/auth/password/", {"old_password": PASSWORD, "new_password": "a-new-Passw0rd!"}, format="json"
    )
    assert response.status_code == 204
    assert client.get("/api/auth/me/").status_code == 401
    assert client.get("/api/watchlist/").status_code == 401
    assert APIClient().post("/api/auth/refresh/", {"refresh": str(refresh)}, format="json").status_code == 401
    tokens = APIClient().post(
        LOGIN, {"username": user.username, "password": "a-new-Passw0rd!"}, format="json"
    )
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert fresh.get("/api/auth/me/").status_code == 200


def test_a_password_set_elsewhere_refuses_old_tokens_too(user):
    """A reset (or the admin) sets the password without the API's password change."""
    refresh = RefreshToken.for_user(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    assert client.get("/api/auth/me/").status_code == 200
    user.set_password("reset-Passw0rd!")
    user.save()
    assert client.get("/api/auth/me/").status_code == 401
    assert APIClient().post("/api/auth/refresh/", {"refresh": str(refresh)}, format="json").status_code == 401


def test_the_refresh_token_of_a_deleted_account_is_a_401_not_a_500(user):
    refresh = str(RefreshToken.for_user(user))
    user.delete()
    response = APIClient().post("/api/auth/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found for the given token."}


def login(client, username, password, address):
    return client.post(
        LOGIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_guesses_spread_over_many_addresses_lock_the_account(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "1000/minute"})
    victim = UserFactory(username="victim")
    client = APIClient()
    statuses = [login(client, "victim", f"guess{n}", f"198.51.100.{n}").status_code for n in range(12)]
    assert statuses[:9] == [401] * 9
    assert set(statuses[10:]) == {429}
    # The account is locked whatever the address and the spelling of the name...
    assert login(client, "VICTIM", PASSWORD, "192.0.2.1").status_code == 429
    assert login(client, "ｖｉｃｔｉｍ", PASSWORD, "192.0.2.2").status_code == 429
    # ...and other accounts are not.
    other = UserFactory()
    assert login(client, other.username, PASSWORD, "192.0.2.3").status_code == 200
    victim.refresh_from_db()
    assert victim.last_login is None


def test_one_address_guessing_many_accounts_is_locked(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "1000/minute"})
    users = [UserFactory() for _ in range(12)]
    client = APIClient()
    statuses = [login(client, u.username, "wrong", "203.0.113.9").status_code for u in users]
    assert set(statuses[10:]) == {429}
    assert login(client, users[0].username, PASSWORD, "203.0.113.9").status_code == 429
    assert login(client, users[0].username, PASSWORD, "203.0.113.10").status_code == 200


def test_a_successful_login_resets_the_count(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "1000/minute"})
    user = UserFactory()
    client = APIClient()
    for _ in range(2):
        for _ in range(8):
            assert login(client, user.username, "wrong", "192.0.2.50").status_code == 401
        assert login(client, user.username, PASSWORD, "192.0.2.50").status_code == 200


def test_the_admin_login_is_throttled_like_the_api(settings):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    for attempt in range(10):
        client.post("/admin/login/?next=/admin/", {"username": staff.username, "password": f"wrong{attempt}"})
    response = client.post("/admin/login/?next=/admin/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302  # still signed out
    # The API's login shares the count: the same account is locked there too.
    assert login(APIClient(), staff.username, PASSWORD, "127.0.0.1").status_code == 429


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "1869-12-31T23:59:59Z"])
def test_a_watched_time_before_the_first_films_is_refused(auth_client, user, when):
    item = WatchlistItemFactory(user=user)
    response = auth_client.patch(
        f"/api/watchlist/{item.pk}/", {"watched": True, "watched_at": when}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "watched_at": ["This time is before the first films: it must be in 1870 or later."]
    }
    item.refresh_from_db()
    assert (item.watched, item.watched_at) == (False, None)


def test_a_watched_time_in_1870_is_accepted(auth_client, user):
    item = WatchlistItemFactory(user=user)
    response = auth_client.patch(
        f"/api/watchlist/{item.pk}/", {"watched": True, "watched_at": "1870-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["watched_at"].startswith("1870-01-01")
