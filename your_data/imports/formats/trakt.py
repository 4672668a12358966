"""Trakt's JSON export: ratings-movies.json, watched-movies.json, watchlist-movies.json
(alone or in the export's ZIP), each an array read one object at a time. Ratings of 1 to
10 become 0.5 to 5 stars."""

import itertools
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

import ijson

from .rows import ImportFileError, ImportRow, Kind, imdb_id_in, parse_date, parse_year, stars_from_ten

FILES = {"ratings-movies.json": Kind.RATING, "watched-movies.json": Kind.WATCHED,
         "watchlist-movies.json": Kind.WATCHLIST}  # fmt: skip


def wanted_member(name: str) -> bool:
    return PurePosixPath(name).name in FILES


def rows(stream: BinaryIO, *, name: str) -> Iterator[ImportRow]:
    """The rows of one Trakt file, its kind told by its name or else by its objects' keys.
    Raises ImportFileError."""
    items = ijson.items(stream, "item", use_float=False)
    try:
        first = next(items, None)
        kind = FILES.get(PurePosixPath(name).name) or kind_of(first, name)
        for number, item in enumerate(itertools.chain([first] if first is not None else [], items), 1):
            yield row_of(kind, item, file=name, number=number)
    except ijson.JSONError as error:
        raise ImportFileError(f"{name} is not a Trakt export: it is not valid JSON.") from error


def kind_of(item, name: str) -> Kind:
    if isinstance(item, dict):
        if "rating" in item:
            return Kind.RATING
        if "plays" in item or "last_watched_at" in item:
            return Kind.WATCHED
        if "listed_at" in item:
            return Kind.WATCHLIST
    raise ImportFileError(
        f"{name} is not one of Trakt's ratings-movies.json, watched-movies.json or watchlist-movies.json."
    )


def row_of(kind: Kind, item, *, file: str, number: int) -> ImportRow:
    row = ImportRow(kind=kind, file=file, line=number)
    if not isinstance(item, dict) or not isinstance(item.get("movie"), dict):
        kind_name = item.get("type") if isinstance(item, dict) and isinstance(item.get("type"), str) else ""
        row.problem = f"not a film ({kind_name})" if kind_name else "not a film"
        return row
    movie = item["movie"]
    ids = movie.get("ids") if isinstance(movie.get("ids"), dict) else {}
    try:
        row.title = str(movie.get("title") or "").strip()
        row.year = parse_year(movie.get("year"))
        row.imdb_id = imdb_id_in(ids.get("imdb"))
        if kind is Kind.RATING:
            row.rating = stars_from_ten(item.get("rating"))
            row.date = parse_date(item.get("rated_at"))
        elif kind is Kind.WATCHED:
            row.date = parse_date(item.get("last_watched_at"))
        else:
            row.date = parse_date(item.get("listed_at"))
            row.text = str(item.get("notes") or "").strip()
    except (ValueError, TypeError) as error:
        row.problem = str(error)
    if not row.problem and not row.title and not row.imdb_id:
        row.problem = "no title"
    return row
