"""Presence counts people, not connections: a user with two tabs leaves with the last one."""

import asyncio
import uuid

import pytest

from chat.presence import Presence, RedisPresence
from chat.tests.clients import connected, unique_room
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


def test_user_with_two_tabs_stays_present_until_the_last_tab_leaves(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)
    room = unique_room()
    both = sorted([user.username, other_user.username])

    async def scenario():
        async with connected(live_server_url, tokens[1]) as watcher:
            await watcher.call("join", {"room": room})
            async with connected(live_server_url, tokens[0]) as first_tab:
                async with connected(live_server_url, tokens[0], transports=None) as second_tab:
                    first_join = await first_tab.call("join", {"room": room})
                    second_join = await second_tab.call("join", {"room": room})
                    await watcher.presence(room, both)
                    await first_tab.call("leave", {"room": room})
                    # A connection joining now sees who is present after that leave.
                    after_one_leave = (await watcher.call("join", {"room": room}))["members"]
                # The second tab disconnected: the user has no connection in the room left.
                await watcher.presence(room, [other_user.username])
                after_last_tab = (await watcher.call("join", {"room": room}))["members"]
            return first_join["members"], second_join["members"], after_one_leave, after_last_tab

    first_members, second_members, after_one_leave, after_last_tab = asyncio.run(scenario())
    assert first_members == both
    assert second_members == both
    assert after_one_leave == both
    assert after_last_tab == [other_user.username]


def test_every_connection_is_present_in_the_lobby(live_server_url, user, other_user):
    tokens = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with connected(live_server_url, tokens[0]) as first:
            async with connected(live_server_url, tokens[1]):
                lobby = (await first.call("join", {"room": "lobby"}))["members"]
                await first.wait_until(
                    lambda: any(other_user.username in p["users"] for p in first.received["presence"]),
                    "the other user in the lobby's presence",
                )
            return lobby

    lobby = asyncio.run(scenario())
    # Other tests' connections may still be on their way out: only ours are certain.
    assert {user.username, other_user.username} <= set(lobby)


def test_presence_of_a_worker_that_died_disappears(redis_url):
    """A worker killed without cleaning up leaves entries behind: once its heartbeat key
    expires they are ignored by every other worker, and deleted."""
    prefix = f"scrapbook-test-{uuid.uuid4().hex[:10]}"

    async def scenario():
        survivor, doomed = RedisPresence(redis_url, prefix=prefix), RedisPresence(redis_url, prefix=prefix)
        try:
            await survivor.add(room="lobby", sid="sid-1", username="alice")
            await doomed.add(room="lobby", sid="sid-2", username="bob")
            await doomed.add(room="lobby", sid="sid-3", username="alice")
            before = await survivor.users("lobby")
            # What expiry does when a dead worker stops refreshing its heartbeat.
            await survivor.redis.delete(doomed.worker_key(doomed.worker_id))
            after = await survivor.users("lobby")
            left_in_redis = await survivor.redis.hkeys(survivor.room_key("lobby"))
            return before, after, left_in_redis
        finally:
            for presence in (survivor, doomed):
                presence.heartbeat_task.cancel()
                await presence.redis.delete(
                    presence.room_key("lobby"), presence.worker_key(presence.worker_id)
                )
                await presence.redis.aclose()

    before, after, left_in_redis = asyncio.run(scenario())
    assert before == ["alice", "bob"]
    assert after == ["alice"]
    assert left_in_redis == ["sid-1"]


def test_in_memory_presence_counts_users_once_and_forgets_closed_connections():
    presence = Presence()

    async def scenario():
        await presence.add(room="movie:tt0133093", sid="tab-1", username="alice")
        await presence.add(room="movie:tt0133093", sid="tab-2", username="alice")
        await presence.add(room="lobby", sid="tab-1", username="alice")
        both_tabs = await presence.users("movie:tt0133093")
        rooms = await presence.remove_connection(sid="tab-1")
        one_tab = await presence.users("movie:tt0133093")
        await presence.remove(room="movie:tt0133093", sid="tab-2")
        return both_tabs, sorted(rooms), one_tab, await presence.users("movie:tt0133093")

    both_tabs, rooms, one_tab, none = asyncio.run(scenario())
    assert both_tabs == one_tab == ["alice"]
    assert rooms == ["lobby", "movie:tt0133093"]
    assert none == []
    assert presence.rooms == {}
