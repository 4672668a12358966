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
from .columns import DIARY, FILM, FILM_VALUES, RATED, REVIEWED, film_fields

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
    items = WatchlistItem.objects.filter(user=user, watched=True).order_by("watched_at")
    for movie_id, *film, watched_at in items.values_list("movie_id", *FILM_VALUES, "watched_at").iterator(
        2000
    ):
        seen.add(movie_id)
        yield film_fields(*film, watched_at)
    reviews = Review.objects.filter(user=user).order_by("created_at")
    for movie_id, *film, created_at in reviews.values_list("movie_id", *FILM_VALUES, "created_at").iterator(
        2000
    ):
        if movie_id not in seen:
            yield film_fields(*film, created_at)


def rating_rows(*, user) -> Iterator[list]:
    reviews = Review.objects.filter(user=user).order_by("updated_at", "id")
    for *film, updated_at, rating in reviews.values_list(*FILM_VALUES, "updated_at", "rating").iterator(2000):
        yield [*film_fields(*film, updated_at), str(rating)]


def review_rows(*, user) -> Iterator[list]:
    reviews = Review.objects.filter(user=user).exclude(body="").order_by("created_at", "id")
    columns = (*FILM_VALUES, "updated_at", "rating", "body")
    for *film, updated_at, rating, body in reviews.values_list(*columns).iterator(2000):
        fields = film_fields(*film, updated_at)
        yield [*fields, str(rating), "", body, "", fields[0]]


def watchlist_rows(*, user) -> Iterator[list]:
    items = WatchlistItem.objects.filter(user=user, watched=False).order_by("added_at")
    for *film, added_at in items.values_list(*FILM_VALUES, "added_at").iterator(2000):
        yield film_fields(*film, added_at)


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
