"""Usernames are one name after NFKC, case folding and dropping accents on Latin letters, on
every database; names that mix Latin, Greek and Cyrillic letters are refused."""

import pytest
from django.contrib.auth import get_user_model

from authentication.serializers import RegisterSerializer

from .factories import PASSWORD, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
STRONG_PASSWORD = "a-Strong-passphrase-42"
TAKEN = {"username": ["A user with that username already exists."]}

KELVIN_SIGN = "\u212a"
LOOK_ALIKES = [
    pytest.param("alice", "ａｌｉｃｅ", id="full width"),
    pytest.param("alice", "ALICE", id="upper case"),
    pytest.param("émile", "ÉMILE", id="accented upper case"),
    pytest.param("émile", "emile", id="accent dropped"),
    pytest.param("emile", "Émile", id="accent added"),
    pytest.param("alice", "ALİCE", id="Turkish dotted capital I"),
    pytest.param("kim", f"{KELVIN_SIGN}im", id="Kelvin sign"),
    pytest.param("strasse", "Straße", id="sharp s"),
]


def register(api_client, username, email="new@example.com"):
    return api_client.post(
        REGISTER, {"username": username, "email": email, "password": STRONG_PASSWORD}, format="json"
    )


def accounts():
    return sorted(User.objects.values_list("id", "username", "username_key", "email"))


@pytest.mark.parametrize("existing, look_alike", LOOK_ALIKES)
def test_register_with_a_look_alike_of_a_taken_username_is_rejected(api_client, existing, look_alike):
    UserFactory(username=existing)
    before = accounts()
    response = register(api_client, look_alike)
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before


@pytest.mark.parametrize("existing, look_alike", LOOK_ALIKES)
def test_register_a_name_then_its_look_alike(api_client, existing, look_alike):
    assert register(api_client, existing, "first@example.com").status_code == 201
    before = accounts()
    response = register(api_client, look_alike, "second@example.com")
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before


@pytest.mark.parametrize(
    "typed, stored",
    [("ａｌｉｃｅ", "alice"), ("ÉMILE", "ÉMILE"), (f"{KELVIN_SIGN}im", "Kim"), ("Straße", "Straße")],
)
def test_a_username_is_stored_as_typed_after_nfkc(api_client, typed, stored):
    response = register(api_client, typed)
    assert response.status_code == 201
    assert response.json()["username"] == stored
    assert User.objects.get().username == stored


@pytest.mark.parametrize(
    "username, scripts",
    [
        ("\u0430lice", "Cyrillic and Latin"),  # Cyrillic а
        ("p\u0430ypal", "Cyrillic and Latin"),
        ("\u03b1lpha", "Greek and Latin"),  # Greek α
        ("\u03b1\u0431", "Cyrillic and Greek"),
        ("ma\u00b5", "Greek and Latin"),  # the micro sign is a Greek mu after NFKC
    ],
)
def test_a_username_mixing_latin_greek_and_cyrillic_is_rejected(api_client, username, scripts):
    response = register(api_client, username)
    assert response.status_code == 400
    assert response.json() == {
        "username": [f"Use the letters of one alphabet: this username mixes {scripts} letters."]
    }
    assert User.objects.count() == 0


@pytest.mark.parametrize("username", ["алиса", "αλίκη", "ελένη_42", "alice.b-2", "山田alice"])
def test_a_username_in_one_alphabet_is_accepted(api_client, username):
    response = register(api_client, username)
    assert response.status_code == 201
    assert User.objects.get().username == username


def test_a_username_longer_than_150_characters_after_nfkc_is_rejected(api_client):
    response = register(api_client, "\ufb03" * 60)  # the "ffi" ligature: three letters after NFKC
    assert response.status_code == 400
    assert response.json() == {"username": ["Ensure this value has at most 150 characters (it has 180)."]}
    assert User.objects.count() == 0


def test_cyrillic_and_latin_look_alike_names_are_different_names(api_client):
    # Whole-script look-alikes are not folded: only mixed names are refused.
    UserFactory(username="ae")
    assert register(api_client, "ае").status_code == 201  # Cyrillic а and е
    assert User.objects.count() == 2


def test_a_registration_that_loses_a_race_for_the_name_is_a_400(api_client, monkeypatch):
    # The other registration commits between this one's check and its insert.
    UserFactory(username="alice")
    monkeypatch.setattr(RegisterSerializer, "validate_username", lambda self, username: username)
    before = accounts()
    response = register(api_client, "ＡＬＩＣＥ")
    assert response.status_code == 400
    assert response.json() == TAKEN
    assert accounts() == before


@pytest.mark.parametrize(
    "account, typed",
    [
        ("alice", "ＡＬＩＣＥ"),
        ("alice", "Alice"),
        ("alice", "ALİCE"),
        ("ÉMILE", "emile"),
        ("kim", f"{KELVIN_SIGN}IM"),
        ("ａｌｉｃｅ", "alice"),  # stored before usernames were normalised
    ],
)
def test_login_finds_the_account_by_any_spelling_of_its_name(api_client, account, typed):
    UserFactory(username=account)
    response = api_client.post(LOGIN, {"username": typed, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_login_with_a_different_name_is_still_refused(api_client):
    UserFactory(username="alice")
    response = api_client.post(LOGIN, {"username": "alicia", "password": PASSWORD}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"]
