"""Letterboxd's export: the ZIP as downloaded, or any of its CSVs alone.

ratings.csv, watched.csv, watchlist.csv: Date,Name,Year,Letterboxd URI[,Rating]
diary.csv: Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date
reviews.csv: the diary's columns and Review
lists/<name>.csv: "Letterboxd list export v7", the list (Date,Name,Tags,URL,Description),
then its films (Position,Name,Year,URL,Description).
Letterboxd's own import format's `Title` and `imdbID` columns are read too, which is how
Scrapbook's export names films exactly.
"""

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from .archive import csv_records
from .csv_rows import records_by_column, row_from
from .rows import ImportFileError, ImportRow, Kind, imdb_id_in, parse_date, parse_year, stars

FILES = ("ratings.csv", "watched.csv", "watchlist.csv", "diary.csv", "reviews.csv", "lists/*.csv")
LIST_EXPORT_MARK = "letterboxd list export"


def wanted_member(name: str) -> bool:
    """Whether a member of the export ZIP is one we read (likes/, deleted/ and the rest are not)."""
    path = PurePosixPath(name)
    if path.parent.name == "lists" and len(path.parts) == 2:
        return path.suffix == ".csv"
    return len(path.parts) == 1 and path.name in FILES


def rows(stream: BinaryIO, *, name: str) -> Iterator[ImportRow]:
    """The rows of one Letterboxd CSV, its kind told by its columns (and, for watched and
    watchlist, which share theirs, by its name). Raises ImportFileError."""
    head = stream.peek(64)[:64].lstrip(b"\xef\xbb\xbf").lower() if hasattr(stream, "peek") else b""
    if head.startswith(LIST_EXPORT_MARK.encode()):
        yield from list_rows(stream, name=name)
        return
    columns, records = records_by_column(stream, name=name)
    if not {"Name", "Title"} & set(columns) or "Year" not in columns:
        raise ImportFileError(f"{name} is not a Letterboxd export: it has no Name and Year columns.")
    kind = file_kind(columns, name)
    for line, record in records:
        yield row_from(kind, file=name, line=line, read=lambda row, record=record: read_film(row, record))


def file_kind(columns: list[str], name: str) -> Kind:
    if "Watched Date" in columns or "WatchedDate" in columns:
        return Kind.RATING if "Review" in columns else Kind.WATCH
    if "Rating" in columns or "Review" in columns:
        return Kind.RATING
    stem = PurePosixPath(name).stem.lower()
    if "watchlist" in stem:
        return Kind.WATCHLIST
    if "watched" in stem:
        return Kind.WATCHED
    raise ImportFileError(
        f"{name} may be your watchlist or your watched films: name it watchlist.csv or watched.csv."
    )


def read_film(row: ImportRow, record: dict) -> None:
    row.title = (record.get("Name") or record.get("Title") or "").strip()
    row.year = parse_year(record.get("Year"))
    row.imdb_id = imdb_id_in(record.get("imdbID"))
    row.rating = stars(record.get("Rating"))
    watched_on = record.get("Watched Date") or record.get("WatchedDate")
    row.date = parse_date(watched_on) if row.kind is Kind.WATCH else None
    row.date = row.date or parse_date(record.get("Date")) or parse_date(watched_on)
    row.text = (record.get("Review") or "").strip()
    row.rewatch = (record.get("Rewatch") or "").strip().lower() in {"yes", "true", "1"}


def list_rows(stream: BinaryIO, *, name: str) -> Iterator[ImportRow]:
    records = csv_records(stream, name=name)
    try:
        next(records)  # the "Letterboxd list export v7" mark
        _, list_columns = next(records)
        _, list_fields = next(records)
        _, item_columns = next(records)
    except StopIteration:
        raise ImportFileError(f"{name} is a Letterboxd list export cut short.") from None
    about = dict(zip([column.strip() for column in list_columns], list_fields, strict=False))
    list_name = (about.get("Name") or PurePosixPath(name).stem).strip()
    item_columns = [column.strip() for column in item_columns]
    if "Name" not in item_columns and "Title" not in item_columns:
        raise ImportFileError(f"{name} is a Letterboxd list export without its films' Name column.")
    for line, fields in records:
        record = dict(zip(item_columns, fields, strict=False))

        def read(row: ImportRow, record=record) -> None:
            row.list_name, row.list_description = list_name, (about.get("Description") or "").strip()
            row.title = (record.get("Name") or record.get("Title") or "").strip()
            row.year = parse_year(record.get("Year"))
            row.imdb_id = imdb_id_in(record.get("imdbID"))
            position = (record.get("Position") or "").strip()
            row.position = int(position) if position.isdigit() else None
            row.text = (record.get("Description") or "").strip()
            row.list_public = (about.get("Public") or "").strip().lower() not in {"no", "false", "0"}

        yield row_from(Kind.LIST_ITEM, file=name, line=line, read=read)
