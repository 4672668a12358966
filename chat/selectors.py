"""Every read of the chat: room history (Socket.IO and REST), the rooms list with what the
caller has not read, and whether a movie room's movie is in the catalogue."""

import functools
import operator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet

from api.shapes import output_columns
from movie_module.models import Movie
from scrapbook.internals.django_compiled_queries import CompiledQuery

from .models import Message, RoomRead

HISTORY_LENGTH = 50
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 100
ROOM_LIST_LENGTH = 100


@dataclass(frozen=True)
class MessagePage:
    results: list[dict]  # rows of what a message shows (MESSAGE_COLUMNS)
    next_before: int | None


@dataclass(frozen=True)
class RoomSummary:
    room: str
    last_message: Message | None
    message_count: int
    unread_count: int


def movie_in_catalogue(*, imdb_id: str) -> bool:
    return Movie.objects.filter(imdb_id=imdb_id).exists()


def _message_columns() -> tuple[str, ...]:
    from .serializers import MessageSerializer  # which reads this module's page sizes

    return output_columns(MessageSerializer)


def _newest_messages(*, room: str, before: int | None = None) -> QuerySet:
    messages = Message.objects.filter(room=room)
    if before is not None:
        messages = messages.filter(id__lt=before)
    return messages.order_by("-id").values(*_message_columns())


# Compiled once per process: rows, not instances (a page of 50 messages and their authors
# as model instances cost 4 of the history request's 7 ms of CPU, docs/PERFORMANCE.md).
NEWEST_MESSAGES = CompiledQuery(_newest_messages)


def _largest_message_id() -> int:
    return connection.ops.integer_field_range(Message._meta.pk.get_internal_type())[1]


def room_history(*, room: str, length: int = HISTORY_LENGTH) -> list[dict]:
    """The last `length` messages of a room, oldest first (what a client shows on joining),
    as rows that `compiled_row_output(MessageSerializer)` shows."""
    return NEWEST_MESSAGES.rows(values={"room": room}, window=(0, length))[::-1]


def room_message_page(
    *, room: str, before: int | None = None, limit: int = PAGE_LIMIT_DEFAULT
) -> MessagePage:
    """One page of a room's messages, newest first, older than message `before` when given,
    as rows that `compiled_row_output(MessageSerializer)` shows.

    `next_before` is the cursor of the next (older) page, None on the last page. One query:
    it reads one row more than the page to know whether another page follows.
    """
    if before is not None and before > _largest_message_id():
        before = None  # every message is older: the newest page (a compiled query sends the value)
    values = {"room": room} if before is None else {"room": room, "before": before}
    rows = NEWEST_MESSAGES.rows(values=values, window=(0, limit + 1))
    results = rows[:limit]
    next_before = results[-1]["id"] if len(rows) > limit else None
    return MessagePage(results=results, next_before=next_before)


def room_list(*, user, length: int = ROOM_LIST_LENGTH) -> list[RoomSummary]:
    """The rooms that have messages, most recently active first, at most `length` of them,
    each with what `user` has not read: the others' messages after the user's read position
    (RoomRead, moved by `read` and `join`), all of the others' messages in a room never read.

    Four queries whatever the number of rooms: counts and last ids grouped by room, the last
    messages with their authors, the user's read positions in those rooms, and the unread
    counts, each room's range read from the (room, -id) index.
    """
    rooms = list(
        Message.objects.values("room")
        .annotate(message_count=Count("id"), last_id=Max("id"))
        .order_by("-last_id")[:length]
    )
    if not rooms:
        return []
    names = [room["room"] for room in rooms]
    last_messages = Message.objects.select_related("user").in_bulk([room["last_id"] for room in rooms])
    read_positions = dict(
        RoomRead.objects.filter(user=user, room__in=names).values_list("room", "last_read_id")
    )
    unread_ranges = functools.reduce(
        operator.or_, (Q(room=name, id__gt=read_positions.get(name, 0)) for name in names)
    )
    unread = dict(
        Message.objects.filter(unread_ranges)
        .exclude(user=user)
        .values("room")
        .annotate(unread=Count("id"))
        .values_list("room", "unread")
    )
    return [
        RoomSummary(
            room=room["room"],
            last_message=last_messages.get(room["last_id"]),
            message_count=room["message_count"],
            unread_count=unread.get(room["room"], 0),
        )
        for room in rooms
    ]
