"""A uvicorn worker killed mid-chat: its clients reconnect, no stored message is lost, none
is duplicated.

Two uvicorn processes, A and B, share Redis. Alice, on A, sends a steady stream of
messages to a room; Bob, on B, reads it. A is SIGKILLed mid-stream and a new process
takes its port. Alice's client does what a frontend does: socket.io's automatic
reconnection, a `join` of its room on every connect, and an outbox of the messages whose
ack has not come, resent with their `client_id` once the room is joined again.

Alice reaches A through a TCP proxy that the test can cut, so that both ways a crash
catches a message happen on every run rather than by chance: stored and broadcast but
its ack lost (the worker died before the ack left), and sent but never received.
"""

import asyncio
import contextlib
import subprocess
import uuid
from collections import Counter
from contextlib import ExitStack
from functools import partial

import pytest
import socketio

from authentication.tests.factories import UserFactory
from chat.models import Message
from chat.tests.clients import WAIT_SECONDS, ChatClient, unique_room
from chat.tests.conftest import SERVER_ERROR_LOG
from conftest import access_token_for
from tests.servers import free_port, uvicorn_process

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

# Starting a uvicorn process on a busy two-core machine can take a few seconds.
RECONNECT_SECONDS = 30


class Link:
    """One proxied connection. Each direction can be cut: what it carries then is dropped."""

    def __init__(self):
        self.requests_cut = False  # client to server
        self.replies_cut = False  # server to client
        self.requests_dropped = 0  # bytes


