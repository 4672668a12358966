"""Moderation in the admin: staff find messages by room or author, edited or not, and delete
them; they find read positions by room or user. Filters have fixed choices and indexes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from authentication.tests.factories import UserFactory
from chat.models import Message, RoomRead

CHANGELIST = reverse("admin:chat_message_changelist")


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True))
    return client


@pytest.fixture
def messages(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    return {
        "alice_in_matrix": Message.objects.create(room="movie:tt0133093", user=alice, text="red pill"),
        "bob_in_matrix": Message.objects.create(room="movie:tt0133093", user=bob, text="blue pill"),
        "bob_in_lobby": Message.objects.create(room="lobby", user=bob, text="hello all"),
    }


def listed_texts(response):
    return sorted(message.text for message in response.context["cl"].result_list)


def test_staff_search_messages_by_room(staff_client, messages):
    response = staff_client.get(CHANGELIST, {"q": "movie:tt0133093"})
    assert response.status_code == 200
    assert listed_texts(response) == ["blue pill", "red pill"]


@pytest.mark.parametrize("typed", ["BOB", "ｂｏｂ", "Bób"])
def test_staff_search_messages_by_any_spelling_of_a_username(staff_client, messages, typed):
    response = staff_client.get(CHANGELIST, {"q": typed})
    assert listed_texts(response) == ["blue pill", "hello all"]


def test_staff_delete_a_message(staff_client, messages):
    target = messages["bob_in_lobby"]
    response = staff_client.post(reverse("admin:chat_message_delete", args=[target.id]), {"post": "yes"})
    assert response.status_code == 302
    assert not Message.objects.filter(id=target.id).exists()
    assert Message.objects.count() == 2


def test_nobody_adds_or_edits_messages_in_the_admin(staff_client, messages):
    assert staff_client.get(reverse("admin:chat_message_add")).status_code == 403
    target = messages["alice_in_matrix"]
    staff_client.post(
        reverse("admin:chat_message_change", args=[target.id]),
        {"room": "lobby", "text": "edited", "user": target.user_id},
    )
    target.refresh_from_db()
    assert (target.room, target.text) == ("movie:tt0133093", "red pill")


def test_users_who_are_not_staff_cannot_moderate(client, messages):
    client.force_login(UserFactory())
    response = client.post(
        reverse("admin:chat_message_delete", args=[messages["bob_in_lobby"].id]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert Message.objects.count() == 3


def test_changelist_queries_do_not_grow_with_the_messages(
    staff_client, messages, django_assert_max_num_queries
):
    Message.objects.bulk_create(
        Message(room=f"movie:tt{n:07d}", user=UserFactory(), text=f"message {n}") for n in range(40)
    )
    with django_assert_max_num_queries(8):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 43


def test_staff_filter_messages_by_whether_they_were_edited(staff_client, messages):
    edited = messages["bob_in_lobby"]
    Message.objects.filter(id=edited.id).update(text="hello all (edited)", edited_at=timezone.now())
    assert listed_texts(staff_client.get(CHANGELIST, {"edited": "yes"})) == ["hello all (edited)"]
    assert listed_texts(staff_client.get(CHANGELIST, {"edited": "no"})) == ["blue pill", "red pill"]
    week = staff_client.get(CHANGELIST, {"created_at__gte": str(timezone.now() - timedelta(days=7))})
    assert len(listed_texts(week)) == 3


READ_CHANGELIST = reverse("admin:chat_roomread_changelist")


@pytest.fixture
def read_positions(messages):
    alice, bob = messages["alice_in_matrix"].user, messages["bob_in_lobby"].user
    positions = [
        RoomRead.objects.create(
            user=alice, room="movie:tt0133093", last_read_id=messages["bob_in_matrix"].id
        ),
        RoomRead.objects.create(
            user=bob, room="movie:tt0133093", last_read_id=messages["alice_in_matrix"].id
        ),
        RoomRead.objects.create(user=bob, room="lobby", last_read_id=messages["bob_in_lobby"].id),
    ]
    RoomRead.objects.filter(id=positions[2].id).update(updated_at=timezone.now() - timedelta(days=40))
    return positions


def listed_positions(response):
    return sorted((read.user.username, read.room) for read in response.context["cl"].result_list)


def test_staff_find_read_positions_by_room_or_any_spelling_of_a_username(staff_client, read_positions):
    assert listed_positions(staff_client.get(READ_CHANGELIST, {"q": "movie:tt0133093"})) == [
        ("alice", "movie:tt0133093"),
        ("bob", "movie:tt0133093"),
    ]
    assert listed_positions(staff_client.get(READ_CHANGELIST, {"q": "ＢＯＢ"})) == [
        ("bob", "lobby"),
        ("bob", "movie:tt0133093"),
    ]


def test_staff_filter_read_positions_by_when_they_moved(staff_client, read_positions):
    week = staff_client.get(READ_CHANGELIST, {"updated_at__gte": str(timezone.now() - timedelta(days=7))})
    assert listed_positions(week) == [("alice", "movie:tt0133093"), ("bob", "movie:tt0133093")]


def test_nobody_adds_or_edits_read_positions_and_only_staff_see_them(client, staff_client, read_positions):
    assert staff_client.get(reverse("admin:chat_roomread_add")).status_code == 403
    client.force_login(UserFactory())
    assert "/login/" in client.get(READ_CHANGELIST)["Location"]


def test_read_positions_changelist_queries_do_not_grow_with_the_rows(
    staff_client, read_positions, django_assert_max_num_queries
):
    RoomRead.objects.bulk_create(
        RoomRead(user=UserFactory(), room=f"movie:tt{n:07d}", last_read_id=n + 1) for n in range(40)
    )
    with django_assert_max_num_queries(8):
        response = staff_client.get(
            READ_CHANGELIST, {"updated_at__gte": str(timezone.now() - timedelta(hours=1))}
        )
    assert len(response.context["cl"].result_list) == 42
