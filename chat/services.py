"""Every write of the chat, with its rules: room names, message text, the rate limits,
editing and deleting messages, read positions."""

import re
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from movie_module.models import IMDB_ID_PATTERN

from . import announce
from .models import CLIENT_ID_REGEX, MESSAGE_MAX_LENGTH, ROOM_NAME_REGEX, Message, RoomRead

MOVIE_ROOM_PREFIX = "movie:"
IMDB_ID_REGEX = re.compile(IMDB_ID_PATTERN)
RATE_LIMIT_MESSAGES = 10
RATE_LIMIT_WINDOW_SECONDS = 10
TYPING_INTERVAL_SECONDS = 1

# What message_text_clean changes or refuses, found in one search so that the usual text
# costs nothing more: C0 and C1 control characters (DEL included) other than tab and
# newline, carriage returns, and surrogate code points (JSON's "\ud800" can carry one
# alone; it is no character, and PostgreSQL cannot encode it).
TEXT_UNUSUAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
TEXT_SURROGATE = re.compile(r"[\ud800-\udfff]")
TEXT_LINE_BREAK = re.compile(r"\r\n?")
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ChatError(Exception):
    """A refused chat action; `code` is the `error` of the Socket.IO acknowledgement."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def room_name_clean(value: object) -> str:
    """The room name `value` names; raises ChatError("invalid_room") when it is not one."""
    if not isinstance(value, str) or ROOM_NAME_REGEX.fullmatch(value) is None:
        raise ChatError("invalid_room")
    return value


def room_movie_id(room: str) -> str | None:
    """The IMDb id a `movie:<imdb_id>` room names: None for a room that is no movie's, and
    "" for a `movie:` room whose rest is no IMDb id (no movie can have it)."""
    if not room.startswith(MOVIE_ROOM_PREFIX):
        return None
    imdb_id = room.removeprefix(MOVIE_ROOM_PREFIX)
    return imdb_id if IMDB_ID_REGEX.match(imdb_id) else ""


def message_id_clean(value: object) -> int:
    """A message id as an event names it; raises ChatError("invalid_payload") otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ChatError("invalid_payload")
    return value


def message_client_id_clean(value: object) -> str | None:
    """The client id (None when absent); raises ChatError("invalid_payload") when it is not one."""
    if value is None:
        return None
    if not isinstance(value, str) or CLIENT_ID_REGEX.fullmatch(value) is None:
        raise ChatError("invalid_payload")
    return value


def message_text_clean(value: object) -> str:
    r"""The text as stored: "\r\n" and "\r" made "\n", other control characters than tab and
    newline removed (PostgreSQL refuses NUL; the rest is noise or terminal escapes), then
    trimmed. Raises ChatError "invalid_payload" (not a string, or a surrogate code point),
    "empty_message" or "message_too_long"."""
    if not isinstance(value, str):
        raise ChatError("invalid_payload")
    if TEXT_UNUSUAL.search(value) is not None:
        if TEXT_SURROGATE.search(value) is not None:
            raise ChatError("invalid_payload")
        value = TEXT_CONTROL.sub("", TEXT_LINE_BREAK.sub("\n", value))
    text = value.strip()
    if not text:
        raise ChatError("empty_message")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ChatError("message_too_long")
    return text


def message_rate_limit_take(*, user_id: int) -> bool:
    """Take one of the user's message slots; False when all are taken (the limit is reached).

    A user has RATE_LIMIT_MESSAGES slots in the Django cache (Redis when configured, so
    every connection and every worker shares them). Sending takes a free slot with the
    atomic `cache.add`, and the slot frees itself RATE_LIMIT_WINDOW_SECONDS later: that
    is exactly "at most 10 messages in any 10 seconds", with no fixed window whose
    boundary would let 20 through.
    """
    keys = [f"chat:rate:{user_id}:{slot}" for slot in range(RATE_LIMIT_MESSAGES)]
    taken = cache.get_many(keys)
    # A slot that another message takes first (a race) makes `add` fail: try the next.
    return any(key not in taken and cache.add(key, 1, RATE_LIMIT_WINDOW_SECONDS) for key in keys)


def typing_rate_limit_take(*, user_id: int, room: str) -> bool:
    """Take the user's `typing` slot in the room; False when it is taken (one was relayed
    less than TYPING_INTERVAL_SECONDS ago).

    The slot is a key in the Django cache (Redis when configured, so every connection and
    worker shares it), taken by the atomic `cache.add` and freed by its expiry.
    """
    return cache.add(f"chat:typing:{user_id}:{room}", 1, TYPING_INTERVAL_SECONDS)


def message_of_client_id(*, user, client_id: str) -> Message | None:
    """The message the user stored with this client id, or None."""
    return Message.objects.select_related("user").filter(user=user, client_id=client_id).first()


class PostedMessage(NamedTuple):
    message: Message
    duplicate: bool  # True when this was a resend: the message was stored before


