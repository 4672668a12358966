"""Chat history over REST: rooms list and message pages, newest first, by cursor."""

import pytest
from django.urls import reverse

from authentication.tests.factories import UserFactory
from chat.models import Message

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
    assert set(first) == {"id", "room", "user", "text", "created_at"}
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
    }
    assert body["results"][1]["last_message"]["text"] == "matrix 2"


def test_rooms_list_is_empty_before_anyone_speaks(auth_client, db):
    assert auth_client.get(reverse("chat-rooms")).json() == {"results": []}


def test_rooms_list_costs_the_same_queries_whatever_the_number_of_rooms(
    auth_client, db, user, django_assert_num_queries
):
    for n in range(30):
        Message.objects.create(room=f"movie:tt{n:07d}", user=UserFactory(), text="hi")
    # The authenticated user, the rooms with their counts, their last messages.
    with django_assert_num_queries(3):
        response = auth_client.get(reverse("chat-rooms"))
    assert len(response.json()["results"]) == 30
