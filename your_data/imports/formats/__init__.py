"""Reading the exports of Letterboxd, IMDb and Trakt into normalised rows (rows.ImportRow).

Pure: no Django, no database. Every file is streamed (CSV line by line, JSON object by
object, ZIP members through bounded readers), so a large or hostile upload costs time up
to the caller's row cap, never memory. Everything a person could have done wrong raises
rows.ImportFileError with a message for them.
"""

import io
import itertools
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from . import imdb, letterboxd, trakt
from .archive import BoundedReader, Limits, is_zip, zip_members
from .rows import ImportFileError, ImportRow, Kind

__all__ = ["FORMATS", "ImportFileError", "ImportRow", "Kind", "Limits", "check_file", "file_rows"]

FORMATS = {"letterboxd": letterboxd, "imdb": imdb, "trakt": trakt}

NOTHING_TO_READ = {
    "letterboxd": "This ZIP holds none of Letterboxd's export files (ratings.csv, watched.csv, "
    "watchlist.csv, diary.csv, reviews.csv, lists/).",
    "imdb": "This ZIP holds no CSV file of IMDb's.",
    "trakt": "This ZIP holds none of Trakt's ratings-movies.json, watched-movies.json or "
    "watchlist-movies.json.",
}
# Rows of each file that the upload's check reads: enough to know the file is what it says.
ROWS_CHECKED_PER_FILE = 20


def file_members(
    format_name: str, upload: BinaryIO, *, filename: str, limits: Limits
) -> Iterator[Iterator[ImportRow]]:
    """The rows of each file of the upload (one file, or the members of its ZIP), a lazy
    iterator per file. Raises ImportFileError, also while the rows are read."""
    reader = FORMATS[format_name]
    head = upload.read(len(b"PK\x03\x04"))
    upload.seek(0)
    if not head:
        raise ImportFileError("The file is empty.")
    if not is_zip(head):
        name = PurePosixPath(filename or "upload").name
        yield reader.rows(
            io.BufferedReader(BoundedReader(upload, limit=limits.max_member_bytes, name=name)), name=name
        )
        return
    found = False
    for name, member in zip_members(upload, limits=limits):
        if reader.wanted_member(name):
            found = True
            yield reader.rows(member, name=name)
    if not found:
        raise ImportFileError(NOTHING_TO_READ[format_name])


def file_rows(format_name: str, upload: BinaryIO, *, filename: str, limits: Limits) -> Iterator[ImportRow]:
    """Every row of the upload, file after file. Raises ImportFileError."""
    for rows in file_members(format_name, upload, filename=filename, limits=limits):
        yield from rows


def check_file(format_name: str, upload: BinaryIO, *, filename: str, limits: Limits) -> None:
    """Raise ImportFileError unless the upload looks like this format's export: every file
    it holds opens, and its first rows read. The upload is rewound for the import."""
    try:
        for rows in file_members(format_name, upload, filename=filename, limits=limits):
            for _ in itertools.islice(rows, ROWS_CHECKED_PER_FILE):
                pass
    finally:
        upload.seek(0)
