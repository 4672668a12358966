"""`read` records how far a user has read a room, never backwards, and `join` reads it too:
the rooms list's `unread_count` is the others' messages after that."""

import asyncio

import pytest
from django.urls import reverse

from chat.models import Message, RoomRead
from chat.tests.clients import connected, unique_room
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


def unread(client, room: str) -> int:
    rooms = client.get(reverse("chat-rooms")).json()["results"]
    return next(summary["unread_count"] for summary in rooms if summary["room"] == room)


def test_read_moves_the_position_forward_only_and_unread_counts_what_follows(
    live_server_url, auth_client, user, other_user
):
    room = unique_room()
    theirs = Message.objects.bulk_create(
        Message(room=room, user=other_user, text=f"theirs {n}") for n in range(5)
    )
    Message.objects.create(room=room, user=user, text="mine, never unread")
    token = access_token_for(user)
    counts, acks = [unread(auth_client, room)], []

    async def read(last_read_id):
        async with connected(live_server_url, token) as client:
            return await client.call("read", {"room": room, "last_read_id": last_read_id})

    for last_read_id in [theirs[2].id, theirs[0].id, 10**12]:
        acks.append(asyncio.run(read(last_read_id)))
        counts.append(unread(auth_client, room))

    newest = Message.objects.filter(room=room).latest("id").id
    assert acks == [
        {"ok": True, "room": room, "last_read_id": theirs[2].id},
        {"ok": True, "room": room, "last_read_id": theirs[2].id},  # never backwards
        {"ok": True, "room": room, "last_read_id": newest},  # no further than the newest message
    ]
    assert counts == [5, 2, 2, 0]
    assert RoomRead.objects.get(user=user, room=room).last_read_id == newest


def test_joining_a_room_reads_it(live_server_url, auth_client, user, other_user):
    room = unique_room()
    Message.objects.bulk_create(Message(room=room, user=other_user, text=f"before {n}") for n in range(3))
    token, other_token = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with (
            connected(live_server_url, token) as reader,
            connected(live_server_url, other_token) as writer,
        ):
            await reader.call("join", {"room": room})
            joined = await asyncio.to_thread(unread, auth_client, room)
            await writer.call("join", {"room": room})
            await writer.call("message", {"room": room, "text": "after the join"})
            await reader.message("after the join")
            return joined, await asyncio.to_thread(unread, auth_client, room)

    assert asyncio.run(scenario()) == (0, 1)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"last_read_id": "NEWEST"}, "invalid_payload"),
        ({"room": ["ROOM"], "last_read_id": "NEWEST"}, "invalid_payload"),
        ({"room": "ROOM"}, "invalid_payload"),
        ({"room": "ROOM", "last_read_id": "12"}, "invalid_payload"),
        ({"room": "ROOM", "last_read_id": True}, "invalid_payload"),
        ({"room": "ROOM", "last_read_id": 0}, "invalid_payload"),
        ({"room": "ROOM", "last_read_id": -3}, "invalid_payload"),
        ({"room": "ROOM", "last_read_id": 2.5}, "invalid_payload"),
        ("ROOM", "invalid_payload"),
        ({"room": "Not A Room", "last_read_id": "NEWEST"}, "invalid_room"),
        ({"room": "EMPTY", "last_read_id": "NEWEST"}, "not_found"),
        ({"room": "ROOM", "last_read_id": "BEFORE FIRST"}, "not_found"),
    ],
)
def test_bad_reads_are_refused_and_record_nothing(live_server_url, user, other_user, payload, error):
    room = unique_room()
    # Before the room's first message: an id at or before it, in another room, does not count.
    Message.objects.create(room="lobby", user=other_user, text="elsewhere")
    first = Message.objects.create(room=room, user=other_user, text="the first")
    Message.objects.create(room=room, user=other_user, text="the newest")
    names = {"ROOM": room, "EMPTY": unique_room(), "NEWEST": 10**9, "BEFORE FIRST": first.id - 1}

    def filled(value):
        if isinstance(value, dict):
            return {key: filled(item) for key, item in value.items()}
        if isinstance(value, list):
            return [filled(item) for item in value]
        return names.get(value, value) if isinstance(value, str) else value

    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("read", filled(payload))

    assert asyncio.run(scenario()) == {"ok": False, "error": error}
    assert not RoomRead.objects.filter(user=user).exists()
