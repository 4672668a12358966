"""Packets that no socket.io client sends, refused where the chat's Socket.IO server
receives them: Socket.IO packets in ChatServer, Engine.IO frames in EngineIOFrameGuard.

python-socketio and python-engineio trust the shape of what arrives. JSON nested deeper
than Python's recursion limit raises RecursionError: python-socketio's decoder let it out
and engine.io logged a traceback for every such packet, while the client waited for an
ack that never came; engine.io's own decoder does not catch it, so at that level it
killed the websocket's handler ("Exception in ASGI application"). A Socket.IO packet of
the wrong shape (`42{}`, `42null`, an event name that is a list, a packet type no client
sends) raised from python-socketio's dispatch, again a traceback each. And events named
`connect` or `disconnect` ran the server's own handlers of those names: a client could
cancel its session's expiry by sending `disconnect`, or swap the user of its session for
the one of another token by sending `connect`.

Here every packet is decoded by ChatPacket, which raises MalformedPacket for anything
python-socketio could not dispatch, or must not: undecodable or too deeply nested JSON,
an event that is not `[name, ...arguments]`, the reserved event names, packet types that
only a server sends, and binary packets (the chat's protocol is JSON; binary attachments
would pile up in memory until the connection ends). ChatServer catches it where
python-socketio handles each engine.io message and does what the Socket.IO reference
server does with a parse error: it ends that connection, with one warning in the log.
PacketJson makes too deep nesting a ValueError, which engine.io's decoder does catch, so
such an engine.io message reaches ChatPacket too.

Below Socket.IO, python-engineio fails on frames it cannot decode at all (a websocket
frame that does not start with a packet type's digit, a POST body that is not UTF-8 or
holds more than 16 packets): its websocket handler raised out of the ASGI application, a
POST logged a traceback, and anyone can send them, before authenticating.
EngineIOFrameGuard, in front of it, hands such a frame on as the client closing the
connection.

`_handle_eio_message` is python-socketio's (5.18) and private: chat/tests pin it.
"""

import logging
from urllib.parse import parse_qs

import socketio
from engineio import json as engineio_json
from engineio.payload import Payload
from socketio import packet

logger = logging.getLogger(__name__)

# Reserved: python-socketio runs the server's handlers of these names for events too.
RESERVED_EVENTS = frozenset(socketio.AsyncServer.reserved_events)
CLIENT_PACKET_TYPES = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})
ENGINEIO_PACKET_TYPES = frozenset("0123456")  # open, close, ping, pong, message, upgrade, noop
ENGINEIO_CLOSE = b"1"
WEBSOCKET_PROTOCOL_ERROR = 1002


class PacketJson:
    """engine.io's JSON (with its bound on integer length), where nesting too deep to
    decode is a ValueError, as any other undecodable text is."""

    dumps = staticmethod(engineio_json.dumps)

    @staticmethod
    def loads(*args, **kwargs):
        try:
            return engineio_json.loads(*args, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None


class MalformedPacket(ValueError):
    """A packet that no socket.io client sends; its connection is ended."""


class ChatPacket(packet.Packet):
    def decode(self, encoded_packet):
        """Decode as python-socketio does; raise MalformedPacket for what it could not
        dispatch or must not (see the module's docstring)."""
        if not isinstance(encoded_packet, str):
            raise MalformedPacket("a binary frame")
        try:
            attachment_count = super().decode(encoded_packet)
        except (ValueError, RecursionError) as error:
            raise MalformedPacket(str(error)) from None
        if self.packet_type not in CLIENT_PACKET_TYPES:
            raise MalformedPacket(f"a packet of type {self.packet_type}")
        if self.packet_type == packet.EVENT and not (
            isinstance(self.data, list)
            and self.data
            and isinstance(self.data[0], str)
            and self.data[0] not in RESERVED_EVENTS
        ):
            raise MalformedPacket("an event that is not [name, ...arguments]")
        return attachment_count


class ChatServer(socketio.AsyncServer):
    """python-socketio's server, ending the connection of a client that sends a malformed
    packet instead of failing on it."""

    async def _handle_eio_message(self, eio_sid, data):
        try:
            if not data:  # python-socketio would take it for an event without data
                raise MalformedPacket("an empty packet")
            await super()._handle_eio_message(eio_sid, data)
        except MalformedPacket as error:
            await self.malformed_packet_refuse(eio_sid, error)

    async def malformed_packet_refuse(self, eio_sid: str, error: MalformedPacket) -> None:
        """Disconnect the client's Socket.IO connection, as on a parse error. Malformed
        packets on an engine.io connection without one (never connected, or disconnected
        by an earlier one) are dropped unlogged, so a client cannot flood the log."""
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        if sid is None or not self.manager.is_connected(sid, "/"):
            return
        logger.warning("Chat: a malformed packet (%s) ended the connection %s", error, sid)
        await self.disconnect(sid, ignore_queue=True)


def engineio_packet_is_well_formed(text: str) -> bool:
    """Whether python-engineio can decode this Engine.IO packet: it starts with the digit of
    a packet type (binary ones, "b" and base64, are not part of the chat)."""
    return text[:1] in ENGINEIO_PACKET_TYPES


def engineio_payload_is_well_formed(body: bytes) -> bool:
    """Whether python-engineio can decode this long-polling POST body: UTF-8, at most
    Payload.max_decode_packets well-formed packets separated by "\\x1e" (or JSONP's `d=`)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text:
        return True
    if text.startswith("d="):
        text = "".join(parse_qs(text).get("d", [""])[:1])
    packets = text.split("\x1e")
    return len(packets) <= Payload.max_decode_packets and all(map(engineio_packet_is_well_formed, packets))


class EngineIOFrameGuard:
    """ASGI middleware in front of python-engineio, which fails on frames it cannot decode
    (raising from its websocket handler, logging a traceback for a long-polling POST),
    before any authentication. Such a frame is handed on as the client closing the
    connection: a websocket.disconnect, or a POST of engine.io's CLOSE packet. Nothing is
    logged, since anyone can send them."""

    def __init__(self, app, *, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            receive = self.websocket_receive(receive)
        elif scope["type"] == "http" and scope["method"] == "POST":
            receive = await self.post_receive(receive)
        await self.app(scope, receive, send)

    @staticmethod
    def websocket_receive(receive):
        async def receive_checked():
            message = await receive()
            text = message.get("text") if message["type"] == "websocket.receive" else None
            if text is not None and not engineio_packet_is_well_formed(text):
                return {"type": "websocket.disconnect", "code": WEBSOCKET_PROTOCOL_ERROR}
            return message

        return receive_checked

    async def post_receive(self, receive):
        """A `receive` that replays the request's body, checked (read now, up to the limit)."""
        body, size, more_body = [], 0, True
        while more_body and size <= self.max_body_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return receive_replaying([message], receive)
            body.append(message.get("body", b""))
            size += len(body[-1])
            more_body = message.get("more_body", False)
        whole = b"".join(body)
        if more_body or size > self.max_body_bytes or not engineio_payload_is_well_formed(whole):
            whole = ENGINEIO_CLOSE
        return receive_replaying([{"type": "http.request", "body": whole, "more_body": False}], receive)


def receive_replaying(messages: list[dict], receive):
    """A `receive` that returns `messages` first, then what `receive` returns."""
    pending = list(messages)

    async def replay():
        return pending.pop(0) if pending else await receive()

    return replay
