"""Password reset by e-mail: the same answer for any address, a link that works once and
expires, and every earlier token of the account refused afterwards."""

import re

import pytest
from django.core import mail
from rest_framework_simplejwt.tokens import RefreshToken

from conftest import access_token_for
from scrapbook import background

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RESET = "/api/auth/password/reset/"
CONFIRM = "/api/auth/password/reset/confirm/"
NEW_PASSWORD = "a-brand-new-passphrase-77"


def reset_link(api_client, email: str) -> dict:
    """Ask for a reset of `email`; return the uid and token of the link mailed."""
    response = api_client.post(RESET, {"email": email}, format="json")
    assert response.status_code == 204
    assert background.wait_for_tasks(timeout=10)
    [message] = mail.outbox
    found = re.search(r"uid=([\w-]+)&token=([\w-]+)", message.body)
    return {"uid": found.group(1), "token": found.group(2)}


def test_a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(api_client):
    user = UserFactory(email="Alice@Example.com")
    access, refresh = access_token_for(user), str(RefreshToken.for_user(user))
    link = reset_link(api_client, "alice@example.COM")
    assert mail.outbox[0].to == ["Alice@Example.com"]

    response = api_client.post(CONFIRM, {**link, "new_password": NEW_PASSWORD}, format="json")

    assert response.status_code == 204
    login = {"username": user.username}
    assert api_client.post("/api/auth/login/", {**login, "password": NEW_PASSWORD}).status_code == 200
    assert api_client.post("/api/auth/login/", {**login, "password": PASSWORD}).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/auth/me/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/auth/refresh/", {"refresh": refresh}, format="json").status_code == 401
    again = api_client.post(CONFIRM, {**link, "new_password": "yet-another-passphrase-9"}, format="json")
    assert again.status_code == 400
    assert again.json() == {"token": ["This reset link is invalid, used or expired: ask for a new one."]}


def test_the_answer_is_the_same_for_an_unknown_address_and_nothing_is_mailed(api_client):
    response = api_client.post(RESET, {"email": "nobody@example.com"}, format="json")
    assert response.status_code == 204
    assert background.wait_for_tasks(timeout=10)
    assert mail.outbox == []


def test_an_expired_link_is_refused(api_client, settings):
    UserFactory(email="bob@example.com")
    link = reset_link(api_client, "bob@example.com")
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = api_client.post(CONFIRM, {**link, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and "token" in response.json()


def test_a_weak_new_password_is_refused_and_the_link_still_works(api_client):
    UserFactory(email="carol@example.com")
    link = reset_link(api_client, "carol@example.com")
    weak = api_client.post(CONFIRM, {**link, "new_password": "123"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()
    assert api_client.post(CONFIRM, {**link, "new_password": NEW_PASSWORD}, format="json").status_code == 204


def test_reset_requests_are_throttled_like_logins(api_client):
    statuses = [
        api_client.post(RESET, {"email": "x@example.com"}, format="json").status_code for _ in range(11)
    ]
    assert statuses == [204] * 10 + [429]  # AUTH_THROTTLE_RATE: 10 a minute
