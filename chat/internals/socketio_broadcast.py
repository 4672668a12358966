"""Broadcasts without a task per recipient, and python-socketio's pub/sub message.

**Task-free broadcast** (TaskFreeBroadcastManager; SOCKETIO_FAST_BROADCAST, on by default).
python-socketio's `AsyncManager.emit` encodes a broadcast once, then starts one asyncio task
per recipient, each of which only puts the packet on that recipient's python-engineio queue
(python-engineio's writer task per connection does the sending). In a room of 500 that is
500 tasks per message: about a quarter of the server's CPU at 500 clients before this
change (docs/PERFORMANCE.md, "Chat"). Here the one encoded packet is handed to
python-engineio's public `send_packet` for each recipient in turn, awaited in a loop: the
same checks and queueing as python-socketio's tasks, without the tasks. Emits with
callbacks, binary attachments or anything else unusual take python-socketio's own path.
An earlier version put the packet on each python-engineio socket's queue itself, reaching
into the server's socket objects; awaiting `send_packet` costs about 0.5 µs more per
recipient, measures the same in bench/chat.py, and keeps python-engineio's checks.

**Pub/sub message** (pubsub_emit_publication). RedisManager.emit_once (chat.broadcast)
publishes a broadcast at most once across workers, in a Redis script, so it needs the
message python-socketio's `AsyncPubSubManager.emit` would publish for it: python-socketio
builds that inline and offers no way to get it, so it is built here.

What this relies on, of python-socketio and python-engineio, beyond their documentation
(tests/test_library_internals.py pins each):

- `socketio.AsyncManager.emit(event, data, namespace, room=None, skip_sid=None,
  callback=None, to=None, **kwargs)`, overridden: the method python-socketio's server and
  `AsyncPubSubManager` call to deliver an emit to this process's clients.
- The server's `packet_class` (the Socket.IO serializer) and `eio` (its python-engineio
  `AsyncServer`), attributes python-socketio sets; `get_participants(namespace, room)` and
  `rooms` of the manager.
- python-engineio's `AsyncServer.send_packet(sid, packet)` (public) queues on an
  unbounded queue and never waits for the client, so awaiting each in turn does not hold
  the broadcast up behind a slow client.
- The pub/sub message of an emit: a dict with exactly the keys `method` ("emit"),
  `event`, `data` (the arguments, a list), `binary`, `namespace`, `room`, `skip_sid`,
  `callback` and `host_id`, encoded with the manager's `json` and published on its
  `channel`; every host's listener (`AsyncPubSubManager._thread` and `_handle_emit`)
  delivers it to its clients in `room`, except the host whose `host_id` it carries.

Written against python-socketio 5.18.1 and python-engineio 4.15.1 (`WRITTEN_AGAINST`).
The stock behaviour, with SOCKETIO_FAST_BROADCAST=0: python-socketio's `AsyncManager` and
`AsyncRedisManager` as shipped, a task per recipient. The pub/sub message has no stock
alternative: publishing at most once is not something python-socketio offers.
"""

import logging
from functools import cached_property
from typing import NamedTuple

import socketio
from engineio import packet as engineio_packet
from socketio import packet as socketio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from . import websocket_frames

logger = logging.getLogger(__name__)

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"python-socketio": "5.18.1", "python-engineio": "4.15.1"}


class TaskFreeBroadcastManager(socketio.AsyncManager):
    """python-socketio's client manager, delivering a broadcast without a task per recipient.

    `preframed`: whether the server's websockets are served by websocket_frames (set by
    whoever installs it), so that a broadcast's frame can be written to them directly.
    """

    preframed = False

    @cached_property
    def frame_writes(self) -> websocket_frames.FrameWrites:
        return websocket_frames.FrameWrites()

    async def emit(
        self,
        event,
        data,
        namespace,
        room=None,
        skip_sid=None,
        callback=None,
        to=None,
        ignore_queue=False,
        **kwargs,
    ):
        # `ignore_queue` concerns publishing, which AsyncPubSubManager has done by now.
        room = to or room
        if callback is not None or kwargs or namespace not in self.rooms:
            return await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
        if isinstance(data, tuple):
            arguments = list(data)
        elif data is not None:
            arguments = [data]
        else:
            arguments = []
        encoded = self.server.packet_class(
            socketio_packet.EVENT, namespace=namespace, data=[event, *arguments]
        ).encode()
        if isinstance(encoded, list):  # binary attachments: several engine.io packets
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid)
        message = engineio_packet.Packet(engineio_packet.MESSAGE, encoded)
        skipped = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        eio = self.server.eio
        send_packet = eio.send_packet
        # Written once and straight to each idle websocket where websocket_frames is
        # installed (SOCKETIO_PREFRAMED_BROADCAST); queued by python-engineio otherwise.
        frame = websocket_frames.broadcast_frame(message.encode()) if self.preframed else None
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skipped:
                continue
            try:
                if frame is not None and self.frame_writes.add(eio, eio_sid, frame):
                    continue
                await send_packet(eio_sid, message)
            except Exception:  # one recipient's failure is not the others'
                logger.exception("Chat: cannot send %s to %s", event, sid)


class PubSubPublication(NamedTuple):
    channel: str
    payload: str


def pubsub_emit_publication(
    manager: AsyncPubSubManager, event: str, data: dict, *, room: str, namespace: str = "/"
) -> PubSubPublication:
    """What `manager.emit(event, data, namespace=namespace, room=room)` publishes, for JSON
    `data` and no callback: the channel and the payload. Every other host that shares the
    channel delivers it to its clients in `room`; the manager's own host ignores it."""
    message = {
        "method": "emit",
        "event": event,
        "data": [data],
        "binary": False,
        "namespace": namespace,
        "room": room,
        "skip_sid": None,
        "callback": None,
        "host_id": manager.host_id,
    }
    return PubSubPublication(channel=manager.channel, payload=manager.json.dumps(message))