class CuttableProxy:
    """A TCP proxy to a port on this host; a connection to it closes when the server's does."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.links: list[Link] = []
        self.dropped = asyncio.Event()  # set whenever request bytes are dropped

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def close(self) -> None:
        self.server.close()

    def cut_replies(self) -> None:
        for link in self.links:
            link.replies_cut = True

    def cut_requests(self) -> None:
        for link in self.links:
            link.requests_cut = True

    async def accept(self, client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:  # the server is down: the client sees a closed connection and retries
            client_writer.close()
            return
        link = Link()
        self.links.append(link)
        pumps = [
            asyncio.create_task(self.pump(client_reader, server_writer, link, requests=True)),
            asyncio.create_task(self.pump(server_reader, client_writer, link, requests=False)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
        client_writer.close()
        server_writer.close()

    async def pump(self, reader, writer, link: Link, *, requests: bool) -> None:
        try:
            while data := await reader.read(65536):
                if requests and link.requests_cut:
                    link.requests_dropped += len(data)
                    self.dropped.set()
                elif not requests and link.replies_cut:
                    continue
                else:
                    writer.write(data)
                    await writer.drain()
        except OSError:  # reset by the killed server
            return


class ResendingSender:
    """Alice's client, written as the frontend's: reconnecting by itself, joining its room
    on every connect, then sending each message not acked yet, with its client_id."""

    def __init__(self, url: str, token: str, room: str):
        self.url, self.token, self.room = url, token, room
        self.client = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.1, reconnection_delay_max=0.5, randomization_factor=0
        )
        self.texts: dict[str, str] = {}  # client_id -> text, in the order sent
        self.unacked: dict[str, str] = {}  # the same, until an ok ack comes
        self.acks: dict[str, list[dict]] = {}
        self.join_acks: list[dict] = []
        self.sent_on: dict[str, int] = {}  # client_id -> the connection it was last sent on
        self.connects = 0
        self.joined = False
        self.changed = asyncio.Condition()
        self.client.on("connect", self.on_connect)
        self.client.on("disconnect", self.on_disconnect)

    async def connect(self) -> None:
        await self.client.connect(
            self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=WAIT_SECONDS
        )

    async def on_connect(self):
        self.connects += 1
        self.joined = False
        await self.client.emit("join", {"room": self.room}, callback=partial(self.on_join, self.connects))

    async def on_disconnect(self, reason=None):
        self.joined = False

    async def on_join(self, connection: int, ack: dict):
        self.join_acks.append(ack)
        if not ack.get("ok") or connection != self.connects:
            return
        self.joined = True
        for client_id in list(self.unacked):
            if self.sent_on.get(client_id) != connection:
                await self.emit_message(client_id)
        await self.notify()

    async def on_ack(self, client_id: str, ack: dict):
        self.acks.setdefault(client_id, []).append(ack)
        if ack.get("ok"):
            self.unacked.pop(client_id, None)
        await self.notify()

    async def notify(self):
        async with self.changed:
            self.changed.notify_all()

    async def send(self, text: str) -> str:
        """Queue a message, and send it now if the room is joined; return its client_id."""
        client_id = str(uuid.uuid4())
        self.texts[client_id] = text
        self.unacked[client_id] = text
        if self.joined:
            await self.emit_message(client_id)
        return client_id

    async def emit_message(self, client_id: str) -> None:
        self.sent_on[client_id] = self.connects
        payload = {"room": self.room, "text": self.texts[client_id], "client_id": client_id}
        # Disconnected meanwhile: it is sent again after the next join.
        with contextlib.suppress(socketio.exceptions.SocketIOError):
            await self.client.emit("message", payload, callback=partial(self.on_ack, client_id))

    async def wait_until(self, condition, what: str, seconds: float = WAIT_SECONDS) -> None:
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(condition), seconds)
            except TimeoutError:
                raise AssertionError(
                    f"Waited {seconds} s for {what}; acks {self.acks}, join acks {self.join_acks}, "
                    f"unacked {list(self.unacked.values())}"
                ) from None

    async def all_acked(self, seconds: float = WAIT_SECONDS) -> None:
        await self.wait_until(lambda: not self.unacked, "an ok ack of every message", seconds)


def test_clients_of_a_killed_worker_reconnect_and_no_stored_message_is_lost_or_duplicated(
    redis_server_env, tmp_path
):
    alice, bob = UserFactory(), UserFactory()
    tokens = access_token_for(alice), access_token_for(bob)
    room = unique_room()
    port_a, port_b = free_port(), free_port()

    with ExitStack() as stack:
        b_log = stack.enter_context(open(tmp_path / "b.log", "w"))
        restarted_log = stack.enter_context(open(tmp_path / "a-restarted.log", "w"))
        stack.enter_context(
            uvicorn_process(port=port_b, extra_env=redis_server_env, stdout=b_log, stderr=subprocess.STDOUT)
        )
        worker_a = stack.enter_context(uvicorn_process(port=port_a, extra_env=redis_server_env))

        def restart_a():
            stack.enter_context(
                uvicorn_process(
                    port=port_a, extra_env=redis_server_env, stdout=restarted_log, stderr=subprocess.STDOUT
                )
            )

        async def scenario():
            proxy = CuttableProxy(port_a)
            alice_client = ResendingSender(await proxy.start(), tokens[0], room)
            bob_client = ChatClient(f"http://127.0.0.1:{port_b}", tokens[1], transports=["websocket"])
            bob_disconnects = []
            bob_client.client.on("disconnect", lambda *reason: bob_disconnects.append(reason))

            def bob_has(count):
                return lambda: len(bob_client.texts(room)) >= count

            try:
                await bob_client.connect()
                assert (await bob_client.call("join", {"room": room}))["ok"] is True
                await alice_client.connect()
                await alice_client.wait_until(lambda: alice_client.joined, "alice's join")

                # All is well: messages 1 to 3 are stored, acked and received.
                for n in range(1, 4):
                    await alice_client.send(f"message {n}")
                await alice_client.all_acked()
                await bob_client.wait_until(bob_has(3), "messages 1 to 3")

                # 4 and 5 reach A, which stores and broadcasts them, but their acks are lost.
                proxy.cut_replies()
                lost_acks = [await alice_client.send(f"message {n}") for n in (4, 5)]
                await bob_client.wait_until(bob_has(5), "messages 4 and 5")

                # 6 leaves Alice's client but never reaches A; then A is killed.
                proxy.cut_requests()
                await alice_client.send("message 6")
                await asyncio.wait_for(proxy.dropped.wait(), WAIT_SECONDS)
                worker_a.kill()
                await asyncio.to_thread(worker_a.wait, WAIT_SECONDS)

                # The stream goes on while A is down, and after a new A takes its port.
                await alice_client.send("message 7")
                await asyncio.to_thread(restart_a)
                await alice_client.all_acked(RECONNECT_SECONDS)
                for n in (8, 9):
                    await alice_client.send(f"message {n}")
                await alice_client.all_acked()
                # A rebroadcast of 4 or 5 would come before 9: one publisher, one channel.
                await bob_client.wait_until(lambda: "message 9" in bob_client.texts(room), "message 9")
                return alice_client, list(bob_client.received["message"]), list(bob_disconnects), lost_acks
            finally:
                await alice_client.client.disconnect()
                await bob_client.close()
                proxy.close()

        alice_client, bob_received, bob_disconnects, lost_acks = asyncio.run(scenario())

    sent = alice_client.texts
    stored = list(Message.objects.filter(room=room).order_by("id").values("id", "user", "client_id", "text"))
    # Every message sent is stored exactly once, as Alice's.
    assert sorted(message["client_id"] for message in stored) == sorted(sent)
    assert all(
        message["user"] == alice.id and message["text"] == sent[message["client_id"]] for message in stored
    )
    # Each got exactly one ok ack, with the stored message; only 4 and 5 were resends of stored ones.
    acks = alice_client.acks
    assert {client_id: [ack["ok"] for ack in acks[client_id]] for client_id in sent} == {
        client_id: [True] for client_id in sent
    }
    stored_id = {message["client_id"]: message["id"] for message in stored}
    assert all(acks[client_id][0]["message"]["id"] == stored_id[client_id] for client_id in sent)
    assert [client_id for client_id in sent if acks[client_id][0].get("duplicate")] == lost_acks
    assert alice_client.connects == 2
    assert all(ack["ok"] for ack in alice_client.join_acks)
    # Bob, never disconnected, received every stored message exactly once, in order.
    assert bob_disconnects == []
    assert Counter(message["id"] for message in bob_received) == Counter(stored_id.values())
    assert [message["text"] for message in bob_received] == [f"message {n}" for n in range(1, 10)]
    # Neither B, which lived through it, nor the new A logged a server error.
    for log in ("b.log", "a-restarted.log"):
        errors = [line for line in (tmp_path / log).read_text().splitlines() if SERVER_ERROR_LOG.search(line)]
        assert errors == [], log
