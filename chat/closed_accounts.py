"""Ending the connections of an account that was deleted, on every worker, at once.

The deletion (authentication.services.user_delete) calls `announce_account_closed` once
its transaction commits. With REDIS_URL it publishes the user's id on a Redis channel that
every worker's ClosedAccounts listens to; without Redis the one worker is this process,
and the announcement is handed to its event loop. Each worker then ends its own
connections of that user as an expired session ends (session_expired, then disconnect),
which takes them out of presence and of every room.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio
from django.conf import settings

logger = logging.getLogger(__name__)

_listeners: list["ClosedAccounts"] = []


def channel() -> str:
    return f"{settings.SOCKETIO_CHANNEL}:closed-accounts"


def announce_account_closed(user_id: int) -> None:
    """Have every worker end the chat connections of `user_id`. Never raises: a worker that
    misses it still ends them when their access tokens expire."""
    try:
        if settings.REDIS_URL:
            with redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            ) as client:
                client.publish(channel(), str(user_id))
            return
        for listener in _listeners:
            listener.end_from_another_thread(user_id)
    except Exception:
        logger.exception("Chat: cannot announce that account %s was closed", user_id)


class ClosedAccounts:
    """This worker's connections by user, ended with `end(sid)` when their account closes."""

    def __init__(self, *, end: Callable[[str], Awaitable[None]]):
        self.end = end
        self.sids_by_user: dict[int, set[str]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscription: asyncio.Task | None = None
        _listeners.append(self)

    def track(self, sid: str, user_id: int) -> None:
        """Connection `sid` is `user_id`'s (called at connect, on the event loop)."""
        self.loop = asyncio.get_running_loop()
        self.sids_by_user.setdefault(user_id, set()).add(sid)
        if settings.REDIS_URL and (self.subscription is None or self.subscription.done()):
            self.subscription = self.loop.create_task(self.listen())

    def forget(self, sid: str, user_id: int) -> None:
        sids = self.sids_by_user.get(user_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.sids_by_user[user_id]

    def end_from_another_thread(self, user_id: int) -> None:
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self.end_sessions(user_id), self.loop)

    async def end_sessions(self, user_id: int) -> None:
        for sid in list(self.sids_by_user.pop(user_id, ())):
            try:
                await self.end(sid)
            except Exception:
                logger.exception("Chat: cannot end a connection of closed account %s", user_id)

    async def listen(self) -> None:
        """Follow the closed-accounts channel until cancelled, reconnecting after failures."""
        while True:
            try:
                client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(channel())
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.end_sessions(int(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Chat: the closed-accounts channel failed; listening again", exc_info=True)
                await asyncio.sleep(1)
