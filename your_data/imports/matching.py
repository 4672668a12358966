"""Which film of the catalogue each imported row means, or why none: never a guess.

By IMDb id when the row has one; else by title and year: the catalogue's films whose title
reads the same once case, accents, punctuation and a leading article are set aside
(movie_module.titles.title_key), the same year first, then one year off (release dates
differ between countries), each only when exactly one film fits. What the catalogue lacks
is asked of the IMDb API when it is configured, within MAX_API_LOOKUPS per import.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models.functions import Lower

from movie_module.catalogue import services as catalogue
from movie_module.models import Movie
from movie_module.titles import title_key

from .formats import ImportRow

# Each a call to the IMDb API, paced by its client: bounds how long an import may take.
MAX_API_LOOKUPS = 500
QUERY_CHUNK = 500

NOT_IN_CATALOGUE = "not in the catalogue"
AMBIGUOUS = "several films have this title and year"
NO_YEAR_AMBIGUOUS = "several films have this title: the file gives no year"


@dataclass(frozen=True)
class MatchedRows:
    movie_ids: dict[int, int]  # row index -> movie id
    reasons: dict[int, str]  # row index -> why it has no film


def chunks(values: list, size: int = QUERY_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def match_rows(rows: list[ImportRow]) -> MatchedRows:
    """The film of every row that has no problem of its own, by row index."""
    movie_ids: dict[int, int] = {}
    reasons: dict[int, str] = {}
    by_id = [index for index, row in enumerate(rows) if row.imdb_id]
    by_title = [index for index, row in enumerate(rows) if not row.imdb_id]
    known = catalogue_ids_by_imdb_id({rows[index].imdb_id for index in by_id})
    lookups = ApiLookups()
    for index in by_id:
        imdb_id = rows[index].imdb_id
        movie_id = known.get(imdb_id) or lookups.by_imdb_id(imdb_id)
        if movie_id:
            movie_ids[index] = movie_id
        else:
            reasons[index] = f"{NOT_IN_CATALOGUE} (IMDb id {imdb_id})"
    titles = TitleIndex([rows[index] for index in by_title])
    for index in by_title:
        row = rows[index]
        movie_id, reason = titles.find(row)
        if movie_id is None and reason == NOT_IN_CATALOGUE:
            movie_id = lookups.by_title(row)
        if movie_id:
            movie_ids[index] = movie_id
        else:
            reasons[index] = reason
    return MatchedRows(movie_ids=movie_ids, reasons=reasons)


def catalogue_ids_by_imdb_id(imdb_ids: Iterable[str]) -> dict[str, int]:
    found = {}
    for chunk in chunks(sorted(imdb_ids)):
        found.update(Movie.objects.filter(imdb_id__in=chunk).values_list("imdb_id", "id"))
    return found


class TitleIndex:
    """The catalogue's films that the rows' titles may mean, read in a few queries."""

    def __init__(self, rows: list[ImportRow]):
        self.by_key_and_year: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        years = {year + offset for row in rows if row.year for year in [row.year] for offset in (-1, 0, 1)}
        for chunk in chunks(sorted(years), 50):
            for movie_id, title, year in Movie.objects.filter(year__in=chunk).values_list(
                "id", "title", "year"
            ):
                self.by_key_and_year[title_key(title), year].append(movie_id)
        # Without a year, only the exact title (in any case) can be looked up.
        self.without_year: dict[str, list[int]] = defaultdict(list)
        names = sorted({row.title.lower() for row in rows if not row.year and row.title})
        for chunk in chunks(names):
            movies = Movie.objects.alias(title_lower=Lower("title")).filter(title_lower__in=chunk)
            for movie_id, title in movies.values_list("id", "title"):
                self.without_year[title.lower()].append(movie_id)

    def find(self, row: ImportRow) -> tuple[int | None, str]:
        """(movie id, "") or (None, why not)."""
        if not row.year:
            found = self.without_year.get(row.title.lower(), [])
            return (
                (found[0], "")
                if len(found) == 1
                else (None, NO_YEAR_AMBIGUOUS if found else NOT_IN_CATALOGUE)
            )
        key = title_key(row.title)
        same_year = self.by_key_and_year.get((key, row.year), [])
        if len(same_year) == 1:
            return same_year[0], ""
        if same_year:
            return None, AMBIGUOUS
        nearby = self.by_key_and_year.get((key, row.year - 1), []) + self.by_key_and_year.get(
            (key, row.year + 1), []
        )
        if len(nearby) == 1:
            return nearby[0], ""
        return None, AMBIGUOUS if nearby else NOT_IN_CATALOGUE


class ApiLookups:
    """The IMDb API's answers for what the catalogue lacks, each asked once per import; a
    title it finds counts only when it reads the same and its year is at most one off."""

    def __init__(self):
        self.left = MAX_API_LOOKUPS if catalogue.get_client() is not None else 0
        self.answers: dict[tuple, int | None] = {}

    def by_imdb_id(self, imdb_id: str) -> int | None:
        return self._ask(("id", imdb_id), lambda: catalogue.fetch_movie(imdb_id), check=None)

    def by_title(self, row: ImportRow) -> int | None:
        return self._ask(
            ("title", title_key(row.title), row.year),
            lambda: catalogue.fetch_title(row.title, row.year),
            check=row,
        )

    def _ask(self, key: tuple, fetch, *, check: ImportRow | None) -> int | None:
        if key not in self.answers:
            if self.left <= 0:
                return None
            self.left -= 1
            movie = fetch()
            if movie is not None and check is not None and not same_film(movie, check):
                movie = None
            self.answers[key] = movie.id if movie is not None else None
        return self.answers[key]


def same_film(movie: Movie, row: ImportRow) -> bool:
    year_fits = not row.year or movie.year is None or abs(movie.year - row.year) <= 1
    return year_fits and title_key(movie.title) == title_key(row.title)
