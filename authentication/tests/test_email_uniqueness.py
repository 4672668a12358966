"""E-mail addresses are unique whatever their case, on register and on PATCH /api/auth/me/."""

import pytest
from django.contrib.auth import get_user_model

from authentication.serializers import RegisterSerializer, UserSerializer

from .factories import UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
ME = "/api/auth/me/"
STRONG_PASSWORD = "a-Strong-passphrase-42"
TAKEN = {"email": ["A user with that e-mail address already exists."]}
KELVIN_SIGN = "\u212a"


def register(api_client, email, username="newcomer"):
    return api_client.post(
        REGISTER, {"username": username, "email": email, "password": STRONG_PASSWORD}, format="json"
    )


def accounts():
    return sorted(User.objects.values_list("id", "username", "email"))


@pytest.mark.parametrize("email", ["bob@example.com", "BOB@example.com", "Bob@Example.COM"])
def test_register_with_a_taken_email_in_any_case_is_rejected(api_client, email):
    UserFactory(username="bob", email="bob@example.com")
    before = accounts()
    response = register(api_client, email)
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before


def test_register_with_a_taken_name_and_email_names_both(api_client):
    UserFactory(username="bob", email="bob@example.com")
    response = register(api_client, "BOB@example.com", username="BOB")
    assert response.status_code == 400
    assert response.json() == {**TAKEN, "username": ["A user with that username already exists."]}
    assert User.objects.count() == 1


def test_register_stores_the_domain_in_lower_case(api_client):
    response = register(api_client, "Bob.Smith@EXAMPLE.com")
    assert response.status_code == 201
    assert response.json()["email"] == "Bob.Smith@example.com"
    assert User.objects.get().email == "Bob.Smith@example.com"


@pytest.mark.parametrize("local_part", [f"{KELVIN_SIGN}im", "\u017fam", "al\u0131ce"])  # Kelvin, long s, ı
def test_register_with_a_non_ascii_local_part_is_rejected(api_client, local_part):
    # Django's validator lets these through; LOWER() folds them on PostgreSQL, not on SQLite.
    response = register(api_client, f"{local_part}@example.com")
    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}
    assert User.objects.count() == 0


def test_a_registration_that_loses_a_race_for_the_email_is_a_400(api_client, monkeypatch):
    # The other registration commits between this one's check and its insert.
    UserFactory(username="bob", email="bob@example.com")
    monkeypatch.setattr(RegisterSerializer, "validate_email", lambda self, email: email)
    before = accounts()
    response = register(api_client, "BOB@example.com")
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com", "Taken@EXAMPLE.COM"])
def test_patch_me_with_another_users_email_in_any_case_changes_nothing(auth_client, user, email):
    UserFactory(username="owner", email="taken@example.com")
    before = accounts()
    response = auth_client.patch(ME, {"email": email}, format="json")
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before


def test_patch_me_with_another_case_of_my_own_email_is_fine(auth_client, user):
    own = user.email
    response = auth_client.patch(ME, {"email": own.upper()}, format="json")
    assert response.status_code == 200
    local_part, _, domain = own.upper().partition("@")
    assert response.json()["email"] == f"{local_part}@{domain.lower()}"
    user.refresh_from_db()
    assert user.email == f"{local_part}@{domain.lower()}"


def test_patch_me_without_an_email_changes_nothing(auth_client, user):
    before = accounts()
    response = auth_client.patch(ME, {}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert accounts() == before


def test_patch_me_that_loses_a_race_for_the_email_is_a_400(auth_client, user, monkeypatch):
    UserFactory(username="owner", email="taken@example.com")
    monkeypatch.setattr(UserSerializer, "validate_email", lambda self, email: email)
    before = accounts()
    response = auth_client.patch(ME, {"email": "Taken@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before
    assert auth_client.get(ME).json()["email"] == user.email
