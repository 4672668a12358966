"""Reading a MovieLens download from GroupLens: its layouts, movies, links and ratings.

Nothing here writes to the database: movielens/importing.py does."""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from movie_module.models import Movie
from movie_module.titles import ParsedTitle, parse_title, title_key, title_names

DEFAULT_BATCH_SIZE = 20_000


# Lookups by IMDb id go in slices, under every database's limit on query parameters.
LOOKUP_SLICE = 2_000


RATING_FRAME_COLUMNS = ("user", "movie", "rating", "timestamp")


TITLE_MAX_LENGTH = Movie._meta.get_field("title").max_length


NO_GENRES = "(no genres listed)"


# Why a row was skipped, as the summary shows it.
MISSING_COLUMN = "missing column"


TOO_MANY_COLUMNS = "too many columns"


BAD_MOVIE_ID = "movie id not a positive integer"


BAD_USER_ID = "user id not a positive integer"


BAD_IMDB_ID = "IMDb id not 1 to 8 digits"


REPEATED_MOVIE_ID = "movie id listed twice"


RATING_NOT_A_NUMBER = "rating not a number"


RATING_OUT_OF_RANGE = "rating not 0.5 to 5 in half stars"


UNKNOWN_MOVIE = "movie id not in the movies file"


MOVIE_NOT_IMPORTED = "movie has no IMDb id (unmatched)"


# Called with the bytes of the ratings file read so far and its size.
Progress = Callable[[int, int], None]


class MovieLensError(Exception):
    """The folder holds no complete MovieLens download, or a file lacks a required column."""


@dataclass(frozen=True)
class Layout:
    name: str
    movies_file: str
    ratings_file: str
    links_file: str | None
    encoding: str
    movie_columns: tuple[str, ...] = ("movieId", "title", "genres")
    rating_columns: tuple[str, ...] = ("userId", "movieId", "rating", "timestamp")

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(name for name in (self.movies_file, self.ratings_file, self.links_file) if name)


CSV_LAYOUT = Layout("csv (ml-latest-small, ml-25m)", "movies.csv", "ratings.csv", "links.csv", "utf-8-sig")


ML_1M_LAYOUT = Layout("ml-1m", "movies.dat", "ratings.dat", None, "latin-1")


LAYOUTS = (CSV_LAYOUT, ML_1M_LAYOUT)


@dataclass(frozen=True)
class MovieLensMovie:
    movielens_id: int
    title: str
    year: int | None
    genres: list[str]
    match_keys: tuple[str, ...]
    # Every name the title gives ("Amelie", "Le Fabuleux destin d'Amélie Poulain"), main first.
    names: tuple[str, ...] = ()

    def alternate_titles_for(self, title: str, known: list[str] = ()) -> list[str]:
        """The names of this movie that a catalogue movie with this title and these
        alternate titles lacks (compared by title_key), after the known ones."""
        seen = {title_key(name) for name in (title, *known)}
        added = []
        for name in self.names:
            if title_key(name) not in seen:
                seen.add(title_key(name))
                added.append(name)
        return [*known, *added]


@dataclass
class ImportReport:
    layout: Layout
    source: str
    movies_created: int = 0
    movies_existing: int = 0
    movies_filled: int = 0
    movies_unmatched: int = 0
    ratings_imported: int = 0
    ratings_in_source: int = 0
    # (file name, reason) → rows skipped.
    skipped: Counter = field(default_factory=Counter)

    def skip(self, file_name: str, reason: str, rows: int = 1) -> None:
        if rows:
            self.skipped[(file_name, reason)] += rows


def detect_layout(folder: Path) -> Layout:
    """The layout of the MovieLens download in `folder`.

    Raises MovieLensError when `folder` is not a folder, when a layout's file is missing,
    or when no layout's files are there at all.
    """
    if not folder.is_dir():
        raise MovieLensError(f"{folder} is not a folder; pass the folder extracted from the MovieLens zip.")
    for layout in LAYOUTS:
        present = [name for name in layout.files if (folder / name).is_file()]
        if len(present) == len(layout.files):
            return layout
        if present:
            missing = ", ".join(name for name in layout.files if name not in present)
            raise MovieLensError(
                f"{folder} looks like a MovieLens {layout.name} download but lacks {missing}."
            )
    expected = "; or ".join(", ".join(layout.files) + f" ({layout.name})" for layout in LAYOUTS)
    hint = "".join(
        f" Did you mean {child}?"
        for child in sorted(folder.iterdir())
        if child.is_dir() and any((child / layout.movies_file).is_file() for layout in LAYOUTS)
    )
    raise MovieLensError(f"{folder} holds no MovieLens download: expected {expected}.{hint}")


