r"""The Socket.IO server of Scrapbook's chat, mounted in the one ASGI application.

The contract is the Chat section of ../shared/API.md. What it leaves open is decided here:

- Connecting needs an access JWT (`auth: {token}` or `?token=`) of an active user, issued
  since the user's password last changed (simplejwt's CHECK_REVOKE_TOKEN); anything else
  is refused with "authentication failed". Every connection joins `lobby`. A user may
  hold several connections (tabs); each one joins and leaves rooms on its own.
- A connection ends when its access token expires (its `exp`, plus simplejwt's LEEWAY):
  the server sends it `session_expired {}` and disconnects it; the client reconnects with
  a fresh token. One timer per connection, set at connect (chat.session_expiry), so events
  cost nothing more; events that a client sends on after the disconnect are ignored.
- `join {room}` acks `{ok, room, members, history}`: the usernames present (sorted, each
  once, the joiner included) and the last 50 messages, oldest first. Joining a room
  already joined is fine and acks the same. A connection is in at most
  MAX_ROOMS_PER_CONNECTION rooms, `lobby` included. A `movie:<imdb_id>` room must name a
  movie of the catalogue or, with the IMDb API configured, one the API knows (fetched and
  stored, on a thread of its own so that the chat's database thread does not wait on the
  API); anything else, a movie the API cannot be asked about at the moment included, is
  "unknown_movie". Joining reads the room up to its newest message (as `read` does).
- `leave {room}` acks `{ok, room}`, also when the connection was not in the room.
  `lobby` can be left like any room (and joined again).
- `message {room?, text, client_id?}` or a bare string (then the room is `lobby`): only
  a room the connection has joined can be written to, since its author would not see the
  answers otherwise. The text is cleaned (control characters other than tab and newline
  removed, "\r\n" and "\r" made "\n") and trimmed, stored, and then broadcast to everyone
  in the room, the sending connection included (so every tab renders messages from one
  event); the ack is `{ok, message}`.
- `client_id` (optional, `^[A-Za-z0-9_-]{1,64}$`, e.g. a UUID; null is the same as
  absent) makes resending safe. A client that lost its connection before the ack came
  cannot know whether the message was stored; it resends it with the same `client_id`
  (after joining the room again). If that user already stored a message with it, nothing
  is stored or broadcast again and the ack is `{ok: true, message: <the stored one>,
  duplicate: true}` (no rate limit slot is taken). Concurrent resends, on any connections
  and workers, store it once: the (user, client_id) unique constraint settles them.
  One exception to "not broadcast again": with Redis, when the worker that stored it was
  killed before broadcasting it, the first resend within BROADCAST_ONCE_SECONDS
  broadcasts it, since nobody else ever will (see `message_broadcast`).
- `typing {room}` (joined rooms only) sends `typing {room, user: {id, username}}` to the
  room's other connections (other tabs of the same user do get it) and acks `{ok, room}`;
  at most one per second per user and room is relayed, counted across connections and
  workers, and the others ack "rate_limited".
- `edit {id, text}`: the author changes their message (in any room, joined or not); the
  text follows `message`'s rules and takes a rate limit slot. `message_edited` (the
  Message, `edited_at` set) goes to the room; the ack is `{ok, message}`.
- `delete {id}`: the author, or staff (checked at that moment, not at connect), deletes a
  message; `message_deleted {id, room}` goes to the room and the ack is `{ok, id, room}`.
  A deleted message is gone (from the history too): editing or deleting it again is
  "not_found". A deletion in the admin is announced as well (chat.announce).
- `read {room, last_read_id}` moves the user's read position in the room (RoomRead) to the
  room's newest message at or before `last_read_id`, never backwards, and acks `{ok, room,
  last_read_id}` with the position stored; "not_found" when the room has no message at or
  before it. The rooms list (REST) counts the others' messages after it as unread.
- `presence {room, users}` is sent to the room when its connections change (join,
  leave, disconnect), coalesced: at most one every PRESENCE_INTERVAL_SECONDS per room
  and worker (longer in rooms of more than 50 users), always with the latest state
  (see chat.presence).
- Refusals ack `{ok: false, error}` and change nothing: "invalid_payload" (not the
  documented shape: a non-object, a missing key, a wrong type, a bad `client_id`, a text
  holding a surrogate code point, which is no character),
  "invalid_room", "unknown_movie", "not_in_room", "too_many_rooms", "empty_message",
  "message_too_long", "not_found" and "forbidden" (edit, delete, read, above),
  "rate_limited" (10 messages in 10 seconds per user, counted across connections and
  workers; a second `typing` within a second), "storage_failed" (the message could not
  be stored, so nobody received it) and "server_error" (anything unexpected, logged).

A packet that no socket.io client sends (JSON that cannot be decoded or is nested too
deep, an event that is not `[name, ...arguments]` or is named `connect` or `disconnect`,
a binary packet) disconnects the connection that sent it, as a parse error does on the
Socket.IO reference server, with one warning logged and no traceback; an Engine.IO frame
that cannot be decoded at all closes its connection, unlogged (chat.packets).

Handlers of one connection run one after the other (`async_handlers=False`), so a
client's events take effect in the order it sent them: a `message` sent right after a
`join` finds the room joined, and one client's messages are broadcast in order.
Database work runs in Django's sync thread (`sync_to_async`), never on the event loop.

With REDIS_URL set, python-socketio's AsyncRedisManager carries every emit to all
workers and hosts, and presence lives in Redis, so they behave as one server.
"""

