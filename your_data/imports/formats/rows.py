"""What every importer produces: one normalised row per line or object of an export file."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

IMDB_ID = re.compile(r"tt[0-9]{7,8}")


class Kind(Enum):
    RATING = "rating"  # a rating, maybe with a review's text
    WATCHED = "watched"  # marked watched, without a day of viewing
    WATCH = "watch"  # a diary entry: one viewing on one day
    WATCHLIST = "watchlist"
    LIST_ITEM = "list item"


@dataclass(slots=True)
class ImportRow:
    """One row of an export, in the service's words made ours.

    `file` and `line` say where it came from, for the report; `rating` is in stars
    (0.5 to 5 in halves) or None; `problem` is set when the row cannot be used at all.
    """

    kind: Kind
    file: str
    line: int
    title: str = ""
    year: int | None = None
    imdb_id: str = ""
    rating: Decimal | None = None
    date: datetime.date | None = None
    text: str = ""
    rewatch: bool = False
    list_name: str = ""
    list_description: str = ""
    list_public: bool = True
    position: int | None = None
    problem: str = ""


class ImportFileError(ValueError):
    """The file is not what its format says, in words a person understands."""


class TooManyRows(Exception):
    """Raised by the row cap; the rows before it are kept."""


def stars_from_ten(value: str | int | float | None) -> Decimal | None:
    """IMDb's and Trakt's 1 to 10 as 0.5 to 5 stars; None for an empty value.
    Raises ValueError for anything else."""
    if value is None or value == "":
        return None
    number = Decimal(str(value).strip())
    if number != number.to_integral_value() or not 1 <= number <= 10:
        raise ValueError(f"rating {value} is not a whole number from 1 to 10")
    return number / 2


def stars(value: str | None) -> Decimal | None:
    """Letterboxd's 0.5 to 5 stars; None for an empty value. Raises ValueError otherwise."""
    if value is None or not value.strip():
        return None
    number = Decimal(value.strip())
    if not 0.5 <= number <= 5 or (number * 2) != (number * 2).to_integral_value():
        raise ValueError(f"rating {value} is not from 0.5 to 5 stars in halves")
    return number


DATE_FORMATS = ("%Y-%m-%d", "%a %b %d %H:%M:%S %Y", "%d/%m/%Y", "%Y/%m/%d")


def parse_date(value: str | None) -> datetime.date | None:
    """A date as the services write it: 2024-05-01, 2024-05-01T20:15:00.000Z, Sat Mar 03
    00:00:00 2012 (old IMDb exports). None for an empty value; ValueError otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date")


def parse_year(value) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1870 <= int(text) <= 2200:
        raise ValueError(f"year {value!r} is not a year")
    return int(text)


def imdb_id_in(value) -> str:
    """The IMDb id in a value ("tt0133093", or a URL holding one), or ""."""
    found = IMDB_ID.search(str(value or ""))
    return found.group(0) if found else ""
