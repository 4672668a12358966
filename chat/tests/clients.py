"""A python-socketio client for the chat tests: it records what the server sends, and
waits on it with a deadline instead of sleeping."""

import asyncio
import uuid
from contextlib import asynccontextmanager

import socketio

WAIT_SECONDS = 10


def unique_room(prefix: str = "room") -> str:
    """A room no other test uses, so presence and history start empty."""
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


class ChatClient:
    def __init__(self, url: str, token: str | None, *, transports=None):
        self.url = url
        self.token = token
        self.transports = transports
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: dict[str, list] = {"message": [], "typing": [], "presence": []}
        self.arrived = asyncio.Condition()
        for event in self.received:
            self.client.on(event, self.recorder(event))

    def recorder(self, event):
        async def record(data):
            async with self.arrived:
                self.received[event].append(data)
                self.arrived.notify_all()

        return record

    async def connect(self) -> None:
        await self.client.connect(
            self.url,
            auth={"token": self.token} if self.token is not None else None,
            transports=self.transports,
            wait_timeout=WAIT_SECONDS,
        )

    async def close(self) -> None:
        if self.client.connected and self.client.transport() == "polling":
            # python-socketio's client otherwise waits out its pending long-poll request.
            await self.client.eio.disconnect(abort=True)
        await self.client.disconnect()

    async def call(self, event: str, *payload):
        """Send an event with these arguments; return the server's acknowledgement."""
        data = payload[0] if len(payload) == 1 else (tuple(payload) if payload else None)
        return await self.client.call(event, data, timeout=WAIT_SECONDS)

    async def wait_until(self, condition, what: str):
        """Wait until `condition()` is true or returns something; return that."""
        async with self.arrived:
            try:
                await asyncio.wait_for(self.arrived.wait_for(condition), WAIT_SECONDS)
            except TimeoutError:
                raise AssertionError(f"Waited {WAIT_SECONDS} s for {what}; got {self.received}") from None
            return condition()

    async def message(self, text: str) -> dict:
        """The `message` event carrying `text`, once it arrives."""
        return await self.wait_until(
            lambda: next((m for m in self.received["message"] if m["text"] == text), None),
            f"the message {text!r}",
        )

    async def presence(self, room: str, users: list[str]) -> None:
        """Wait until the latest `presence` of `room` lists exactly `users`."""

        def latest_is_expected():
            latest = [event["users"] for event in self.received["presence"] if event["room"] == room]
            return bool(latest) and latest[-1] == users

        await self.wait_until(latest_is_expected, f"presence {users} in {room}")

    def texts(self, room: str | None = None) -> list[str]:
        return [m["text"] for m in self.received["message"] if room is None or m["room"] == room]


@asynccontextmanager
async def connected(url: str, token: str | None, *, transports=("websocket",)):
    """A connected ChatClient, closed on the way out (websocket-only unless told)."""
    client = ChatClient(url, token, transports=list(transports) if transports else None)
    await client.connect()
    try:
        yield client
    finally:
        await client.close()
