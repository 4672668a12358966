"""Chat events emitted from synchronous code: a deletion in the admin, a management command.

Socket.IO handlers emit through the server (`sio.emit`) on the event loop. Synchronous code
runs elsewhere, in a request thread of the server process or in another process, so:

- With REDIS_URL, a write-only python-socketio `RedisManager` (the library's way to emit
  from an external process, redis-py underneath) publishes on the chat's channel; every
  worker's AsyncRedisManager, this process's included, delivers to its own connections.
- Without Redis, the in-memory manager holds this process's connections, the only ones
  there are: the emit is handed to the event loop that serves them. A process that serves
  no chat (a shell, a command) has nobody to tell, and emits nothing.
"""

import asyncio
import logging
import threading

import socketio
from django.conf import settings

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2  # a Redis that does not answer holds up the admin this long at most

_lock = threading.Lock()
_redis_manager: socketio.RedisManager | None = None
_local_server: socketio.AsyncServer | None = None
_local_loop: asyncio.AbstractEventLoop | None = None


def serve_locally(server: socketio.AsyncServer, loop: asyncio.AbstractEventLoop) -> None:
    """Remember the Socket.IO server of this process and the loop that runs it (called by
    chat.socket_server when a connection arrives)."""
    global _local_server, _local_loop
    _local_server, _local_loop = server, loop


def redis_manager() -> socketio.RedisManager:
    """This process's write-only manager, made when first needed."""
    global _redis_manager
    with _lock:
        if _redis_manager is None:
            _redis_manager = socketio.RedisManager(
                settings.REDIS_URL,
                channel=settings.SOCKETIO_CHANNEL,
                write_only=True,
                redis_options={
                    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                    "socket_timeout": REDIS_TIMEOUT_SECONDS,
                },
            )
        return _redis_manager


def emit(event: str, data: dict, *, room: str) -> None:
    """Emit `event` with `data` to everyone in `room`, from synchronous code; never raises
    (a failure is logged: what was stored stays stored)."""
    try:
        if settings.REDIS_URL:
            redis_manager().emit(event, data, namespace="/", room=room)
        elif _local_loop is not None and not _local_loop.is_closed():
            asyncio.run_coroutine_threadsafe(_local_server.emit(event, data, to=room), _local_loop)
    except Exception:
        logger.exception("Chat: cannot announce %s to %s", event, room)