# MovieLens puts a title's leading article last: "Matrix, The", "Cité des enfants perdus, La".
def parse_movielens_title(raw_title: str) -> tuple[str, int | None, tuple[str, ...]]:
    """Split a MovieLens title such as "Cité des enfants perdus, La (City of Lost Children,
    The) (1995)" into a display title with each article back in front ("La Cité des enfants
    perdus (The City of Lost Children)"), the year (None when absent) and its match keys."""
    parsed = parse_title(raw_title)
    return parsed.display[:TITLE_MAX_LENGTH], parsed.year, parsed.keys


def catalogue_match_keys(title: str) -> tuple[str, ...]:
    """The match keys of a catalogue movie's title (which carries no year)."""
    return ParsedTitle(names=title_names(title), year=None).keys


def read_rows(path: Path, layout: Layout, required: tuple[str, ...]) -> Iterator[dict]:
    """{column: value} for each row of a small file, blank lines skipped; key None holds
    how many more values than columns the row has (negative: fewer).

    Raises MovieLensError when a CSV header lacks a column of `required`.
    """
    with open(path, encoding=layout.encoding, newline="") as file:
        if layout is ML_1M_LAYOUT:
            columns = list(required)
            rows = (line.rstrip("\r\n").split("::") for line in file)
        else:
            rows = csv.reader(file)
            columns = [name.strip() for name in next(rows, [])]
            missing = [name for name in required if name not in columns]
            if missing:
                raise MovieLensError(f"{path} has no column {', '.join(missing)} in its header.")
        for values in rows:
            if values in ([], [""]):
                continue
            yield dict(zip(columns, values, strict=False)) | {None: len(values) - len(columns)}


