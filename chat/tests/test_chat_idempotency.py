"""Resending a message with its `client_id` is harmless: stored once, broadcast once."""

import asyncio
import uuid

import pytest
from django.db import DataError, IntegrityError

from authentication.tests.factories import UserFactory
from chat import services
from chat.models import Message
from chat.tests.clients import connected, unique_room
from conftest import access_token_for


def new_client_id() -> str:
    return str(uuid.uuid4())


async def received_once_barrier(sender, watcher, room: str) -> None:
    """Wait until `watcher` has a later message of `sender`: any earlier broadcast has arrived."""
    barrier = f"barrier {uuid.uuid4().hex}"
    assert (await sender.call("message", {"room": room, "text": barrier}))["ok"] is True
    await watcher.message(barrier)


def received_ids(client, room: str) -> list[int]:
    return [message["id"] for message in client.received["message"] if message["room"] == room]


def assert_two_tabs_store_and_broadcast_once(first_url, second_url):
    """Two tabs of one user (on `first_url` and `second_url`) send the same client_id at
    once; a watcher on `second_url` must get one broadcast and the database one row."""
    alice, bob = UserFactory(), UserFactory()
    tokens = access_token_for(alice), access_token_for(bob)
    room, client_id = unique_room(), new_client_id()
    payload = {"room": room, "text": "from two tabs", "client_id": client_id}

    async def scenario():
        async with (
            connected(first_url, tokens[0]) as on_first,
            connected(second_url, tokens[0]) as on_second,
            connected(second_url, tokens[1]) as watcher,
        ):
            for client in (on_first, on_second, watcher):
                await client.call("join", {"room": room})
            acks = await asyncio.gather(on_first.call("message", payload), on_second.call("message", payload))
            # Both broadcasts, had there been two, were published before their acks came.
            await received_once_barrier(on_second, watcher, room)
            await received_once_barrier(on_first, watcher, room)
            return acks, received_ids(watcher, room)

    acks, at_watcher = asyncio.run(scenario())
    stored = Message.objects.get(user=alice, client_id=client_id)
    assert sorted(bool(ack.get("duplicate")) for ack in acks) == [False, True]
    assert [ack["message"]["id"] for ack in acks] == [stored.id, stored.id]
    assert at_watcher.count(stored.id) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
