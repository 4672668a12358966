"""The chat's client managers: python-socketio's, with a broadcast published at most once,
and with or without the task-free broadcast.

RedisManager.emit_once publishes an emit at most once per key, across workers and
restarts, for broadcasts that a resend may repeat (chat.socket_server).

With SOCKETIO_FAST_BROADCAST on (the default), a broadcast reaches this process's clients
without an asyncio task per recipient (chat/internals/socketio_broadcast.py); at 0,
python-socketio's own `AsyncManager` and `AsyncRedisManager` deliver it. With
SOCKETIO_PREFRAMED_BROADCAST on (the default) too, the broadcast is framed once and written
straight to each idle websocket (chat/internals/websocket_frames.py).
"""

import logging

import redis.asyncio
import socketio
from django.conf import settings

from .internals import websocket_frames
from .internals.socketio_broadcast import TaskFreeBroadcastManager, pubsub_emit_publication

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


class RedisManager(socketio.AsyncRedisManager):
    """Several processes: emits published through Redis, delivered by every process."""

    def __init__(self, url: str, **kwargs):
        super().__init__(url, **kwargs)
        self.emit_once_url = url
        self.emit_once_client = None  # redis.asyncio.Redis, made when first needed

    async def emit_once(self, key: str, event: str, data: dict, *, room: str, seconds: int) -> bool:
        """Emit `event` with JSON `data` to `room` on every worker, unless an emit_once with
        this key already did in the last `seconds`; return whether this one did.

        Redis failures are logged, like python-socketio's own publishing, and return False.
        """
        publication = pubsub_emit_publication(self, event, data, room=room)
        mark = f"{publication.channel}:emitted:{key}"
        published = False
        for attempt in (1, 2):
            try:
                if self.emit_once_client is None:
                    self.emit_once_client = redis.asyncio.Redis.from_url(self.emit_once_url)
                published = await self.emit_once_client.eval(
                    EMIT_ONCE_SCRIPT, 1, mark, publication.channel, publication.payload, seconds
                )
                break
            except Exception:
                self.emit_once_client = None  # a new connection for the next attempt
                if attempt == 2:
                    logger.exception("Chat: cannot publish %s to Redis", key)
                    return False
        if published:
            # Workers skip what they published themselves: deliver to this one's connections.
            await self.emit(event, data, namespace="/", room=room, ignore_queue=True)
        return bool(published)


class TaskFreeRedisManager(RedisManager, TaskFreeBroadcastManager):
    """RedisManager whose delivery to this process's clients is the task-free broadcast.

    TaskFreeBroadcastManager comes after AsyncPubSubManager in the method order, so
    publishing stays python-socketio's and only the local delivery of each emit is replaced.
    """


def client_manager_make() -> socketio.AsyncManager:
    """The chat's client manager, as REDIS_URL and SOCKETIO_FAST_BROADCAST choose."""
    fast = settings.SOCKETIO_FAST_BROADCAST
    if settings.REDIS_URL:
        manager_class = TaskFreeRedisManager if fast else RedisManager
        return manager_class(settings.REDIS_URL, channel=settings.SOCKETIO_CHANNEL)
    return TaskFreeBroadcastManager() if fast else socketio.AsyncManager()


def install_preframed_broadcast(server: socketio.AsyncServer) -> bool:
    """With SOCKETIO_PREFRAMED_BROADCAST, serve `server`'s websockets so that its manager
    writes a broadcast's frame to them directly; whether it could."""
    if not settings.SOCKETIO_PREFRAMED_BROADCAST or not websocket_frames.install(server.eio):
        return False
    server.manager.preframed = True
    return True
