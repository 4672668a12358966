"""The columns of the exported CSVs: Letterboxd's export's, plus `imdbID` (Letterboxd's
import format names films by it), so a film comes back as exactly that film."""

import datetime

FILM = ["Date", "Name", "Year", "imdbID"]
RATED = [*FILM, "Rating"]
DIARY = [*RATED, "Rewatch", "Tags", "Watched Date"]
REVIEWED = [*RATED, "Rewatch", "Review", "Tags", "Watched Date"]
LIST_HEADER = ["Date", "Name", "Tags", "URL", "Description", "Public"]
LIST_ITEMS = ["Position", "Name", "Year", "imdbID", "URL", "Description"]


def film_fields(movie, moment: datetime.datetime | datetime.date | None) -> list[str]:
    """Date, Name, Year and imdbID of a film."""
    if isinstance(moment, datetime.datetime):
        moment = moment.date()
    return [moment.isoformat() if moment else "", movie.title, str(movie.year or ""), movie.imdb_id]
