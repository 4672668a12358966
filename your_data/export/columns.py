"""The columns of the exported CSVs: Letterboxd's export's, plus `imdbID` (Letterboxd's
import format names films by it), so a film comes back as exactly that film."""

import datetime

FILM = ["Date", "Name", "Year", "imdbID"]
RATED = [*FILM, "Rating"]
DIARY = [*RATED, "Rewatch", "Tags", "Watched Date"]
REVIEWED = [*RATED, "Rewatch", "Review", "Tags", "Watched Date"]
LIST_HEADER = ["Date", "Name", "Tags", "URL", "Description", "Public"]
LIST_ITEMS = ["Position", "Name", "Year", "imdbID", "URL", "Description"]


# What film_fields reads of a row's movie, for values_list(): rows, not model instances,
# since decoding each movie's JSON fields took most of an export's time.
FILM_VALUES = ("movie__title", "movie__year", "movie__imdb_id")


def film_fields(title: str, year: int | None, imdb_id: str, moment) -> list[str]:
    """Date, Name, Year and imdbID of a film; `moment` a datetime, a date or None."""
    if isinstance(moment, datetime.datetime):
        moment = moment.date()
    return [moment.isoformat() if moment else "", title, str(year or ""), imdb_id]