class TestOverSocketIO:
    def test_resending_a_message_stores_and_broadcasts_it_once(self, live_server_url):
        alice, bob = UserFactory(), UserFactory()
        tokens = access_token_for(alice), access_token_for(bob)
        room, client_id = unique_room(), new_client_id()
        payload = {"room": room, "text": "first time", "client_id": client_id}

        async def scenario():
            async with (
                connected(live_server_url, tokens[0]) as sender,
                connected(live_server_url, tokens[1]) as watcher,
            ):
                await sender.call("join", {"room": room})
                await watcher.call("join", {"room": room})
                first = await sender.call("message", payload)
                again = await sender.call("message", payload)
                await received_once_barrier(sender, watcher, room)
                return first, again, received_ids(watcher, room), received_ids(sender, room)

        first, again, at_watcher, at_sender = asyncio.run(scenario())
        stored = Message.objects.get(client_id=client_id)
        assert first == {"ok": True, "message": first["message"]}
        assert first["message"]["id"] == stored.id
        assert again == {"ok": True, "message": first["message"], "duplicate": True}
        assert Message.objects.filter(room=room, text="first time").count() == 1
        assert at_watcher.count(stored.id) == 1
        assert at_sender.count(stored.id) == 1

    def test_a_resend_acks_the_stored_message_whatever_its_room_and_text(self, live_server_url, user):
        token = access_token_for(user)
        room, client_id = unique_room(), new_client_id()

        async def scenario():
            async with connected(live_server_url, token) as sender:
                await sender.call("join", {"room": room})
                first = await sender.call(
                    "message", {"room": room, "text": "original", "client_id": client_id}
                )
                again = await sender.call("message", {"text": "changed", "client_id": client_id})
                return first, again

        first, again = asyncio.run(scenario())
        assert again == {"ok": True, "message": first["message"], "duplicate": True}
        assert again["message"]["text"] == "original"
        assert list(Message.objects.filter(user=user).values_list("room", "text")) == [(room, "original")]

    def test_a_resend_is_acked_when_the_rate_limit_is_reached(self, live_server_url, user):
        token = access_token_for(user)
        client_ids = [new_client_id() for _ in range(services.RATE_LIMIT_MESSAGES)]

        async def scenario():
            async with connected(live_server_url, token) as sender:
                for n, client_id in enumerate(client_ids):
                    assert (await sender.call("message", {"text": f"n{n}", "client_id": client_id}))["ok"]
                resend = await sender.call("message", {"text": "n0", "client_id": client_ids[0]})
                new = await sender.call("message", {"text": "one too many", "client_id": new_client_id()})
                return resend, new

        resend, new = asyncio.run(scenario())
        assert resend["ok"] is True
        assert resend["duplicate"] is True
        assert new == {"ok": False, "error": "rate_limited"}
        assert Message.objects.filter(user=user).count() == services.RATE_LIMIT_MESSAGES

    def test_two_tabs_sending_one_client_id_at_once_store_and_broadcast_it_once(self, live_server_url):
        assert_two_tabs_store_and_broadcast_once(live_server_url, live_server_url)

    def test_different_users_may_use_the_same_client_id(self, live_server_url):
        alice, bob = UserFactory(), UserFactory()
        tokens = access_token_for(alice), access_token_for(bob)
        client_id = new_client_id()

        async def scenario():
            async with (
                connected(live_server_url, tokens[0]) as first,
                connected(live_server_url, tokens[1]) as second,
            ):
                return [
                    await first.call("message", {"text": "alice's", "client_id": client_id}),
                    await second.call("message", {"text": "bob's", "client_id": client_id}),
                ]

        acks = asyncio.run(scenario())
        assert [(ack["ok"], "duplicate" in ack) for ack in acks] == [(True, False), (True, False)]
        assert sorted(Message.objects.filter(client_id=client_id).values_list("user", "text")) == sorted(
            [(alice.id, "alice's"), (bob.id, "bob's")]
        )

    def test_client_id_is_optional_and_null_is_the_same_as_absent(self, live_server_url, user):
        token = access_token_for(user)

        async def scenario():
            async with connected(live_server_url, token) as sender:
                return [
                    await sender.call("message", {"text": "no client id"}),
                    await sender.call("message", {"text": "null client id", "client_id": None}),
                    await sender.call("message", {"text": "null client id", "client_id": None}),
                ]

        acks = asyncio.run(scenario())
        assert [(ack["ok"], "duplicate" in ack) for ack in acks] == [(True, False)] * 3
        assert list(Message.objects.filter(user=user).values_list("client_id", flat=True)) == [None] * 3

    @pytest.mark.parametrize(
        "client_id",
        [
            "",
            "x" * 65,
            "has space",
            "tab\t",
            "line\n",
            "ünïcode",
            "a.b",
            "a/b",
            42,
            1.5,
            True,
            ["a"],
            {"a": 1},
        ],
    )
    def test_a_bad_client_id_is_refused(self, live_server_url, user, client_id):
        token = access_token_for(user)

        async def scenario():
            async with connected(live_server_url, token) as sender:
                return await sender.call("message", {"text": "hello", "client_id": client_id})

        assert asyncio.run(scenario()) == {"ok": False, "error": "invalid_payload"}
        assert not Message.objects.filter(user=user).exists()

    def test_a_resend_of_a_message_stored_before_a_crash_is_acked_not_broadcast_by_one_process(
        self, one_process_server
    ):
        # One process: had it died between storing and broadcasting, everyone connected then
        # would have lost the connection too, and would find the message in the join's history.
        alice, bob = UserFactory(), UserFactory()
        tokens = access_token_for(alice), access_token_for(bob)
        room, client_id = unique_room(), new_client_id()
        stored = Message.objects.create(
            room=room, user=alice, text="stored, then a crash", client_id=client_id
        )

        async def scenario():
            async with (
                connected(one_process_server, tokens[0]) as sender,
                connected(one_process_server, tokens[1]) as watcher,
            ):
                await sender.call("join", {"room": room})
                await watcher.call("join", {"room": room})
                ack = await sender.call(
                    "message", {"room": room, "text": stored.text, "client_id": client_id}
                )
                await received_once_barrier(sender, watcher, room)
                return ack, received_ids(watcher, room)

        ack, at_watcher = asyncio.run(scenario())
        assert ack["duplicate"] is True
        assert ack["message"]["id"] == stored.id
        assert stored.id not in at_watcher


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
class TestAcrossWorkers:
    """Two uvicorn processes sharing Redis, as two workers do."""

    def test_tabs_on_two_workers_sending_one_client_id_at_once_store_and_broadcast_it_once(
        self, redis_servers
    ):
        assert_two_tabs_store_and_broadcast_once(*redis_servers)

    def test_a_resend_broadcasts_a_message_whose_worker_died_before_broadcasting_it(self, redis_servers):
        # Stored here directly: as if a worker had stored it and been killed before publishing.
        first_url, second_url = redis_servers
        alice, bob = UserFactory(), UserFactory()
        tokens = access_token_for(alice), access_token_for(bob)
        room, client_id = unique_room(), new_client_id()
        stored = Message.objects.create(room=room, user=alice, text="never broadcast", client_id=client_id)
        payload = {"room": room, "text": stored.text, "client_id": client_id}

        async def scenario():
            async with connected(first_url, tokens[0]) as sender, connected(second_url, tokens[1]) as watcher:
                await sender.call("join", {"room": room})
                await watcher.call("join", {"room": room})
                acks = [await sender.call("message", payload), await sender.call("message", payload)]
                await received_once_barrier(sender, watcher, room)
                return acks, received_ids(watcher, room), received_ids(sender, room)

        acks, at_watcher, at_sender = asyncio.run(scenario())
        assert [(ack["duplicate"], ack["message"]["id"]) for ack in acks] == [(True, stored.id)] * 2
        assert at_watcher.count(stored.id) == 1
        assert at_sender.count(stored.id) == 1
        assert Message.objects.filter(room=room, text="never broadcast").count() == 1


