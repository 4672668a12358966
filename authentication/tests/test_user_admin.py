"""Staff add and rename users in the admin, and sign in there, under the same rules as the API:
a look-alike of a taken name or another case of a taken address is a form error, never a 500."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from .factories import PASSWORD, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

ADD = reverse("admin:authentication_user_add")
NAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that e-mail address already exists."


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def accounts():
    return sorted(User.objects.values_list("id", "username", "username_key", "email"))


def change_form_data(user, **changes):
    """What the admin's change form posts for `user`, with `changes`."""
    return {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "12:00:00",
        "last_login_0": "",
        "last_login_1": "",
        **changes,
    }


@pytest.mark.parametrize("look_alike", ["ALICE", "ａｌｉｃｅ", "ALİCE", "ÉMILE", "emile"])
def test_adding_a_look_alike_of_a_taken_name_is_a_form_error(staff_client, look_alike):
    UserFactory(username="alice")
    UserFactory(username="émile")
    before = accounts()
    response = staff_client.post(ADD, {"username": look_alike, "usable_password": "false"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"username": [NAME_TAKEN]}
    assert accounts() == before


def test_adding_a_name_that_mixes_alphabets_is_a_form_error(staff_client):
    before = accounts()
    response = staff_client.post(ADD, {"username": "\u0430lice", "usable_password": "false"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "username": ["Use the letters of one alphabet: this username mixes Cyrillic and Latin letters."]
    }
    assert accounts() == before


def test_adding_a_user_sets_the_key(staff_client):
    response = staff_client.post(ADD, {"username": "ÉMILE", "usable_password": "false"})
    assert response.status_code == 302
    assert User.objects.get(username="ÉMILE").username_key == "emile"


def test_renaming_to_a_look_alike_of_a_taken_name_is_a_form_error(staff_client):
    UserFactory(username="émile")
    bob = UserFactory(username="bob")
    before = accounts()
    url = reverse("admin:authentication_user_change", args=[bob.id])
    response = staff_client.post(url, change_form_data(bob, username="EMILE"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"username": [NAME_TAKEN]}
    assert accounts() == before


def test_giving_a_user_a_taken_email_in_another_case_is_a_form_error(staff_client):
    UserFactory(username="carol", email="carol@example.com")
    bob = UserFactory(username="bob")
    before = accounts()
    url = reverse("admin:authentication_user_change", args=[bob.id])
    response = staff_client.post(url, change_form_data(bob, email="CAROL@example.com"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": [EMAIL_TAKEN]}
    assert accounts() == before


def test_renaming_a_user_moves_the_key(staff_client):
    bob = UserFactory(username="bob")
    url = reverse("admin:authentication_user_change", args=[bob.id])
    response = staff_client.post(url, change_form_data(bob, username="Bobby", email="BOB@example.com"))
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.username, bob.username_key, bob.email) == ("Bobby", "bobby", "BOB@example.com")


def test_admin_login_takes_any_spelling_of_the_name(client):
    UserFactory(username="alice", is_staff=True)
    response = client.post(
        reverse("admin:login"), {"username": "ＡＬＩＣＥ", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_createsuperuser_refuses_a_look_alike_of_a_taken_name(monkeypatch):
    UserFactory(username="alice")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-Strong-passphrase-42")
    before = accounts()
    with pytest.raises(CommandError, match="That username is already taken"):
        call_command("createsuperuser", interactive=False, username="ＡＬＩＣＥ", email="a@example.com")
    assert accounts() == before


def test_createsuperuser_sets_the_key(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-Strong-passphrase-42")
    call_command("createsuperuser", interactive=False, username="Root", email="root@example.com", verbosity=0)
    assert User.objects.get(username_key="root").is_superuser


@pytest.mark.parametrize("how", ["one", "bulk"])
def test_staff_delete_an_account_as_its_owner_would(staff_client, how):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken

    from chat.models import Message

    leaving, staying = UserFactory(), UserFactory()
    RefreshToken.for_user(leaving)  # an outstanding refresh token, which simplejwt would keep
    Message.objects.create(room="lobby", user=leaving, text="bye")
    kept = Message.objects.create(room="lobby", user=staying, text="hi")
    if how == "one":
        url = reverse("admin:authentication_user_delete", args=[leaving.id])
        response = staff_client.post(url, {"post": "yes"})
    else:
        response = staff_client.post(
            reverse("admin:authentication_user_changelist"),
            {"action": "delete_selected", "post": "yes", "_selected_action": [leaving.id]},
        )
    assert response.status_code == 302
    assert not User.objects.filter(id=leaving.id).exists()
    # Its refresh tokens went with it (Django's own deletion would keep them, their user null).
    assert not OutstandingToken.objects.filter(user__isnull=True).exists()
    assert list(Message.objects.values_list("id", flat=True)) == [kept.id]
