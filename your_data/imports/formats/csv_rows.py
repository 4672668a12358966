"""Shared by the CSV formats: records as dicts by column, and a row's fields read safely."""

from collections.abc import Callable, Iterator
from typing import BinaryIO

from .archive import csv_records
from .rows import ImportFileError, ImportRow, Kind


def records_by_column(stream: BinaryIO, *, name: str) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """The header's columns and an iterator of (line, {column: value}) for the records after it."""
    records = csv_records(stream, name=name)
    try:
        _, header = next(records)
    except StopIteration:
        raise ImportFileError(f"{name} is empty.") from None
    columns = [column.strip() for column in header]

    def by_column() -> Iterator[tuple[int, dict]]:
        for line, fields in records:
            yield line, dict(zip(columns, fields, strict=False))

    return columns, by_column()


def row_from(kind: Kind, *, file: str, line: int, read: Callable[[ImportRow], None]) -> ImportRow:
    """A row of `kind`, filled by `read`; a value it cannot read becomes the row's problem."""
    row = ImportRow(kind=kind, file=file, line=line)
    try:
        read(row)
    except ValueError as error:
        row.problem = str(error)
    if not row.problem and not row.title and not row.imdb_id:
        row.problem = "no title"
    return row
