"""IMDb's CSV exports: "Your ratings" (Const, Your Rating, Date Rated, Title, Year, Title
Type, ...) and the watchlist or a list (Position, Const, Created, Title, Year, ...).
Ratings of 1 to 10 become 0.5 to 5 stars."""

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from .csv_rows import records_by_column, row_from
from .rows import ImportFileError, ImportRow, Kind, imdb_id_in, parse_date, parse_year, stars_from_ten

# Title types that are films; series, episodes and games are not in a film catalogue.
FILM_TYPES = {"movie", "feature", "tvmovie", "tv movie", "video", "short", "tvshort", "tv short",
              "tvspecial", "tv special"}  # fmt: skip


def wanted_member(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() == ".csv"


def rows(stream: BinaryIO, *, name: str) -> Iterator[ImportRow]:
    """The rows of an IMDb ratings, watchlist or list export. Raises ImportFileError."""
    columns, records = records_by_column(stream, name=name)
    if "Const" not in columns:
        raise ImportFileError(f"{name} is not an IMDb export: it has no Const column.")
    if "Position" in columns or "Created" in columns:
        stem = PurePosixPath(name).stem
        list_name = "" if "watchlist" in stem.lower() or stem.lower() == "upload" else stem
        kind = Kind.LIST_ITEM if list_name else Kind.WATCHLIST
    elif "Your Rating" in columns:
        kind, list_name = Kind.RATING, ""
    else:
        raise ImportFileError(
            f"{name} is not an IMDb ratings or watchlist export: it has no Your Rating column."
        )
    for line, record in records:

        def read(row: ImportRow, record=record) -> None:
            row.imdb_id = imdb_id_in(record.get("Const"))
            row.title = (record.get("Title") or record.get("Original Title") or "").strip()
            row.year = parse_year(record.get("Year"))
            title_type = (record.get("Title Type") or "").strip()
            if title_type and title_type.lower() not in FILM_TYPES:
                row.problem = f"not a film ({title_type})"
            if kind is Kind.RATING:
                row.rating = stars_from_ten(record.get("Your Rating"))
                row.date = parse_date(record.get("Date Rated"))
                if row.rating is None:
                    row.problem = row.problem or "no rating"
            else:
                row.date = parse_date(record.get("Created"))
                position = (record.get("Position") or "").strip()
                row.position = int(position) if position.isdigit() else None
                row.text = (record.get("Description") or "").strip()
                row.list_name = list_name

        yield row_from(kind, file=name, line=line, read=read)
