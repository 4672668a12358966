"""DELETE /api/auth/me/: the account and everything it owns go, in one transaction; its
tokens stop working at once; its chat connections end; nothing of it is left in any table,
tables added later included (every foreign key and many-to-many to the user is found by
walking the models)."""

import asyncio

import pytest
import requests
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from authentication.tests.factories import PASSWORD, UserFactory
from chat.models import Message
from chat.tests.clients import ChatClient, unique_room
from conftest import access_token_for
from movie_module.tests.factories import MovieFactory, ReviewFactory, WatchlistItemFactory
from your_data.models import Import, ImportUpload

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
ME = "/api/auth/me/"


def owning_fields() -> list[tuple[type, str]]:
    """(model, field name) of every foreign key, one-to-one and many-to-many table row that
    points at a user, in every installed app."""
    return [
        (model, field.name)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is User
    ]


def rows_pointing_at(user_id) -> dict[str, set]:
    return {
        f"{model._meta.label}.{name}": set(
            model._default_manager.filter(**{name: user_id}).values_list("pk", flat=True)
        )
        for model, name in owning_fields()
    }


def everything_of(user) -> None:
    movie = MovieFactory()
    ReviewFactory(user=user, movie=movie)
    WatchlistItemFactory(user=user, movie=MovieFactory())
    Message.objects.create(room="lobby", user=user, text="Hello")
    job = Import.objects.create(user=user, format="imdb")
    ImportUpload.objects.create(import_job=job, data=b"Const\n")
    RefreshToken.for_user(user)  # an outstanding refresh token
    user.groups.add(Group.objects.create(name=f"group of {user.username}"))
    user.user_permissions.add(Permission.objects.first())
    LogEntry.objects.log_actions(user_id=user.pk, queryset=[movie], action_flag=ADDITION)


def signed_in(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


def test_nothing_of_a_deleted_account_is_left_in_any_table_and_others_keep_theirs():
    user, other = UserFactory(), UserFactory()
    everything_of(user)
    everything_of(other)
    before = rows_pointing_at(user.pk)
    others_before = rows_pointing_at(other.pk)
    covered = {name for name, rows in before.items() if rows}
    assert {
        "movie_module.Review.user", "movie_module.WatchlistItem.user", "chat.Message.user",
        "your_data.Import.user", "token_blacklist.OutstandingToken.user", "admin.LogEntry.user",
        "authentication.User_groups.user", "authentication.User_user_permissions.user",
    } <= covered  # fmt: skip

    response = signed_in(user).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not ImportUpload.objects.filter(import_job__user_id=user.pk).exists()
    for (model, name), (label, rows) in zip(owning_fields(), before.items(), strict=True):
        assert not model._default_manager.filter(pk__in=rows).exists(), f"{label}: rows of the user were kept"
        assert not model._default_manager.filter(**{name: user.pk}).exists(), label
    assert rows_pointing_at(other.pk) == others_before


def test_a_wrong_password_is_a_400_on_password_and_deletes_nothing(auth_client, user):
    ReviewFactory(user=user)
    response = auth_client.delete(ME, {"password": "not it"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["Your password was entered incorrectly."]}
    assert User.objects.filter(pk=user.pk).exists() and user.reviews.count() == 1
    assert auth_client.delete(ME, {}, format="json").json() == {"password": ["This field is required."]}


def test_every_token_of_a_deleted_account_stops_working_at_once(api_client, user):
    client = signed_in(user)
    refresh = str(RefreshToken.for_user(user))
    assert client.get(ME).status_code == 200  # the user behind the token is cached now

    assert client.delete(ME, {"password": PASSWORD}, format="json").status_code == 204

    assert client.get(ME).status_code == 401
    assert client.get("/api/watchlist/").status_code == 401
    assert api_client.post("/api/auth/refresh/", {"refresh": refresh}, format="json").status_code == 401
    login = {"username": user.username, "password": PASSWORD}
    assert api_client.post("/api/auth/login/", login, format="json").status_code == 401


def test_a_deleted_accounts_chat_connections_end_and_leave_presence(live_server_url):
    user, other = UserFactory(), UserFactory()
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    token, other_token = access_token_for(user), access_token_for(other)
    room = unique_room()
    written = [Message.objects.create(room=room, user=user, text=f"mine {number}") for number in range(3)]
    kept = Message.objects.create(room=room, user=other, text="theirs")

    async def scenario():
        leaving = ChatClient(live_server_url, token, transports=["websocket"])
        staying = ChatClient(live_server_url, other_token, transports=["websocket"])
        await leaving.connect()
        await staying.connect()
        await staying.presence("lobby", sorted([user.username, other.username]))
        await staying.call("join", {"room": room})

        answer = await asyncio.to_thread(
            requests.delete,
            live_server_url + ME,
            json={"password": PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 204

        await leaving.wait_until(lambda: leaving.disconnects, "the deleted account's disconnect")
        assert leaving.received["session_expired"] == [{}]
        await staying.presence("lobby", [other.username])
        # The room drops what the account wrote, as the history does.
        await staying.wait_until(lambda: len(staying.received["message_deleted"]) == 3, "three deletions")
        history = await asyncio.to_thread(
            requests.get,
            f"{live_server_url}/api/chat/rooms/{room}/messages/",
            headers={"Authorization": f"Bearer {other_token}"},
            timeout=10,
        )
        await staying.close()
        return staying.received["message_deleted"], history.json()["results"]

    deleted, history = asyncio.run(scenario())
    assert sorted(deleted, key=lambda event: event["id"]) == [
        {"id": message.id, "room": room} for message in written
    ]
    assert [message["id"] for message in history] == [kept.id]