class TestRules:
    def test_a_resend_racing_the_first_post_is_settled_by_the_constraint(self, db, user, monkeypatch):
        # The other connection stores it between this one's lookup and its insert.
        client_id = new_client_id()
        take_slot = services.message_rate_limit_take

        def other_connection_stores_first(*, user_id):
            Message.objects.create(room="lobby", user=user, text="hello", client_id=client_id)
            return take_slot(user_id=user_id)

        monkeypatch.setattr(services, "message_rate_limit_take", other_connection_stores_first)
        posted = services.message_post(user=user, room="lobby", text="hello", client_id=client_id)
        assert posted.duplicate is True
        assert posted.message == Message.objects.get(client_id=client_id)

    def test_database_stores_one_message_per_user_and_client_id(self, db, user, other_user):
        Message.objects.create(room="lobby", user=user, text="one", client_id="abc")
        Message.objects.create(room="lobby", user=other_user, text="other user", client_id="abc")
        Message.objects.create(room="lobby", user=user, text="no id")
        Message.objects.create(room="lobby", user=user, text="no id either")
        with pytest.raises(IntegrityError):
            Message.objects.create(room="lobby", user=user, text="two", client_id="abc")

    @pytest.mark.parametrize("client_id", ["", "x" * 65, "has space", "a.b", "ünïcode"])
    def test_database_refuses_a_bad_client_id(self, db, user, client_id):
        # PostgreSQL refuses a value longer than the column with DataError.
        with pytest.raises((IntegrityError, DataError)):
            Message.objects.create(room="lobby", user=user, text="hi", client_id=client_id)
