"""A python-socketio client for the chat tests: it records what the server sends, and
waits on it with a deadline instead of sleeping."""

import asyncio
import contextlib
import json
import uuid
from contextlib import asynccontextmanager

import aiohttp
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
        self.received: dict[str, list] = {
            event: []
            for event in (
                "message",
                "typing",
                "presence",
                "session_expired",
                "message_edited",
                "message_deleted",
            )
        }
        self.disconnects: list[str] = []  # the reason of each disconnect
        self.arrived = asyncio.Condition()
        for event in self.received:
            self.client.on(event, self.recorder(event))
        self.client.on("disconnect", self.record_disconnect)

    def recorder(self, event):
        async def record(data):
            async with self.arrived:
                self.received[event].append(data)
                self.arrived.notify_all()

        return record

    async def record_disconnect(self, reason=None):
        async with self.arrived:
            self.disconnects.append(reason)
            self.arrived.notify_all()

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


class RawSocket:
    """A websocket speaking Engine.IO 4 / Socket.IO 5 by hand, for what no well-behaved
    client does: packets nested thousands deep or of the wrong shape, events sent on after
    the server disconnected the namespace. RawPolling does the same over long-polling."""

    def __init__(self, session, websocket):
        self.session = session
        self.websocket = websocket
        self.next_ack_id = 0

    @classmethod
    async def connect(cls, url: str, token: str) -> "RawSocket":
        """Open the websocket, and the default namespace with `token`."""
        session = aiohttp.ClientSession()
        try:
            address = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
            raw = cls(session, await session.ws_connect(address))
            opened = await raw.receive()
            assert opened is not None and opened.startswith("0{"), opened
            answer = await raw.open_namespace(token)
            assert answer.startswith("40{"), answer
        except BaseException:
            await session.close()
            raise
        return raw

    async def open_namespace(self, token: str) -> str:
        """Send a CONNECT with `token`; return the answer: CONNECT ("40{...}") or CONNECT_ERROR ("44...")."""
        await self.send("40" + json.dumps({"token": token}))
        while (packet := await self.receive()) is not None:
            if packet.startswith(("40", "44")):
                return packet
        raise AssertionError("the server closed the websocket instead of answering a CONNECT")

    async def send(self, text: str) -> None:
        await self.websocket.send_str(text)

    async def receive(self) -> str | None:
        """The next packet other than a ping (answered), or None once the server closed."""
        while True:
            try:
                message = await asyncio.wait_for(self.websocket.receive(), WAIT_SECONDS)
            except TimeoutError:
                raise AssertionError(f"Waited {WAIT_SECONDS} s for a packet from the server") from None
            if message.type != aiohttp.WSMsgType.TEXT:
                return None
            if message.data == "2":
                await self.send("3")
                continue
            return message.data

    async def packet(self, prefix: str) -> str | None:
        """The next packet that starts with `prefix`, skipping others, or None once closed."""
        while (packet := await self.receive()) is not None:
            if packet.startswith(prefix):
                return packet
        return None

    async def call(self, event: str, payload_json: str) -> list | None:
        """Send an event whose payload is this JSON text; return the ack's arguments, or
        None when the server disconnected the namespace or closed the websocket instead."""
        self.next_ack_id += 1
        ack_prefix = f"43{self.next_ack_id}["
        await self.send(f'42{self.next_ack_id}["{event}",{payload_json}]')
        while (packet := await self.receive()) is not None:
            if packet == "41":
                return None
            if packet.startswith(ack_prefix):
                return json.loads(packet[len(ack_prefix) - 1 :])
        return None

    async def close(self) -> None:
        await self.websocket.close()
        await self.session.close()


class RawPolling(RawSocket):
    """RawSocket's packets over HTTP long-polling: a POST sends, a GET receives."""

    def __init__(self, session, url: str):
        super().__init__(session, websocket=None)
        self.url = url + "/socket.io/?EIO=4&transport=polling"
        self.pending: list[str] = []
        self.poll_timeout = aiohttp.ClientTimeout(total=WAIT_SECONDS)

    @classmethod
    async def connect(cls, url: str, token: str) -> "RawPolling":
        session = aiohttp.ClientSession()
        try:
            raw = cls(session, url)
            opened = await raw.receive()
            assert opened is not None and opened.startswith("0{"), opened
            raw.url += "&sid=" + json.loads(opened[1:])["sid"]
            answer = await raw.open_namespace(token)
            assert answer.startswith("40{"), answer
        except BaseException:
            await session.close()
            raise
        return raw

    async def send(self, text: str) -> None:
        async with self.session.post(self.url, data=text.encode()) as response:
            assert response.status == 200, (response.status, await response.text())

    async def receive(self) -> str | None:
        while not self.pending:
            try:
                async with self.session.get(self.url, timeout=self.poll_timeout) as response:
                    if response.status != 200:
                        return None
                    packets = (await response.text()).split("\x1e")
            except TimeoutError:
                raise AssertionError(f"Waited {WAIT_SECONDS} s for a packet from the server") from None
            for packet in packets:
                if packet == "2":
                    await self.send("3")
                elif packet == "1":  # engine.io's CLOSE
                    return None
                else:
                    self.pending.append(packet)
        return self.pending.pop(0)

    async def close(self) -> None:
        with contextlib.suppress(aiohttp.ClientError, AssertionError):
            await self.send("1")
        await self.session.close()
