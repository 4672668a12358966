"""Every write of the chat, with its rules: room names, message length, the rate limit."""

from django.core.cache import cache
from django.db import transaction

from .models import MESSAGE_MAX_LENGTH, ROOM_NAME_REGEX, Message

RATE_LIMIT_MESSAGES = 10
RATE_LIMIT_WINDOW_SECONDS = 10


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


def message_text_clean(value: object) -> str:
    """The trimmed text; raises ChatError "invalid_payload", "empty_message" or "message_too_long"."""
    if not isinstance(value, str):
        raise ChatError("invalid_payload")
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


def message_post(*, user, room: str, text: str) -> Message:
    """Store a user's message in a room and return it, committed.

    The caller broadcasts the returned message: it is committed by then, so nobody ever
    receives a message that was not stored. Raises ChatError for a bad room or text
    ("invalid_room", "empty_message", "message_too_long") and when the user is over the
    rate limit ("rate_limited"); database errors propagate.
    """
    room = room_name_clean(room)
    text = message_text_clean(text)
    if not message_rate_limit_take(user_id=user.id):
        raise ChatError("rate_limited")
    with transaction.atomic():
        message = Message.objects.create(room=room, user=user, text=text)
    return message
