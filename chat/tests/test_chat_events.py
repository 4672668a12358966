"""The chat as a socket.io client sees it: join, message, typing, leave, presence."""

import asyncio

import pytest

from authentication.tests.factories import UserFactory
from chat.models import Message
from chat.tests.clients import connected, unique_room
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


def test_join_acks_members_and_the_last_50_messages_oldest_first(live_server_url, user, other_user):
    room = unique_room()
    Message.objects.bulk_create(Message(room=room, user=other_user, text=f"old {n}") for n in range(55))
    Message.objects.create(room="lobby", user=other_user, text="elsewhere")
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("join", {"room": room})

    ack = asyncio.run(scenario())
    assert ack["ok"] is True
    assert ack["room"] == room
    assert ack["members"] == [user.username]
    assert [message["text"] for message in ack["history"]] == [f"old {n}" for n in range(5, 55)]
    first = ack["history"][0]
    assert set(first) == {"id", "room", "user", "text", "created_at", "edited_at"}
    assert first["room"] == room
    assert first["user"] == {"id": other_user.id, "username": other_user.username}


def test_message_is_stored_acked_and_broadcast_to_the_room_only(live_server_url):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    tokens = [access_token_for(u) for u in (alice, bob, carol)]
    room = unique_room()

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as sender,
            connected(live_server_url, tokens[1]) as member,
            connected(live_server_url, tokens[2]) as outsider,
        ):
            await sender.call("join", {"room": room})
            await member.call("join", {"room": room})
            ack = await sender.call("message", {"room": room, "text": "  what a film  "})
            at_member = await member.message("what a film")
            at_sender = await sender.message("what a film")
            # Everyone is in the lobby: once the outsider has this later lobby message, it
            # would have had the room's message too, had it been sent there.
            await sender.call("message", "barrier")
            await outsider.message("barrier")
            return ack, at_member, at_sender, outsider.texts()

    ack, at_member, at_sender, outsider_texts = asyncio.run(scenario())
    assert ack["ok"] is True
    stored = Message.objects.get(room=room)
    assert stored.text == "what a film"
    assert stored.user == alice
    assert ack["message"] == at_member == at_sender
    assert ack["message"]["id"] == stored.id
    assert ack["message"]["user"] == {"id": alice.id, "username": alice.username}
    assert ack["message"]["created_at"].endswith("Z")
    assert outsider_texts == ["barrier"]


def test_bare_string_message_goes_to_the_lobby(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as sender,
            connected(live_server_url, tokens[1]) as other,
        ):
            ack = await sender.call("message", "hello lobby")
            return ack, await other.message("hello lobby")

    ack, received = asyncio.run(scenario())
    assert ack["ok"] is True
    assert received == ack["message"]
    assert received["room"] == "lobby"
    assert Message.objects.filter(room="lobby", text="hello lobby", user=user).count() == 1


def test_message_with_a_room_key_omitted_goes_to_the_lobby(live_server_url, user):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("message", {"text": "no room given"})

    ack = asyncio.run(scenario())
    assert ack["ok"] is True
    assert ack["message"]["room"] == "lobby"


def test_typing_reaches_the_others_in_the_room_but_not_the_typist(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)
    room = unique_room()

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as typist,
            connected(live_server_url, tokens[1]) as reader,
        ):
            await typist.call("join", {"room": room})
            await reader.call("join", {"room": room})
            ack = await typist.call("typing", {"room": room})
            typing = await reader.wait_until(lambda: reader.received["typing"], "typing")
            # The reader's message is broadcast after the typing was: once the typist has
            # it, a typing event addressed to the typist would have arrived first.
            await reader.call("message", {"room": room, "text": "barrier"})
            await typist.message("barrier")
            return ack, typing, typist.received["typing"]

    ack, typing, typist_typing = asyncio.run(scenario())
    assert ack == {"ok": True, "room": room}
    assert typing == [{"room": room, "user": {"id": user.id, "username": user.username}}]
    assert typist_typing == []


def test_presence_follows_join_leave_and_disconnect(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)
    room = unique_room()
    names = sorted([user.username, other_user.username])

    async def scenario():
        async with connected(live_server_url, tokens[0]) as watcher:
            await watcher.call("join", {"room": room})
            await watcher.presence(room, [user.username])
            async with connected(live_server_url, tokens[1]) as visitor:
                ack = await visitor.call("join", {"room": room})
                await watcher.presence(room, names)
                await visitor.presence(room, names)
                assert await visitor.call("leave", {"room": room}) == {"ok": True, "room": room}
                await watcher.presence(room, [user.username])
                await visitor.call("join", {"room": room})
                await watcher.presence(room, names)
            # The visitor disconnected without leaving.
            await watcher.presence(room, [user.username])
            return ack

    ack = asyncio.run(scenario())
    assert ack["members"] == names


def test_after_leaving_a_room_its_messages_no_longer_arrive(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)
    room = unique_room()

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as leaver,
            connected(live_server_url, tokens[1]) as sender,
        ):
            await leaver.call("join", {"room": room})
            await sender.call("join", {"room": room})
            await sender.call("message", {"room": room, "text": "before"})
            await leaver.message("before")
            await leaver.call("leave", {"room": room})
            refused = await leaver.call("message", {"room": room, "text": "after leaving"})
            await sender.call("message", {"room": room, "text": "after"})
            await sender.call("message", "barrier")
            await leaver.message("barrier")
            return refused, leaver.texts()

    refused, texts = asyncio.run(scenario())
    assert refused == {"ok": False, "error": "not_in_room"}
    assert texts == ["before", "barrier"]


def test_events_sent_back_to_back_take_effect_in_order(live_server_url, user):
    token = access_token_for(user)
    room = unique_room()

    async def scenario():
        async with connected(live_server_url, token) as client:
            # No waiting for acks between them: the join must be done before the messages.
            await client.client.emit("join", {"room": room})
            for n in range(5):
                await client.client.emit("message", {"room": room, "text": f"in order {n}"})
            await client.wait_until(lambda: len(client.texts(room)) == 5, "five messages")
            return client.texts(room)

    assert asyncio.run(scenario()) == [f"in order {n}" for n in range(5)]
    assert list(Message.objects.filter(room=room).order_by("id").values_list("text", flat=True)) == [
        f"in order {n}" for n in range(5)
    ]


def test_chat_works_over_polling_only(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)
    room = unique_room()

    async def scenario():
        async with (
            connected(live_server_url, tokens[0], transports=["polling"]) as poller,
            connected(live_server_url, tokens[1]) as other,
        ):
            join = await poller.call("join", {"room": room})
            await other.call("join", {"room": room})
            await other.call("message", {"room": room, "text": "to the poller"})
            received = await poller.message("to the poller")
            await poller.presence(room, sorted([user.username, other_user.username]))
            return join, received, poller.client.transport()

    join, received, transport = asyncio.run(scenario())
    assert join["ok"] is True
    assert received["user"]["id"] == other_user.id
    assert transport == "polling"