import asyncio
import contextlib
import functools
import logging
from datetime import timedelta

import socketio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.utils import timezone

from movie_module.catalogue.services import fetch_movie

from . import announce, selectors, services
from .broadcast import RedisManager, client_manager_make, install_preframed_broadcast
from .closed_accounts import ClosedAccounts
from .connection_user import database_sync_to_async, token_from, user_for_access_token
from .packets import ChatPacket, ChatServer, EngineIOFrameGuard, PacketJson
from .presence import Presence, PresenceAnnouncer, RedisPresence
from .serializers import message_data, messages_data
from .services import ChatError
from .session_expiry import SessionExpiry

logger = logging.getLogger(__name__)

AUTHENTICATION_FAILED = "authentication failed"
LOBBY = "lobby"
MAX_ROOMS_PER_CONNECTION = 50
PRESENCE_INTERVAL_SECONDS = 0.25
PRESENCE_SECONDS_PER_USER = 0.005  # a room of 500 gets a presence every 2.5 s at most
# How long a message with a client_id is remembered as broadcast (a Redis key each): a
# resend later than that is acked but not broadcast, whether or not it was.
BROADCAST_ONCE_SECONDS = 3600


def make_presence() -> Presence:
    if settings.REDIS_URL:
        return RedisPresence(settings.REDIS_URL, prefix=settings.CACHE_KEY_PREFIX)
    return Presence()


sio = ChatServer(
    async_mode="asgi",
    client_manager=client_manager_make(),
    serializer=ChatPacket,
    json=PacketJson,
    cors_allowed_origins=settings.CORS_ALLOWED_ORIGINS,
    async_handlers=False,
    logger=False,
    engineio_logger=False,
)
install_preframed_broadcast(sio)
presence = make_presence()
announcer = PresenceAnnouncer(
    presence=presence,
    emit=sio.emit,
    interval=PRESENCE_INTERVAL_SECONDS,
    seconds_per_user=PRESENCE_SECONDS_PER_USER,
)


@database_sync_to_async
def room_join_data(*, user, room: str) -> list[dict]:
    """The room's history as `join` acks it; the user has now read the room up to its newest
    message (the rooms list's `unread_count` counts from there)."""
    history = selectors.room_history(room=room)
    if history:
        services.room_read_advance(user=user, room=room, message_id=history[-1]["id"])
    return messages_data(history)


movie_in_catalogue = database_sync_to_async(selectors.movie_in_catalogue)


def movie_fetched(imdb_id: str) -> bool:
    """Whether the IMDb API knows the movie, which is then stored in the catalogue."""
    try:
        return fetch_movie(imdb_id) is not None
    finally:
        connections.close_all()  # this thread is not the chat's: it keeps no connection


# Not on the chat's database thread, which a slow API would hold up for every connection.
movie_fetched_off_loop = sync_to_async(movie_fetched, thread_sensitive=False)


async def movie_room_check(room: str) -> None:
    """Raise ChatError("unknown_movie") unless the room is no movie's, or its movie is in the
    catalogue, or (the IMDb API configured) the API knows it, within the API's time budget."""
    imdb_id = services.room_movie_id(room)
    if imdb_id is None:
        return
    if imdb_id and (
        await movie_in_catalogue(imdb_id=imdb_id)
        or (settings.RAPIDAPI_KEY and await movie_fetched_off_loop(imdb_id))
    ):
        return
    raise ChatError("unknown_movie")


