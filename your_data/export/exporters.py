"""What an export holds: one registry of files and of scrapbook.json's sections.

The CSVs are Letterboxd's (Date, Name, Year, ...), with Letterboxd's import column
`imdbID` added, so that an export imports back into Scrapbook film for film, and into
Letterboxd. What issue 17 adds (diary, lists, follows, likes) comes from
issue17_exporters, empty until it is merged.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from chat.models import Message
from movie_module.models import Review, WatchlistItem
from your_data.models import Import

from . import issue17_exporters
from .columns import DIARY, FILM, RATED, REVIEWED, film_fields

ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class CsvFile:
    name: str
    columns: list[str]
    rows: Callable[..., Iterable[list]]  # rows(user=...)


@dataclass(frozen=True)
class JsonSection:
    key: str
    items: Callable[..., Iterable[dict]]  # items(user=...)


def watched_rows(*, user) -> Iterator[list]:
    """Every film marked watched or reviewed, once, with the day it was first known watched."""
    seen = set()
    items = (
        WatchlistItem.objects.filter(user=user, watched=True).select_related("movie").order_by("watched_at")
    )
    for item in items.iterator(chunk_size=2000):
        seen.add(item.movie_id)
        yield [*film_fields(item.movie, item.watched_at)]
    reviews = Review.objects.filter(user=user).exclude(movie_id__in=seen).select_related("movie")
    for review in reviews.order_by("created_at").iterator(chunk_size=2000):
        yield [*film_fields(review.movie, review.created_at)]


def rating_rows(*, user) -> Iterator[list]:
    reviews = Review.objects.filter(user=user).select_related("movie").order_by("updated_at", "id")
    for review in reviews.iterator(chunk_size=2000):
        yield [*film_fields(review.movie, review.updated_at), str(review.rating)]


def review_rows(*, user) -> Iterator[list]:
    reviews = (
        Review.objects.filter(user=user).exclude(body="").select_related("movie").order_by("created_at", "id")
    )
    for review in reviews.iterator(chunk_size=2000):
        date = film_fields(review.movie, review.updated_at)
        yield [*date, str(review.rating), "", review.body, "", date[0]]


def watchlist_rows(*, user) -> Iterator[list]:
    items = (
        WatchlistItem.objects.filter(user=user, watched=False).select_related("movie").order_by("added_at")
    )
    for item in items.iterator(chunk_size=2000):
        yield [*film_fields(item.movie, item.added_at)]


CSV_FILES = [
    CsvFile("watched.csv", FILM, watched_rows),
    CsvFile("ratings.csv", RATED, rating_rows),
    CsvFile("reviews.csv", REVIEWED, review_rows),
    CsvFile("diary.csv", DIARY, issue17_exporters.diary_rows),
    CsvFile("watchlist.csv", FILM, watchlist_rows),
]


def profile(*, user) -> Iterator[dict]:
    yield {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "date_joined": user.date_joined,
        "exported_at": timezone.now(),
    }


def chat_messages(*, user) -> Iterator[dict]:
    messages = Message.objects.filter(user=user).order_by("id").values("id", "room", "text", "created_at")
    yield from messages.iterator(chunk_size=2000)


def imports(*, user) -> Iterator[dict]:
    fields = ("id", "format", "filename", "status", "created_at", "finished_at", "counts")
    yield from Import.objects.filter(user=user).order_by("id").values(*fields).iterator(chunk_size=500)


# scrapbook.json: `profile` is an object, every other section a list.
JSON_SECTIONS = [
    JsonSection("profile", profile),
    JsonSection("follows", issue17_exporters.follows),
    JsonSection("likes", issue17_exporters.likes),
    JsonSection("chat_messages", chat_messages),
    JsonSection("imports", imports),
]


def csv_chunks(columns: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(*, user) -> Iterator[bytes]:
    encode = DjangoJSONEncoder(ensure_ascii=False).encode
    for position, section in enumerate(JSON_SECTIONS):
        opening = "{" if position == 0 else ","
        if section.key == "profile":
            yield f'{opening}"profile":{encode(next(iter(section.items(user=user))))}'.encode()
            continue
        parts = [f"{opening}{json.dumps(section.key)}:["]
        for number, item in enumerate(section.items(user=user)):
            parts.append(("," if number else "") + encode(item))
            if len(parts) >= ROWS_PER_CHUNK:
                yield "".join(parts).encode()
                parts = []
        yield ("".join(parts) + "]").encode()
    yield b"}\n"


def export_files(*, user) -> Iterator[tuple[str, Iterable[bytes]]]:
    """(name, chunks) of every file of the user's export, each read when its turn comes."""
    for csv_file in CSV_FILES:
        yield csv_file.name, csv_chunks(csv_file.columns, csv_file.rows(user=user))
    for name, columns, rows in issue17_exporters.list_files(user=user):
        yield f"lists/{name}", csv_chunks(columns, rows)
    yield "scrapbook.json", json_chunks(user=user)