def message_post(*, user, room: str, text: str, client_id: str | None = None) -> PostedMessage:
    """Store a user's message in a room; return it, committed, and whether it was a resend.

    A `client_id` makes resending safe: when the user already stored a message with it,
    nothing is stored and that message comes back with `duplicate=True`, whatever the
    resend's room and text, without taking a rate limit slot. Concurrent resends are
    settled by the (user, client_id) unique constraint, so exactly one of them stores.

    The caller broadcasts the returned message: it is committed by then, so nobody ever
    receives a message that was not stored. Raises ChatError for a bad room, text or client
    id ("invalid_room", "empty_message", "message_too_long", "invalid_payload") and when
    the user is over the rate limit ("rate_limited"); database errors propagate.
    """
    room = room_name_clean(room)
    text = message_text_clean(text)
    client_id = message_client_id_clean(client_id)
    if client_id is not None:
        stored = message_of_client_id(user=user, client_id=client_id)
        if stored is not None:
            return PostedMessage(stored, duplicate=True)
    if not message_rate_limit_take(user_id=user.id):
        raise ChatError("rate_limited")
    try:
        with transaction.atomic():
            message = Message.objects.create(room=room, user=user, text=text, client_id=client_id)
    except IntegrityError:
        # Another connection stored the same resend since the lookup above.
        stored = None if client_id is None else message_of_client_id(user=user, client_id=client_id)
        if stored is None:
            raise
        return PostedMessage(stored, duplicate=True)
    return PostedMessage(message, duplicate=False)


def message_edit(*, user, message_id: int, text: str) -> Message:
    """Change the text of the user's own message; return it, committed, with `edited_at` set.

    The text is cleaned and checked as a new message's is, and an edit takes one of the
    user's message rate limit slots, since it reaches the room as a new message would.
    Raises ChatError: "invalid_payload", "empty_message", "message_too_long", "not_found"
    (no such message, or deleted), "forbidden" (another user's), "rate_limited".
    """
    message_id = message_id_clean(message_id)
    text = message_text_clean(text)
    message = Message.objects.select_related("user").filter(id=message_id).first()
    if message is None:
        raise ChatError("not_found")
    if message.user_id != user.id:
        raise ChatError("forbidden")
    if not message_rate_limit_take(user_id=user.id):
        raise ChatError("rate_limited")
    edited_at = timezone.now()
    if not Message.objects.filter(id=message_id).update(text=text, edited_at=edited_at):
        raise ChatError("not_found")  # deleted since it was read
    message.text, message.edited_at = text, edited_at
    return message


class DeletedMessage(NamedTuple):
    id: int
    room: str


def user_is_staff(user_id: int) -> bool:
    # Read now, not from the connection's session: staff status may have changed since.
    return get_user_model().objects.filter(id=user_id, is_staff=True, is_active=True).exists()


def message_delete(*, user, message_id: int) -> DeletedMessage:
    """Delete a message, the user's own or, for staff, anyone's; return what was deleted.

    Of concurrent deletions of one message exactly one succeeds. Raises ChatError:
    "invalid_payload", "not_found" (no such message, or deleted), "forbidden".
    """
    message_id = message_id_clean(message_id)
    message = Message.objects.filter(id=message_id).values("user_id", "room").first()
    if message is None:
        raise ChatError("not_found")
    if message["user_id"] != user.id and not user_is_staff(user.id):
        raise ChatError("forbidden")
    deleted, _ = Message.objects.filter(id=message_id).delete()
    if not deleted:
        raise ChatError("not_found")
    return DeletedMessage(message_id, message["room"])


def messages_delete_announced(*, messages: QuerySet) -> int:
    """Delete these messages (a moderator's choice, in the admin) and, once the deletion is
    committed, announce each one to its room as `message_deleted`; return how many."""
    deleted = [DeletedMessage(*row) for row in messages.values_list("id", "room")]
    Message.objects.filter(id__in=[message.id for message in deleted]).delete()

    def announce_all():
        for message in deleted:
            announce.emit("message_deleted", message._asdict(), room=message.room)

    transaction.on_commit(announce_all)
    return len(deleted)


def room_read_advance(*, user, room: str, message_id: int) -> int:
    """Move the user's read position in the room to `message_id`, never backwards; return
    the position now stored. Concurrent moves settle on the highest (a conditional update)."""
    position, created = RoomRead.objects.get_or_create(
        user=user, room=room, defaults={"last_read_id": message_id}
    )
    if created or position.last_read_id >= message_id:
        return position.last_read_id
    RoomRead.objects.filter(id=position.id, last_read_id__lt=message_id).update(
        last_read_id=message_id, updated_at=timezone.now()
    )
    return message_id


def room_read(*, user, room: str, last_read_id: int) -> int:
    """Record that the user read the room up to message `last_read_id`; return the stored
    position: the room's newest message at or before `last_read_id` (an id past the newest
    message cannot mark later messages as read), or a later one read before.

    Raises ChatError: "invalid_room", "invalid_payload", "not_found" (the room has no message
    at or before `last_read_id`).
    """
    room = room_name_clean(room)
    last_read_id = message_id_clean(last_read_id)
    newest = Message.objects.filter(room=room, id__lte=last_read_id).aggregate(newest=Max("id"))["newest"]
    if newest is None:
        raise ChatError("not_found")
    return room_read_advance(user=user, room=room, message_id=newest)