@database_sync_to_async
def message_post_data(
    *, user, room: str, text: str, client_id: str | None
) -> tuple[services.PostedMessage, dict]:
    """The posted message (see services.message_post) and its wire data."""
    posted = services.message_post(user=user, room=room, text=text, client_id=client_id)
    return posted, message_data(posted.message)


def payload_object(args: tuple) -> dict:
    """The one object an event carries; raises ChatError("invalid_payload") otherwise."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise ChatError("invalid_payload")
    return args[0]


def payload_room(args: tuple) -> str:
    """The valid room name of a `{room}` payload."""
    room = payload_object(args).get("room")
    if not isinstance(room, str):
        raise ChatError("invalid_payload")
    return services.room_name_clean(room)


def joined_room(sid: str, args: tuple) -> str:
    """The room of a `{room}` payload, which this connection must have joined."""
    room = payload_room(args)
    if room not in presence.rooms_of(sid):
        raise ChatError("not_in_room")
    return room


def acknowledged(handler):
    """Answer ChatError, and any unexpected error, with an `{ok: false, error}` ack."""

    @functools.wraps(handler)
    async def answer(sid, *args):
        try:
            return await handler(sid, *args)
        except ChatError as error:
            return {"ok": False, "error": error.code}
        except Exception:
            logger.exception("Chat: the %r handler failed", handler.__name__)
            return {"ok": False, "error": "server_error"}

    return answer


async def user_of(sid: str):
    return (await sio.get_session(sid))["user"]


async def session_end(sid: str) -> None:
    """Tell connection `sid`, held by this worker, that its session expired; disconnect it."""
    await sio.emit("session_expired", {}, to=sid, ignore_queue=True)
    await sio.disconnect(sid, ignore_queue=True)


session_expiry = SessionExpiry(end=session_end)
# A deleted account's connections end as an expired session does (chat.closed_accounts).
closed_accounts = ClosedAccounts(end=session_end)


async def enter(sid: str, room: str, username: str) -> None:
    await sio.enter_room(sid, room)
    await presence.add(room=room, sid=sid, username=username)
    announcer.announce(room)


@sio.event
async def connect(sid, environ, auth=None):
    authenticated = await user_for_access_token(token_from(environ, auth))
    if authenticated is None:
        raise socketio.exceptions.ConnectionRefusedError(AUTHENTICATION_FAILED)
    user = authenticated.user
    announce.serve_locally(sio, asyncio.get_running_loop())
    await sio.save_session(sid, {"user": user})
    try:
        await enter(sid, LOBBY, user.username)
    except Exception:
        logger.exception("Chat: cannot register a new connection's presence")
        with contextlib.suppress(Exception):
            await presence.remove_connection(sid=sid)
        raise socketio.exceptions.ConnectionRefusedError("server_error") from None
    session_expiry.schedule(sid, expires_at=authenticated.expires_at)
    closed_accounts.track(sid, user.pk)


@sio.event
async def disconnect(sid, reason=None):
    session_expiry.cancel(sid)
    with contextlib.suppress(KeyError):
        closed_accounts.forget(sid, (await user_of(sid)).pk)
    try:
        rooms = await presence.remove_connection(sid=sid)
    except Exception:
        logger.exception("Chat: cannot remove a disconnected connection from presence")
        return
    for room in rooms:
        announcer.announce(room)


@sio.on("join")
@acknowledged
async def join(sid, *args):
    room = payload_room(args)
    joined = presence.rooms_of(sid)
    if room not in joined and len(joined) >= MAX_ROOMS_PER_CONNECTION:
        raise ChatError("too_many_rooms")
    await movie_room_check(room)
    user = await user_of(sid)
    await enter(sid, room, user.username)
    if not sio.manager.is_connected(sid, "/"):  # a polling client that went away meanwhile
        await presence.remove_connection(sid=sid)
        return {"ok": False, "error": "server_error"}
    members = await presence.users(room)
    history = await room_join_data(user=user, room=room)
    return {"ok": True, "room": room, "members": members, "history": history}


@sio.on("leave")
@acknowledged
async def leave(sid, *args):
    room = payload_room(args)
    if room in presence.rooms_of(sid):
        await sio.leave_room(sid, room)
        await presence.remove(room=room, sid=sid)
        announcer.announce(room)
    return {"ok": True, "room": room}


async def message_broadcast(posted: services.PostedMessage, data: dict) -> None:
    """Emit a stored message to its room, once, also when it was posted more than once.

    A message without a client_id is posted once: it is emitted. One with a client_id
    may be posted again by resends (services.message_post). With Redis its emit is marked
    in the same step as it is published (RedisManager.emit_once), so exactly one of its
    posts emits it: the first, or a resend when the worker of the first was killed between
    storing and publishing it. In one process the first post emits it: had the process
    died before, the connections that missed it died with it, and their clients find it
    in the history of the `join` that follows their reconnection.
    """
    message = posted.message
    if message.client_id is None:
        await sio.emit("message", data, to=message.room)
    elif isinstance(sio.manager, RedisManager):
        age = timezone.now() - message.created_at
        if not posted.duplicate or age < timedelta(seconds=BROADCAST_ONCE_SECONDS):
            await sio.manager.emit_once(
                f"message:{message.id}", "message", data, room=message.room, seconds=BROADCAST_ONCE_SECONDS
            )
    elif not posted.duplicate:
        await sio.emit("message", data, to=message.room)


@sio.on("message")
@acknowledged
async def message(sid, *args):
    client_id = None
    if len(args) == 1 and isinstance(args[0], str):
        room, text = LOBBY, args[0]
    else:
        payload = payload_object(args)
        room = payload.get("room")
        room = LOBBY if room is None else room
        if not isinstance(room, str) or "text" not in payload:
            raise ChatError("invalid_payload")
        text = payload["text"]
        client_id = services.message_client_id_clean(payload.get("client_id"))
    room = services.room_name_clean(room)
    if room not in presence.rooms_of(sid):
        raise ChatError("not_in_room")
    text = services.message_text_clean(text)
    try:
        user = await user_of(sid)
        posted, stored = await message_post_data(user=user, room=room, text=text, client_id=client_id)
    except ChatError:
        raise
    except Exception:
        logger.exception("Chat: cannot store a message")
        raise ChatError("storage_failed") from None
    await message_broadcast(posted, stored)
    if posted.duplicate:
        return {"ok": True, "message": stored, "duplicate": True}
    return {"ok": True, "message": stored}


# Off the database thread: a burst of typing does not queue behind, or ahead of, messages.
typing_rate_limit_take = sync_to_async(services.typing_rate_limit_take, thread_sensitive=False)


@sio.on("typing")
@acknowledged
async def typing(sid, *args):
    room = joined_room(sid, args)
    user = await user_of(sid)
    if not await typing_rate_limit_take(user_id=user.id, room=room):
        raise ChatError("rate_limited")
    await sio.emit(
        "typing", {"room": room, "user": {"id": user.id, "username": user.username}}, to=room, skip_sid=sid
    )
    return {"ok": True, "room": room}


@database_sync_to_async
def message_edit_data(*, user, message_id: int, text: str) -> dict:
    return message_data(services.message_edit(user=user, message_id=message_id, text=text))


@sio.on("edit")
@acknowledged
async def edit(sid, *args):
    payload = payload_object(args)
    if "id" not in payload or "text" not in payload:
        raise ChatError("invalid_payload")
    message_id = services.message_id_clean(payload["id"])
    text = services.message_text_clean(payload["text"])
    try:
        edited = await message_edit_data(user=await user_of(sid), message_id=message_id, text=text)
    except ChatError:
        raise
    except Exception:
        logger.exception("Chat: cannot store an edit")
        raise ChatError("storage_failed") from None
    await sio.emit("message_edited", edited, to=edited["room"])
    return {"ok": True, "message": edited}


message_delete = database_sync_to_async(services.message_delete)


@sio.on("delete")
@acknowledged
async def delete(sid, *args):
    message_id = services.message_id_clean(payload_object(args).get("id"))
    deleted = (await message_delete(user=await user_of(sid), message_id=message_id))._asdict()
    await sio.emit("message_deleted", deleted, to=deleted["room"])
    return {"ok": True, **deleted}


room_read = database_sync_to_async(services.room_read)


@sio.on("read")
@acknowledged
async def read(sid, *args):
    payload = payload_object(args)
    if not isinstance(payload.get("room"), str) or "last_read_id" not in payload:
        raise ChatError("invalid_payload")
    room = services.room_name_clean(payload["room"])
    last_read_id = services.message_id_clean(payload["last_read_id"])
    stored = await room_read(user=await user_of(sid), room=room, last_read_id=last_read_id)
    return {"ok": True, "room": room, "last_read_id": stored}


socketio_app = EngineIOFrameGuard(
    socketio.ASGIApp(sio, socketio_path="socket.io"), max_body_bytes=sio.eio.max_http_buffer_size
)