def positive_integer(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None


def read_movies(folder: Path, layout: Layout, report: ImportReport) -> dict[int, MovieLensMovie]:
    """The movies of the movies file by MovieLens id; bad rows are counted in `report`."""
    movies: dict[int, MovieLensMovie] = {}
    for row in read_rows(folder / layout.movies_file, layout, layout.movie_columns):
        reason = shape_problem(row, layout.movie_columns)
        movielens_id = positive_integer(row.get("movieId"))
        if reason is None and movielens_id is None:
            reason = BAD_MOVIE_ID
        if reason is None and movielens_id in movies:
            reason = REPEATED_MOVIE_ID
        if reason is not None:
            report.skip(layout.movies_file, reason)
            continue
        title, year, keys = parse_movielens_title(row["title"])
        genres = [genre.strip() for genre in row["genres"].split("|") if genre.strip() not in ("", NO_GENRES)]
        movies[movielens_id] = MovieLensMovie(movielens_id, title, year, genres, keys, title_names(title))
    return movies


def shape_problem(row: dict, required: tuple[str, ...]) -> str | None:
    """TOO_MANY_COLUMNS, MISSING_COLUMN when a required value is absent or blank, or None."""
    if row[None] > 0:
        return TOO_MANY_COLUMNS
    if any(not (row.get(name) or "").strip() for name in required):
        return MISSING_COLUMN
    return None


def read_links(folder: Path, layout: Layout, movies: dict, report: ImportReport) -> dict[int, str]:
    """IMDb id ("tt" and at least 7 digits) by MovieLens id, for the movies of `movies`."""
    imdb_ids: dict[int, str] = {}
    # tmdbId is optional: MovieLens leaves it empty for some movies.
    required = ("movieId", "imdbId")
    for row in read_rows(folder / layout.links_file, layout, required):
        reason = shape_problem(row, required)
        movielens_id = positive_integer(row.get("movieId"))
        imdb_digits = positive_integer(row.get("imdbId"))
        if reason is None and movielens_id is None:
            reason = BAD_MOVIE_ID
        elif reason is None and (imdb_digits is None or imdb_digits >= 10**8):
            reason = BAD_IMDB_ID
        elif reason is None and movielens_id not in movies:
            reason = UNKNOWN_MOVIE
        elif reason is None and movielens_id in imdb_ids:
            reason = REPEATED_MOVIE_ID
        if reason is not None:
            report.skip(layout.links_file, reason)
            continue
        imdb_ids[movielens_id] = f"tt{imdb_digits:07d}"
    return imdb_ids


def rating_chunks(
    path: Path, layout: Layout, *, chunk_size: int, limit: int | None, on_progress: Progress
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Chunks of the ratings file with columns user, movie, rating, timestamp (values as
    parsed: numbers, text or NaN), each with the count of its lines that had too many
    values (pandas skips those)."""
    total_bytes = path.stat().st_size
    with open(path, "rb") as file:
        if layout is ML_1M_LAYOUT:
            # A one-character separator keeps pandas' fast C parser; "::" leaves empty
            # columns in between.
            names = ["user", "gap1", "movie", "gap2", "rating", "gap3", "timestamp"]
        else:
            header = [name.strip() for name in file.readline().decode(layout.encoding).split(",")]
            missing = [name for name in layout.rating_columns if name not in header]
            if missing:
                raise MovieLensError(f"{path} has no column {', '.join(missing)} in its header.")
            renamed = dict(zip(layout.rating_columns, RATING_FRAME_COLUMNS, strict=True))
            names = [renamed.get(name, name) for name in header]
        reader = pd.read_csv(
            file,
            sep=":" if layout is ML_1M_LAYOUT else ",",
            header=None,
            names=names,
            encoding=layout.encoding,
            chunksize=chunk_size,
            nrows=limit,
            on_bad_lines="warn",
        )
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                chunk = next(reader, None)
            too_long = sum(str(warning.message).count("Skipping line") for warning in caught)
            on_progress(file.tell(), total_bytes)
            if chunk is None:
                if too_long:
                    yield pd.DataFrame(columns=RATING_FRAME_COLUMNS), too_long
                return
            yield chunk[list(RATING_FRAME_COLUMNS)], too_long


def whole_positive(values: pd.Series) -> pd.Series:
    return values.notna() & (values > 0) & (values < 2**62) & (values == np.floor(values))


def valid_ratings(
    chunk: pd.DataFrame,
    *,
    pk_by_movielens_id: pd.Series,
    known_movie_ids: np.ndarray,
    report: ImportReport,
    file_name: str,
) -> pd.DataFrame:
    """The importable rows of `chunk` as user (int), movie (Movie pk) and rating (float),
    one per user and movie (the later row wins); the others are counted in `report`."""
    keep = pd.Series(True, index=chunk.index)

    def reject(mask: pd.Series, reason: str) -> None:
        nonlocal keep
        rejected = mask & keep
        report.skip(file_name, reason, int(rejected.sum()))
        keep &= ~rejected

    reject(chunk.isna().any(axis=1), MISSING_COLUMN)
    users = pd.to_numeric(chunk["user"], errors="coerce")
    reject(~whole_positive(users), BAD_USER_ID)
    movie_ids = pd.to_numeric(chunk["movie"], errors="coerce")
    reject(~whole_positive(movie_ids), BAD_MOVIE_ID)
    ratings = pd.to_numeric(chunk["rating"], errors="coerce")
    reject(ratings.isna(), RATING_NOT_A_NUMBER)
    stars = ratings * 2
    reject(~((stars >= 1) & (stars <= 10) & (stars == np.floor(stars))), RATING_OUT_OF_RANGE)
    movie_ids = movie_ids.where(keep, 0).astype("int64")
    reject(~movie_ids.isin(known_movie_ids), UNKNOWN_MOVIE)
    movie_pks = movie_ids.map(pk_by_movielens_id)
    reject(movie_pks.isna(), MOVIE_NOT_IMPORTED)
    rows = pd.DataFrame(
        {
            "user": users[keep].astype("int64"),
            "movie": movie_pks[keep].astype("int64"),
            "rating": ratings[keep],
        }
    )
    return rows.drop_duplicates(["user", "movie"], keep="last")
