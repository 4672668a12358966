"""Who is in which room, counted per connection, so a user with several tabs stays present
until the last of them leaves; and `presence` announcements, coalesced per room.

Without Redis the registry is this process's memory (one worker). With REDIS_URL every
worker writes its connections to one Redis hash per room, `sid -> "<worker id>|<username>"`,
so any worker can answer for the whole room. A worker that dies without cleaning up would
leave its entries behind: each worker keeps a heartbeat key alive (refreshed every
HEARTBEAT_SECONDS, expiring after WORKER_TTL_SECONDS), entries whose worker has no
heartbeat are ignored and deleted, and the heartbeat rewrites the worker's own entries,
so they come back after a Redis restart or flush.
"""

import asyncio
import logging
import uuid
from collections.abc import KeysView

import redis.asyncio as redis

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
WORKER_TTL_SECONDS = 30
REDIS_CONNECTIONS = 50
REDIS_WAIT_SECONDS = 5


class Presence:
    """The in-memory registry, and the local bookkeeping the Redis one builds on."""

    def __init__(self):
        # sid -> {room: username}, for this process's connections.
        self.local: dict[str, dict[str, str]] = {}
        self.rooms: dict[str, dict[str, str]] = {}  # room -> {sid: username}

    async def add(self, *, room: str, sid: str, username: str) -> None:
        self.local.setdefault(sid, {})[room] = username
        self.rooms.setdefault(room, {})[sid] = username

    async def remove(self, *, room: str, sid: str) -> None:
        self.local.get(sid, {}).pop(room, None)
        members = self.rooms.get(room)
        if members is not None:
            members.pop(sid, None)
            if not members:
                del self.rooms[room]

    async def remove_connection(self, *, sid: str) -> list[str]:
        """Forget a connection in every room it was in; return those rooms."""
        rooms = list(self.local.pop(sid, {}))
        for room in rooms:
            await self.remove(room=room, sid=sid)
        return rooms

    def rooms_of(self, sid: str) -> KeysView[str]:
        """The rooms this process's connection `sid` is in (a constant-time lookup, where
        python-socketio's `rooms()` walks every room)."""
        return self.local.get(sid, {}).keys()

    async def users(self, room: str) -> list[str]:
        """The usernames present in `room`, sorted, each once."""
        return sorted(set(self.rooms.get(room, {}).values()))


class RedisPresence(Presence):
    def __init__(self, url: str, *, prefix: str):
        super().__init__()
        # A bounded pool that waits for a free connection: when 500 clients disconnect at
        # once, their removals queue up instead of failing for want of connections.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=REDIS_CONNECTIONS,
            timeout=REDIS_WAIT_SECONDS,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=2,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.prefix = prefix
        self.worker_id = uuid.uuid4().hex
        self.heartbeat_task: asyncio.Task | None = None
        # (room, sid) entries whose removal failed (Redis unreachable): retried by the
        # heartbeat, since a live worker's entries never expire on their own.
        self.unremoved: set[tuple[str, str]] = set()

    def room_key(self, room: str) -> str:
        return f"{self.prefix}:chat:presence:{room}"

    def worker_key(self, worker_id: str) -> str:
        return f"{self.prefix}:chat:worker:{worker_id}"

    async def add(self, *, room: str, sid: str, username: str) -> None:
        self.local.setdefault(sid, {})[room] = username
        if self.heartbeat_task is None:
            self.heartbeat_task = asyncio.get_running_loop().create_task(self.keep_alive())
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.worker_key(self.worker_id), "1", ex=WORKER_TTL_SECONDS)
            pipe.hset(self.room_key(room), sid, f"{self.worker_id}|{username}")
            await pipe.execute()

    async def remove(self, *, room: str, sid: str) -> None:
        self.local.get(sid, {}).pop(room, None)
        await self.delete_entries([(room, sid)])

    async def remove_connection(self, *, sid: str) -> list[str]:
        rooms = list(self.local.pop(sid, {}))
        await self.delete_entries([(room, sid) for room in rooms])
        return rooms

    async def delete_entries(self, entries: list[tuple[str, str]]) -> None:
        """Delete (room, sid) entries; keep those that fail for the heartbeat to retry."""
        if not entries:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for room, sid in entries:
                    pipe.hdel(self.room_key(room), sid)
                await pipe.execute()
        except redis.RedisError:
            self.unremoved.update(entries)
            raise

    async def users(self, room: str) -> list[str]:
        key = self.room_key(room)
        entries = await self.redis.hgetall(key)
        if not entries:
            return []
        by_worker: dict[str, list[tuple[str, str]]] = {}
        for sid, value in entries.items():
            worker_id, _, username = value.partition("|")
            by_worker.setdefault(worker_id, []).append((sid, username))
        workers = list(by_worker)
        alive = await self.redis.mget([self.worker_key(worker_id) for worker_id in workers])
        users, stale = set(), []
        for worker_id, is_alive in zip(workers, alive, strict=True):
            if is_alive:
                users.update(username for _, username in by_worker[worker_id])
            else:
                stale.extend(sid for sid, _ in by_worker[worker_id])
        if stale:
            await self.redis.hdel(key, *stale)
        return sorted(users)

    async def keep_alive(self) -> None:
        """Refresh this worker's heartbeat, rewrite its entries and retry failed removals,
        until cancelled."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            unremoved, self.unremoved = self.unremoved, set()
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.set(self.worker_key(self.worker_id), "1", ex=WORKER_TTL_SECONDS)
                    for sid, rooms in list(self.local.items()):
                        for room, username in rooms.items():
                            pipe.hset(self.room_key(room), sid, f"{self.worker_id}|{username}")
                    for room, sid in unremoved:
                        pipe.hdel(self.room_key(room), sid)
                    await pipe.execute()
            except redis.RedisError:
                self.unremoved |= unremoved
                logger.warning("Chat presence: cannot refresh this worker's heartbeat", exc_info=True)


class PresenceAnnouncer:
    """Emits `presence` for a room when it changes, coalescing the changes that follow.

    The first change is announced at once; changes in the next `interval` seconds (longer
    in a big room: `seconds_per_user` for each user present) are announced together at
    its end, with the state read then. Every announcement carries the whole list to every
    connection in the room, so its cost grows with the square of the room's size: when
    five hundred clients (re)connect at once, the lobby gets a few announcements, not five
    hundred lists of up to five hundred names each sent to up to five hundred clients.
    """

    def __init__(self, *, presence: Presence, emit, interval: float, seconds_per_user: float):
        self.presence = presence
        self.emit = emit
        self.interval = interval
        self.seconds_per_user = seconds_per_user
        self.tasks: dict[str, asyncio.Task] = {}
        self.changed: set[str] = set()

    def announce(self, room: str) -> None:
        if room in self.tasks:
            self.changed.add(room)
            return
        self.tasks[room] = asyncio.get_running_loop().create_task(self.announce_while_changing(room))

    async def announce_while_changing(self, room: str) -> None:
        try:
            while True:
                self.changed.discard(room)
                users = []
                try:
                    users = await self.presence.users(room)
                    await self.emit("presence", {"room": room, "users": users}, to=room)
                except Exception:
                    logger.exception("Chat: cannot announce the presence in %s", room)
                await asyncio.sleep(max(self.interval, len(users) * self.seconds_per_user))
                if room not in self.changed:
                    return
        finally:
            self.tasks.pop(room, None)
