"""Chat history over REST: rooms list with unread counts, and message pages, newest first, by cursor."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from authentication.tests.factories import UserFactory
from chat.models import Message, RoomRead

ROOM = "movie:tt0133093"


def messages_url(room=ROOM):
    return reverse("chat-room-messages", kwargs={"room": room})


@pytest.fixture
def history(db, user, other_user):
    """120 messages in ROOM by two authors, oldest first; and one in the lobby."""
    authors = [user, other_user]
    stored = Message.objects.bulk_create(
        Message(room=ROOM, user=authors[n % 2], text=f"message {n}") for n in range(120)
    )
    Message.objects.create(room="lobby", user=user, text="lobby message")
    return stored


def test_first_page_is_the_newest_fifty(auth_client, history):
    response = auth_client.get(messages_url())
    assert response.status_code == 200
    body = response.json()
    assert [m["text"] for m in body["results"]] == [f"message {n}" for n in range(119, 69, -1)]
    assert body["next_before"] == body["results"][-1]["id"]
    first = body["results"][0]
    assert set(first) == {"id", "room", "user", "text", "created_at", "edited_at"}
    assert first["room"] == ROOM


def test_pages_follow_the_before_cursor_to_the_oldest_message(auth_client, history):
    seen, before = [], None
    while True:
        params = {"limit": 50} if before is None else {"limit": 50, "before": before}
        body = auth_client.get(messages_url(), params).json()
        seen += [m["id"] for m in body["results"]]
        before = body["next_before"]
        if before is None:
            break
    assert seen == [m.id for m in reversed(history)]
    assert len(body["results"]) == 20


def test_page_that_ends_exactly_at_the_oldest_message_has_no_next_page(auth_client, history):
    body = auth_client.get(messages_url(), {"limit": 20, "before": history[20].id}).json()
    assert [m["id"] for m in body["results"]] == [m.id for m in reversed(history[:20])]
    assert body["next_before"] is None


@pytest.mark.parametrize("before", [2**63 - 1, 2**63, 51876906691734077440])
def test_a_cursor_past_every_message_id_is_the_newest_page(auth_client, history, before):
    body = auth_client.get(messages_url(), {"limit": 5, "before": before}).json()
    assert [m["id"] for m in body["results"]] == [m.id for m in reversed(history[-5:])]


def test_room_without_messages_is_an_empty_page(auth_client, db):
    body = auth_client.get(messages_url("movie:tt9999999")).json()
    assert body == {"results": [], "next_before": None}


@pytest.mark.parametrize("limit", [1, 100])
def test_a_page_costs_the_same_queries_whatever_its_size(
    auth_client, history, django_assert_num_queries, limit
):
    # One for the authenticated user, one for the page with its authors.
    with django_assert_num_queries(2):
        response = auth_client.get(messages_url(), {"limit": limit})
    assert len(response.json()["results"]) == limit


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"before": "x"}, "before"),
        ({"before": 0}, "before"),
        ({"before": "1.5"}, "before"),
    ],
)
def test_bad_paging_values_are_a_400_naming_the_field(auth_client, history, params, field):
    response = auth_client.get(messages_url(), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("room", ["Movie:TT0133093", "-lobby", "a" * 65, "with space", "émile"])
def test_bad_room_name_is_a_400_naming_the_room(auth_client, db, room):
    response = auth_client.get(messages_url(room))
    assert response.status_code == 400
    assert list(response.json()) == ["room"]


def test_room_in_the_query_string_does_not_replace_the_path(auth_client, history):
    body = auth_client.get(messages_url(), {"room": "lobby", "limit": 1}).json()
    assert body["results"][0]["room"] == ROOM


@pytest.mark.parametrize("url", [reverse("chat-rooms"), messages_url()])
def test_history_needs_authentication(api_client, db, url):
    response = api_client.get(url)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_rooms_list_the_most_recently_active_first_with_counts_and_last_message(auth_client, db, user):
    other = UserFactory()
    Message.objects.create(room="lobby", user=user, text="first")
    Message.objects.create(room=ROOM, user=user, text="matrix 1")
    Message.objects.create(room=ROOM, user=other, text="matrix 2")
    last = Message.objects.create(room="lobby", user=other, text="latest")

    body = auth_client.get(reverse("chat-rooms")).json()

    assert [(r["room"], r["message_count"]) for r in body["results"]] == [("lobby", 2), (ROOM, 2)]
    assert body["results"][0]["last_message"] == {
        "id": last.id,
        "room": "lobby",
        "user": {"id": other.id, "username": other.username},
        "text": "latest",
        "created_at": body["results"][0]["last_message"]["created_at"],
        "edited_at": None,
    }
    assert body["results"][1]["last_message"]["text"] == "matrix 2"


def test_rooms_list_is_empty_before_anyone_speaks(auth_client, db):
    assert auth_client.get(reverse("chat-rooms")).json() == {"results": []}


@pytest.mark.parametrize("rooms", [1, 30])
def test_rooms_list_costs_the_same_queries_whatever_the_number_of_rooms(
    auth_client, db, user, django_assert_num_queries, rooms
):
    for n in range(rooms):
        Message.objects.create(room=f"movie:tt{n:07d}", user=UserFactory(), text="hi")
        RoomRead.objects.create(user=user, room=f"movie:tt{n:07d}", last_read_id=1)
    # The authenticated user, the rooms with their counts, their last messages, the caller's
    # read positions in them, the unread counts.
    with django_assert_num_queries(5):
        response = auth_client.get(reverse("chat-rooms"))
    assert len(response.json()["results"]) == rooms


def unread_counts(client) -> dict[str, int]:
    return {
        room["room"]: room["unread_count"] for room in client.get(reverse("chat-rooms")).json()["results"]
    }


def test_unread_counts_others_messages_after_the_read_position_and_all_in_a_room_never_read(
    auth_client, other_client, db, user, other_user
):
    mine = Message.objects.create(room=ROOM, user=user, text="mine")
    read_up_to = Message.objects.create(room=ROOM, user=other_user, text="read")
    Message.objects.bulk_create(Message(room=ROOM, user=other_user, text=f"new {n}") for n in range(3))
    Message.objects.create(room=ROOM, user=user, text="mine, after")
    Message.objects.bulk_create(Message(room="lobby", user=other_user, text=f"lobby {n}") for n in range(2))
    RoomRead.objects.create(user=user, room=ROOM, last_read_id=read_up_to.id)

    assert unread_counts(auth_client) == {ROOM: 3, "lobby": 2}
    # Another user's position is theirs: they never read ROOM, and their own messages never count.
    assert unread_counts(other_client) == {ROOM: 2, "lobby": 0}
    assert mine.id < read_up_to.id


def test_a_deleted_message_leaves_the_history_and_the_unread_count(auth_client, db, user, other_user):
    kept = Message.objects.create(room=ROOM, user=other_user, text="kept")
    Message.objects.create(room=ROOM, user=other_user, text="deleted").delete()
    body = auth_client.get(messages_url()).json()
    assert [m["text"] for m in body["results"]] == ["kept"]
    assert unread_counts(auth_client) == {ROOM: 1}
    assert body["results"][0]["id"] == kept.id


def test_an_edited_message_shows_when_it_was_edited(auth_client, db, other_user):
    message = Message.objects.create(room=ROOM, user=other_user, text="before")
    Message.objects.filter(id=message.id).update(text="after", edited_at=timezone.now())
    shown = auth_client.get(messages_url()).json()["results"][0]
    assert shown["text"] == "after"
    assert datetime.fromisoformat(shown["edited_at"]) >= datetime.fromisoformat(shown["created_at"])
