"""Packets that no socket.io client sends, refused at the one place the chat's Socket.IO
server receives them.

python-socketio and python-engineio trust the shape of what arrives. JSON nested deeper
than Python's recursion limit raises RecursionError, which engine.io's decoder does not
catch: the websocket's handler died with "Exception in ASGI application". A Socket.IO
packet of the wrong shape (`42{}`, `42null`, an event name that is a list, a packet type
no client sends) raised from python-socketio's dispatch, and engine.io logged a traceback
for each one while the client waited for an ack that never came. The server's own
`connect` and `disconnect` handlers could be run by events of those names: a client could
cancel its session's expiry, or switch users, by sending `disconnect` or `connect`.

Here every packet is decoded by ChatPacket, which raises MalformedPacket for anything
python-socketio could not dispatch, or must not: undecodable or too deeply nested JSON,
an event that is not `[name, ...arguments]`, the reserved event names, packet types that
only a server sends, and binary packets (the chat's protocol is JSON; binary attachments
would pile up in memory until the connection ends). ChatServer catches it where
python-socketio handles each engine.io message and does what the Socket.IO reference
server does with a parse error: it ends that connection, with one warning in the log.
PacketJson makes too deep nesting a ValueError, which engine.io's decoder does catch, so
such an engine.io message reaches ChatPacket too.

`_handle_eio_message` is python-socketio's (5.18) and private: chat/tests pin it.
"""

import logging

import socketio
from engineio import json as engineio_json
from socketio import packet

logger = logging.getLogger(__name__)

# Reserved: python-socketio runs the server's handlers of these names for events too.
RESERVED_EVENTS = frozenset(socketio.AsyncServer.reserved_events)
CLIENT_PACKET_TYPES = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})


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
