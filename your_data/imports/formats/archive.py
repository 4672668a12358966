"""The files inside an upload: the upload itself, or the members of a ZIP, read as streams
whose size is bounded whatever the ZIP's headers claim (a ZIP bomb stops at the bound)."""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .rows import ImportFileError

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Limits:
    """How much an upload may unpack to. A file over a limit is refused as a whole."""

    max_members: int = 1000
    max_member_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    # Text compresses about tenfold; a member that claims a thousandfold is a bomb.
    max_compression_ratio: int = 1000


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


class BoundedReader(io.RawIOBase):
    """A binary stream that refuses to yield more than `limit` bytes."""

    def __init__(self, stream: BinaryIO, *, limit: int, name: str):
        self.stream, self.left, self.name = stream, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.stream.read(min(len(buffer), self.left + 1))
        except (zipfile.BadZipFile, EOFError, OSError) as error:  # a CRC mismatch, a truncated member
            raise ImportFileError(f"{self.name} in this ZIP cannot be read: {error}") from error
        if len(data) > self.left:
            raise ImportFileError(f"{self.name} unpacks to more than its ZIP says, or more than we accept.")
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def zip_members(upload: BinaryIO, *, limits: Limits) -> Iterator[tuple[str, BinaryIO]]:
    """(name, stream) of each file of a ZIP, checked against `limits` before any is read."""
    try:
        archive = zipfile.ZipFile(upload)
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        raise ImportFileError("This ZIP file is damaged and cannot be opened.") from error
    if len(members) > limits.max_members:
        raise ImportFileError(
            f"This ZIP holds {len(members)} files; an export holds at most {limits.max_members}."
        )
    declared_total = sum(info.file_size for info in members)
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.max_member_bytes or ratio > limits.max_compression_ratio:
            raise ImportFileError(f"{info.filename} in this ZIP unpacks to too much to be an export.")
    if declared_total > limits.max_total_bytes:
        raise ImportFileError("This ZIP unpacks to too much to be an export.")
    with archive:
        for info in members:
            try:
                with archive.open(info) as member:
                    yield (
                        info.filename,
                        io.BufferedReader(BoundedReader(member, limit=info.file_size, name=info.filename)),
                    )
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                # A CRC mismatch, an encrypted member, an unknown compression method.
                raise ImportFileError(f"{info.filename} in this ZIP cannot be read: {error}") from error


def csv_records(stream: BinaryIO, *, name: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each record of a UTF-8 CSV (with or without a BOM, any line
    ending), read line by line; blank records are skipped."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                yield reader.line_num, fields
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{name} is not UTF-8 text, as the export would be.") from error
    except csv.Error as error:
        raise ImportFileError(
            f"{name} is not a readable CSV file (line {reader.line_num}: {error})."
        ) from error
