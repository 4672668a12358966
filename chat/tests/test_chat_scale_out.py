"""Two uvicorn processes sharing Redis act as one chat server: a client on each."""

import asyncio
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from authentication.tests.factories import UserFactory
from chat.models import Message
from chat.tests.clients import ChatClient, connected, unique_room
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


def test_clients_on_two_workers_get_each_others_messages_presence_and_typing(redis_servers):
    first_url, second_url = redis_servers
    alice, bob = UserFactory(), UserFactory()
    tokens = access_token_for(alice), access_token_for(bob)
    room = unique_room()
    both = sorted([alice.username, bob.username])

    async def scenario():
        async with connected(first_url, tokens[0]) as on_first:
            await on_first.call("join", {"room": room})
            async with connected(second_url, tokens[1], transports=None) as on_second:
                join = await on_second.call("join", {"room": room})
                await on_first.presence(room, both)
                await on_first.call("message", {"room": room, "text": "from the first worker"})
                await on_second.call("message", {"room": room, "text": "from the second worker"})
                from_first = await on_second.message("from the first worker")
                from_second = await on_first.message("from the second worker")
                await on_second.call("typing", {"room": room})
                typing = await on_first.wait_until(lambda: on_first.received["typing"], "typing")
            await on_first.presence(room, [alice.username])
            return join, from_first, from_second, typing

    join, from_first, from_second, typing = asyncio.run(scenario())
    assert join["members"] == both
    assert from_first["user"]["username"] == alice.username
    assert from_second["user"]["username"] == bob.username
    assert typing == [{"room": room, "user": {"id": bob.id, "username": bob.username}}]


def test_two_tabs_on_two_workers_count_as_one_present_user(redis_servers):
    first_url, second_url = redis_servers
    alice, bob = UserFactory(), UserFactory()
    tokens = access_token_for(alice), access_token_for(bob)
    room = unique_room()

    async def scenario():
        async with connected(first_url, tokens[1]) as watcher:
            await watcher.call("join", {"room": room})
            async with connected(first_url, tokens[0]) as tab_on_first:
                async with connected(second_url, tokens[0]) as tab_on_second:
                    await tab_on_first.call("join", {"room": room})
                    members = (await tab_on_second.call("join", {"room": room}))["members"]
                    await tab_on_first.call("leave", {"room": room})
                    after_one_leave = (await watcher.call("join", {"room": room}))["members"]
                await watcher.presence(room, [bob.username])
            return members, after_one_leave

    members, after_one_leave = asyncio.run(scenario())
    assert members == sorted([alice.username, bob.username])
    assert after_one_leave == members


def test_rate_limit_is_shared_by_a_users_connections_on_two_workers(redis_servers):
    first_url, second_url = redis_servers
    alice, bob = UserFactory(), UserFactory()
    tokens = access_token_for(alice), access_token_for(bob)

    async def scenario():
        async with (
            connected(first_url, tokens[0]) as tab_on_first,
            connected(second_url, tokens[0]) as tab_on_second,
            connected(first_url, tokens[1]) as reader,
        ):
            acks = []
            for n in range(11):
                tab = tab_on_first if n % 2 == 0 else tab_on_second
                acks.append(await tab.call("message", f"spread {n}"))
            # The refused 11th came through the reader's worker: had it been broadcast, it
            # would be there before this barrier. The others may come through Redis later.
            await reader.call("message", "barrier")
            await reader.message("barrier")
            await reader.wait_until(lambda: len(reader.texts()) >= 11, "ten messages and the barrier")
            return acks, reader.texts()

    acks, received = asyncio.run(scenario())
    assert [ack["ok"] for ack in acks] == [True] * 10 + [False]
    assert acks[10]["error"] == "rate_limited"
    assert sorted(received) == sorted([f"spread {n}" for n in range(10)] + ["barrier"])
    assert Message.objects.filter(user=alice).count() == 10


def test_typing_limit_is_shared_by_a_users_connections_on_two_workers(redis_servers):
    first_url, second_url = redis_servers
    alice, bob = UserFactory(), UserFactory()
    tokens = access_token_for(alice), access_token_for(bob)
    room = unique_room()

    async def scenario():
        async with (
            connected(first_url, tokens[0]) as tab_on_first,
            connected(second_url, tokens[0]) as tab_on_second,
            connected(first_url, tokens[1]) as reader,
        ):
            for client in (tab_on_first, tab_on_second, reader):
                await client.call("join", {"room": room})
            tabs = tab_on_first, tab_on_second
            acks = [await tabs[n % 2].call("typing", {"room": room}) for n in range(20)]
            # Typing relayed by either worker would reach the reader before this message:
            # the first's at once, the second's through Redis ahead of it.
            await tab_on_second.call("message", {"room": room, "text": "barrier"})
            await reader.message("barrier")
            return acks, reader.received["typing"]

    acks, typing = asyncio.run(scenario())
    assert [ack["ok"] for ack in acks] == [True] + [False] * 19
    assert {ack.get("error") for ack in acks[1:]} == {"rate_limited"}
    assert typing == [{"room": room, "user": {"id": alice.id, "username": alice.username}}]


def test_expired_connection_on_one_worker_is_ended_once_and_the_others_stay(redis_servers):
    first_url, second_url = redis_servers
    alice, bob = UserFactory(), UserFactory()
    token = RefreshToken.for_user(alice).access_token
    token.set_exp(lifetime=timedelta(seconds=3))
    bob_token = access_token_for(bob)

    async def scenario():
        async with connected(first_url, bob_token) as staying:
            expiring = ChatClient(second_url, str(token), transports=None)
            await expiring.connect()
            try:
                await staying.presence("lobby", sorted([alice.username, bob.username]))
                await expiring.wait_until(lambda: expiring.disconnects, "the disconnect")
                await staying.presence("lobby", [bob.username])
                after = await staying.call("message", "still here")
                return list(expiring.received["session_expired"]), after, staying.client.connected
            finally:
                await expiring.close()

    expired, after, staying_connected = asyncio.run(scenario())
    assert expired == [{}]
    assert after["ok"] is True
    assert staying_connected is True
