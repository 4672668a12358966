import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .factories import PASSWORD, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"
PASSWORD_CHANGE = "/api/auth/password/"
STRONG_PASSWORD = "a-Strong-passphrase-42"


def login(api_client, username, password=PASSWORD):
    return api_client.post(LOGIN, {"username": username, "password": password}, format="json")


# Register


def test_register_creates_an_account_that_can_log_in(api_client):
    response = api_client.post(
        REGISTER, {"username": "Alice", "email": "alice@example.com", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 201
    assert set(response.json()) == {"id", "username", "email"}
    assert response.json()["username"] == "Alice"
    assert "password" not in response.json()
    assert login(api_client, "Alice", STRONG_PASSWORD).status_code == 200


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_without_a_field_names_it_and_creates_nothing(api_client, missing):
    body = {"username": "bob", "email": "bob@example.com", "password": STRONG_PASSWORD}
    del body[missing]
    response = api_client.post(REGISTER, body)
    assert response.status_code == 400
    assert response.json()[missing] == ["This field is required."]
    assert User.objects.count() == 0


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "bobbobbob"])
def test_register_with_a_weak_password_is_rejected(api_client, password):
    response = api_client.post(
        REGISTER, {"username": "bobbobbob", "email": "bob@example.com", "password": password}
    )
    assert response.status_code == 400
    assert response.json()["password"]
    assert User.objects.count() == 0


def test_register_with_a_taken_username_in_another_case_is_rejected(api_client):
    UserFactory(username="carol")
    response = api_client.post(
        REGISTER, {"username": "CAROL", "email": "c2@example.com", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["username"] == ["A user with that username already exists."]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "field, value",
    [("email", "not-an-email"), ("username", "has space"), ("username", "x" * 151), ("email", "")],
)
def test_register_with_malformed_fields_is_rejected(api_client, field, value):
    body = {"username": "dave", "email": "dave@example.com", "password": STRONG_PASSWORD, field: value}
    response = api_client.post(REGISTER, body)
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0


def test_register_with_a_body_that_is_not_json_is_a_400(api_client):
    response = api_client.post(REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_register_with_a_list_body_is_a_400(api_client):
    response = api_client.post(REGISTER, ["alice"], format="json")
    assert response.status_code == 400
    assert User.objects.count() == 0


def test_register_is_throttled_per_client(api_client, settings):
    responses = [
        api_client.post(REGISTER, {"username": f"u{n}", "email": "x", "password": "x"}) for n in range(11)
    ]
    assert [r.status_code for r in responses[:10]] == [400] * 10
    assert responses[10].status_code == 429
    assert "detail" in responses[10].json()


# Login


def test_login_returns_an_access_and_a_refresh_token(api_client, user):
    response = login(api_client, user.username)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert AccessToken(response.json()["access"])["user_id"] == str(user.id)


def test_login_ignores_the_case_of_the_username(api_client):
    UserFactory(username="Erin")
    assert login(api_client, "erin").status_code == 200


def test_login_with_a_wrong_password_is_a_401(api_client, user):
    response = login(api_client, user.username, "wrong-password")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_login_of_an_inactive_user_is_a_401(api_client):
    inactive = UserFactory(is_active=False)
    assert login(api_client, inactive.username).status_code == 401


@pytest.mark.parametrize("missing", ["username", "password"])
def test_login_without_a_field_names_it(api_client, user, missing):
    body = {"username": user.username, "password": PASSWORD}
    del body[missing]
    response = api_client.post(LOGIN, body)
    assert response.status_code == 400
    assert response.json()[missing] == ["This field is required."]


def test_login_is_throttled_per_client(api_client, user, settings):
    settings.AXES_FAILURE_LIMIT = 100  # this test is about the request rate, not failures
    statuses = [login(api_client, user.username).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


# Refresh and logout


def test_refresh_rotates_and_blacklists_the_old_token(api_client, user):
    tokens = login(api_client, user.username).json()
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response.json()["refresh"] != tokens["refresh"]
    reused = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    assert api_client.post(REFRESH, {"refresh": response.json()["refresh"]}).status_code == 200


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_refresh_with_a_malformed_token_is_refused(api_client, token):
    response = api_client.post(REFRESH, {"refresh": token})
    assert response.status_code in (400, 401)
    assert response.json()


def test_refresh_without_a_token_names_the_field(api_client):
    response = api_client.post(REFRESH, {})
    assert response.status_code == 400
    assert response.json()["refresh"] == ["This field is required."]


def test_refresh_with_an_expired_token_is_a_401(api_client, user):
    token = RefreshToken.for_user(user)
    token.set_exp(from_time=timezone.now() - datetime.timedelta(days=30))
    response = api_client.post(REFRESH, {"refresh": str(token)})
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_with_an_access_token_is_refused(api_client, user):
    tokens = login(api_client, user.username).json()
    response = api_client.post(REFRESH, {"refresh": tokens["access"]})
    assert response.status_code == 401


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = login(api_client, user.username).json()
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 205
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_without_a_token_names_the_field(api_client):
    response = api_client.post(LOGOUT, {})
    assert response.status_code == 400
    assert response.json()["refresh"] == ["This field is required."]


# Me


def test_me_shows_the_callers_account(auth_client, user):
    response = auth_client.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == user.id
    assert response.json()["username"] == user.username
    assert response.json()["email"] == user.email
    assert response.json()["date_joined"]


def test_me_needs_authentication(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer ", "Token abc", "Bearer a.b.c"])
def test_me_with_a_bad_token_is_a_401(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert api_client.get(ME).status_code == 401


def test_me_with_an_expired_access_token_is_a_401(api_client, user):
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - datetime.timedelta(hours=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_patch_me_changes_the_email_only(auth_client, user):
    response = auth_client.patch(ME, {"email": "new@example.com", "username": "hijack"}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert user.username != "hijack"


def test_patch_me_with_a_bad_email_changes_nothing(auth_client, user):
    response = auth_client.patch(ME, {"email": "nope"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    user.refresh_from_db()
    assert user.email.endswith("@example.com")


def test_put_me_is_not_allowed(auth_client):
    assert auth_client.put(ME, {"email": "a@example.com"}, format="json").status_code == 405


# Password


def test_password_change_lets_the_new_password_in_and_signs_out_everywhere(auth_client, user, api_client):
    tokens = login(api_client, user.username).json()
    response = auth_client.post(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": STRONG_PASSWORD}, format="json"
    )
    assert response.status_code == 204
    assert login(api_client, user.username, PASSWORD).status_code == 401
    assert login(api_client, user.username, STRONG_PASSWORD).status_code == 200
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_password_change_with_a_wrong_old_password_changes_nothing(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE, {"old_password": "wrong", "new_password": STRONG_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_to_a_weak_password_changes_nothing(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["new_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_needs_authentication(api_client):
    response = api_client.post(PASSWORD_CHANGE, {"old_password": "a", "new_password": "b"})
    assert response.status_code == 401


@pytest.mark.parametrize("missing", ["old_password", "new_password"])
def test_password_change_without_a_field_names_it(auth_client, missing):
    body = {"old_password": PASSWORD, "new_password": STRONG_PASSWORD}
    del body[missing]
    response = auth_client.post(PASSWORD_CHANGE, body, format="json")
    assert response.status_code == 400
    assert response.json()[missing] == ["This field is required."]
