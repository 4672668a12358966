"""Every refusal: an `{ok: false, error}` acknowledgement, and nothing stored or sent."""

import asyncio
import time
from datetime import timedelta

import pytest
import socketio
from asgiref.sync import sync_to_async
from django.db import connection, connections
from rest_framework_simplejwt.tokens import AccessToken

from chat.models import Message
from chat.tests.clients import WAIT_SECONDS, ChatClient, connected, unique_room
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


async def refusal_message(url, token, transports):
    client = ChatClient(url, token, transports=transports)
    errors = []
    client.client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()
    return errors[0]["message"]


@pytest.mark.parametrize("transports", [None, ["websocket"]])
def test_expired_token_is_refused(live_server_url, user, transports):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert asyncio.run(refusal_message(live_server_url, str(token), transports)) == "authentication failed"


def test_token_of_an_inactive_user_is_refused(live_server_url, user):
    token = access_token_for(user)
    user.is_active = False
    user.save()
    assert asyncio.run(refusal_message(live_server_url, token, ["websocket"])) == "authentication failed"


@pytest.mark.parametrize("transports", [None, ["websocket"]])
def test_token_issued_before_a_password_change_is_refused(live_server_url, user, transports):
    token = access_token_for(user)

    async def connects(token):
        async with connected(live_server_url, token, transports=transports) as client:
            return client.client.connected

    assert asyncio.run(connects(token)) is True
    user.set_password("a-new-and-better-passphrase")
    user.save()
    assert asyncio.run(refusal_message(live_server_url, token, transports)) == "authentication failed"
    assert asyncio.run(connects(access_token_for(user))) is True


def test_a_connection_keeps_its_user_without_the_password_hash(user):
    from chat.socket_server import user_for_access_token

    token = access_token_for(user)

    async def look_up():
        try:
            return await user_for_access_token(token)
        finally:  # the thread it ran in lets go of the test database
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    authenticated = asyncio.run(look_up()).user
    assert authenticated.id == user.id
    assert "password" in authenticated.get_deferred_fields()


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"room": "Movie:TT1"}, "invalid_room"),
        ({"room": ""}, "invalid_room"),
        ({"room": "-starts-with-a-dash"}, "invalid_room"),
        ({"room": "a" * 65}, "invalid_room"),
        ({"room": "has space"}, "invalid_room"),
        ({"room": "lobby\n"}, "invalid_room"),
        ({"room": 42}, "invalid_payload"),
        ({"room": None}, "invalid_payload"),
        ({}, "invalid_payload"),
        ("movie:tt0133093", "invalid_payload"),
        (["movie:tt0133093"], "invalid_payload"),
        (None, "invalid_payload"),
    ],
)
def test_join_with_a_bad_room_is_refused(live_server_url, user, payload, error):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("join", *([] if payload is None else [payload]))

    assert asyncio.run(scenario()) == {"ok": False, "error": error}


@pytest.mark.parametrize("event", ["leave", "typing"])
@pytest.mark.parametrize(
    ("payload", "error"), [({"room": "NOPE"}, "invalid_room"), ("lobby", "invalid_payload")]
)
def test_leave_and_typing_with_a_bad_room_are_refused(live_server_url, user, event, payload, error):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call(event, payload)

    assert asyncio.run(scenario()) == {"ok": False, "error": error}


def test_leaving_a_room_not_joined_is_fine(live_server_url, user):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("leave", {"room": "movie:tt0133093"})

    assert asyncio.run(scenario()) == {"ok": True, "room": "movie:tt0133093"}


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("", "empty_message"),
        (" \n\t ", "empty_message"),
        ({"room": "lobby", "text": "   "}, "empty_message"),
        ("\x00", "empty_message"),
        ({"text": "\x00\x1b\r\n\x85 "}, "empty_message"),
        ("\ud800", "invalid_payload"),
        ({"text": "a lone \udfff"}, "invalid_payload"),
        ("x" * 2001, "message_too_long"),
        ({"text": "y" * 2001}, "message_too_long"),
        ({"room": "Bad Room", "text": "hi"}, "invalid_room"),
        ({"room": "movie:tt0133093", "text": "hi"}, "not_in_room"),
        ({"room": "lobby"}, "invalid_payload"),
        ({"room": "lobby", "text": 42}, "invalid_payload"),
        ({"room": 7, "text": "hi"}, "invalid_payload"),
        (["hi"], "invalid_payload"),
        (12, "invalid_payload"),
        (None, "invalid_payload"),
    ],
)
def test_bad_message_is_refused_and_not_sent(live_server_url, user, other_user, payload, error):
    tokens = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as sender,
            connected(live_server_url, tokens[1]) as other,
        ):
            ack = await sender.call("message", *([] if payload is None else [payload]))
            await sender.call("message", "barrier")
            await other.message("barrier")
            return ack, other.texts()

    ack, received = asyncio.run(scenario())
    assert ack == {"ok": False, "error": error}
    assert received == ["barrier"]
    assert list(Message.objects.values_list("text", flat=True)) == ["barrier"]


def test_message_of_exactly_2000_characters_after_trimming_is_accepted(live_server_url, user):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("message", "  " + "z" * 2000 + "\n")

    ack = asyncio.run(scenario())
    assert ack["ok"] is True
    assert ack["message"]["text"] == "z" * 2000


