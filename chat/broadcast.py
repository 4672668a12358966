"""python-socketio's client managers with a cheaper broadcast.

python-socketio encodes a broadcast packet once, then starts one asyncio task per
recipient to queue it on that recipient's engine.io socket. In a room of 500 that is
500 tasks per message, the largest cost of a broadcast after the writes themselves
(bench/chat.py). Queueing is all those tasks do (engine.io's own writer task per
connection does the sending), so here the one encoded packet goes straight onto each
recipient's queue, with no task and no await. Emits with callbacks, binary payloads and
anything else unusual take python-socketio's own path.

RedisManager.emit_once publishes an emit at most once per key, across workers and
restarts, for broadcasts that a resend may repeat (chat.socket_server).

Written against python-socketio 5.18 and python-engineio 4.15 (requirements.txt pins
them); the chat tests exercise both managers.
"""

import logging

import socketio
from engineio import packet as engineio_packet
from socketio import packet as socketio_packet

logger = logging.getLogger(__name__)

# Marks the key and publishes, only when the key is not marked yet. Redis runs a script as
# one step: of several emits with one key exactly one publishes, and a worker killed
# before its script ran has neither published nor marked the key.
EMIT_ONCE_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
    redis.call('PUBLISH', ARGV[1], ARGV[2])
    return 1
end
return 0
"""


class MemoryManager(socketio.AsyncManager):
    """One process: rooms and emits in memory, broadcasts queued directly."""

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
        sockets = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skipped:
                continue
            socket = sockets.get(eio_sid)
            if socket is not None and not socket.closed:
                socket.queue.put_nowait(message)


class RedisManager(socketio.AsyncRedisManager, MemoryManager):
    """Several processes: emits published through Redis, delivered by every process.

    MemoryManager comes after AsyncPubSubManager in the method order, so publishing stays
    python-socketio's and only the local delivery of each emit is replaced.
    """

    async def emit_once(self, key: str, event: str, data: dict, *, room: str, seconds: int) -> bool:
        """Emit `event` with JSON `data` to `room` on every worker, unless an emit_once with
        this key already did in the last `seconds`; return whether this one did.

        Redis failures are logged, like python-socketio's own publishing, and return False.
        """
        message = {
            "method": "emit",
            "event": event,
            "data": [data],
            "binary": False,
            "namespace": "/",
            "room": room,
            "skip_sid": None,
            "callback": None,
            "host_id": self.host_id,
        }
        published = False
        for attempt in (1, 2):
            try:
                if not self.connected:
                    self._redis_connect()
                mark = f"{self.channel}:emitted:{key}"
                payload = self.json.dumps(message)
                published = await self.redis.eval(EMIT_ONCE_SCRIPT, 1, mark, self.channel, payload, seconds)
                break
            except Exception:
                self.connected = False
                if attempt == 2:
                    logger.exception("Chat: cannot publish %s to Redis", key)
                    return False
        if published:
            # Workers skip what they published themselves: deliver to this one's connections.
            await self._handle_emit(message)
        return bool(published)
