"""Ending each connection when its access token expires.

A connection is authenticated once, when it connects; its token's `exp` is when it must
end. At connect the server schedules that end with the event loop's `call_later`: one
timer per connection, cancelled when the connection goes first, so events cost nothing
more. The timer fires on the worker that holds the connection, which ends it there (see
chat.socket_server.session_end).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class SessionExpiry:
    """Runs `end(sid)` when connection `sid`'s session expires, unless it was cancelled."""

    def __init__(self, *, end: Callable[[str], Awaitable[None]]):
        self.end = end
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.ending: set[asyncio.Task] = set()  # held until done: the loop keeps weak references

    def schedule(self, sid: str, *, expires_at: float) -> None:
        """End connection `sid` at `expires_at`, in seconds since the epoch (at once if past)."""
        self.cancel(sid)
        delay = max(0.0, expires_at - time.time())
        self.timers[sid] = asyncio.get_running_loop().call_later(delay, self.expire, sid, expires_at)

    def cancel(self, sid: str) -> None:
        """Forget connection `sid`'s expiry (it disconnected)."""
        timer = self.timers.pop(sid, None)
        if timer is not None:
            timer.cancel()

    def expire(self, sid: str, expires_at: float) -> None:
        if time.time() < expires_at:
            # The loop runs timers up to its clock's resolution early, and its clock is not
            # the wall clock that `exp` is on: never end a session before its token expires.
            self.schedule(sid, expires_at=expires_at)
            return
        self.timers.pop(sid, None)
        task = asyncio.get_running_loop().create_task(self.end_logging_failures(sid))
        self.ending.add(task)
        task.add_done_callback(self.ending.discard)

    async def end_logging_failures(self, sid: str) -> None:
        try:
            await self.end(sid)
        except Exception:
            logger.exception("Chat: cannot end the connection %s, whose session expired", sid)