def test_typing_in_a_room_not_joined_is_refused(live_server_url, user):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            return await client.call("typing", {"room": unique_room()})

    assert asyncio.run(scenario()) == {"ok": False, "error": "not_in_room"}


def test_typing_is_relayed_at_most_once_a_second_per_user_and_room(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)
    room, other_room = unique_room(), unique_room()

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as first_tab,
            connected(live_server_url, tokens[0], transports=None) as second_tab,
            connected(live_server_url, tokens[1]) as reader,
        ):
            for client in (first_tab, second_tab, reader):
                await client.call("join", {"room": room})
            await first_tab.call("join", {"room": other_room})
            started = time.monotonic()
            tabs = first_tab, second_tab
            burst = [await tabs[n % 2].call("typing", {"room": room}) for n in range(20)]
            in_other_room = await first_tab.call("typing", {"room": other_room})
            # Relayed before the message that follows them, had they been relayed.
            await first_tab.call("message", {"room": room, "text": "barrier"})
            await reader.message("barrier")
            relayed_in_the_burst = list(reader.received["typing"])
            deadline = started + WAIT_SECONDS
            while (later := await second_tab.call("typing", {"room": room}))["ok"] is False:
                assert time.monotonic() < deadline, later
                await asyncio.sleep(0.1)
            accepted_after = time.monotonic() - started
            await reader.wait_until(lambda: len(reader.received["typing"]) == 2, "the later typing")
            return burst, in_other_room, relayed_in_the_burst, accepted_after

    burst, in_other_room, relayed_in_the_burst, accepted_after = asyncio.run(scenario())
    assert burst == [{"ok": True, "room": room}] + [{"ok": False, "error": "rate_limited"}] * 19
    assert in_other_room == {"ok": True, "room": other_room}
    assert relayed_in_the_burst == [{"room": room, "user": {"id": user.id, "username": user.username}}]
    assert accepted_after >= 1


def test_eleventh_message_in_ten_seconds_is_refused_and_not_broadcast(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as sender,
            connected(live_server_url, tokens[1]) as other,
        ):
            acks = [await sender.call("message", f"burst {n}") for n in range(11)]
            await other.call("message", "barrier")
            await other.message("barrier")
            return acks, other.texts()

    acks, received = asyncio.run(scenario())
    assert [ack["ok"] for ack in acks] == [True] * 10 + [False]
    assert acks[10] == {"ok": False, "error": "rate_limited"}
    assert received == [f"burst {n}" for n in range(10)] + ["barrier"]
    assert Message.objects.filter(user=user).count() == 10


def test_rate_limit_counts_every_connection_of_a_user(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with (
            connected(live_server_url, tokens[0]) as first_tab,
            connected(live_server_url, tokens[0], transports=None) as second_tab,
            connected(live_server_url, tokens[1]) as other,
        ):
            acks = []
            for n in range(11):
                tab = first_tab if n % 2 == 0 else second_tab
                acks.append(await tab.call("message", f"tab burst {n}"))
            await other.call("message", "barrier")
            await other.message("barrier")
            return acks, other.texts()

    acks, received = asyncio.run(scenario())
    assert [ack["ok"] for ack in acks] == [True] * 10 + [False]
    assert acks[10]["error"] == "rate_limited"
    assert received == [f"tab burst {n}" for n in range(10)] + ["barrier"]


def test_refused_messages_do_not_count_against_the_rate_limit(live_server_url, user):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            refused = [await client.call("message", "   ") for _ in range(5)]
            accepted = [await client.call("message", f"fine {n}") for n in range(10)]
            return refused, accepted

    refused, accepted = asyncio.run(scenario())
    assert {ack["error"] for ack in refused} == {"empty_message"}
    assert all(ack["ok"] for ack in accepted)


def test_message_that_cannot_be_stored_is_refused_and_reaches_nobody(live_server_url, user, other_user):
    """The author's account is deleted while connected: the insert's foreign key fails."""
    tokens = access_token_for(user), access_token_for(other_user)

    async def scenario(delete_author):
        async with (
            connected(live_server_url, tokens[0]) as sender,
            connected(live_server_url, tokens[1]) as other,
        ):
            await asyncio.to_thread(delete_author)
            ack = await sender.call("message", "into the void")
            await other.call("message", "barrier")
            await other.message("barrier")
            return ack, other.texts()

    def delete_author():
        try:
            user.delete()
        finally:
            connection.close()  # this thread's own connection

    ack, received = asyncio.run(scenario(delete_author))
    assert ack == {"ok": False, "error": "storage_failed"}
    assert received == ["barrier"]
    assert not Message.objects.filter(text="into the void").exists()


def test_a_connection_is_in_at_most_50_rooms(live_server_url, user):
    token = access_token_for(user)

    async def scenario():
        async with connected(live_server_url, token) as client:
            acks = [await client.call("join", {"room": f"room-{n}"}) for n in range(49)]
            refused = await client.call("join", {"room": "one-too-many"})
            rejoin = await client.call("join", {"room": "room-0"})
            await client.call("leave", {"room": "room-0"})
            after_leaving = await client.call("join", {"room": "one-too-many"})
            return acks, refused, rejoin, after_leaving

    acks, refused, rejoin, after_leaving = asyncio.run(scenario())
    assert all(ack["ok"] for ack in acks)  # with the lobby, 50 rooms
    assert refused == {"ok": False, "error": "too_many_rooms"}
    assert rejoin["ok"] is True
    assert after_leaving["ok"] is True
