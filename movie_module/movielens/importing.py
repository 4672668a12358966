"""Import a MovieLens download into Movie and CorpusRating (the files are read by
movielens/parsing.py)."""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import connection, transaction

from movie_module.catalogue.counters import recount_all_movies
from movie_module.catalogue.genres import set_movie_genres
from movie_module.models import CorpusRating, Movie, MovieGenre

from .parsing import (
    DEFAULT_BATCH_SIZE,
    LOOKUP_SLICE,
    TOO_MANY_COLUMNS,
    ImportReport,
    Layout,
    MovieLensMovie,
    Progress,
    catalogue_match_keys,
    detect_layout,
    rating_chunks,
    read_links,
    read_movies,
    valid_ratings,
)


def save_linked_movies(
    *, movies: dict[int, MovieLensMovie], imdb_ids: dict[int, str], batch_size: int, report: ImportReport
) -> dict[int, int]:
    """Create the movies of `imdb_ids` missing from the catalogue; return Movie pk by
    MovieLens id. Existing movies keep their data but for an empty year or genres."""
    first_by_imdb: dict[str, MovieLensMovie] = {}
    for movielens_id, imdb_id in imdb_ids.items():
        first_by_imdb.setdefault(imdb_id, movies[movielens_id])
    existing_pks = pks_by_imdb_id(list(first_by_imdb))
    new_movies = [
        Movie(
            imdb_id=imdb_id,
            title=movie.title,
            year=movie.year,
            alternate_titles=movie.alternate_titles_for(movie.title),
            source=Movie.Source.MOVIELENS,
        )
        for imdb_id, movie in first_by_imdb.items()
        if imdb_id not in existing_pks
    ]
    with transaction.atomic():
        Movie.objects.bulk_create(new_movies, batch_size=batch_size, ignore_conflicts=True)
        new_pks = pks_by_imdb_id([movie.imdb_id for movie in new_movies])
        set_movie_genres({pk: first_by_imdb[imdb_id].genres for imdb_id, pk in new_pks.items()})
        fill_missing_details(
            {
                existing_pks[imdb_id]: movie
                for imdb_id, movie in first_by_imdb.items()
                if imdb_id in existing_pks
            },
            batch_size=batch_size,
            report=report,
        )
    report.movies_created += len(new_movies)
    report.movies_existing += len(existing_pks)
    report.movies_unmatched += len(movies) - len(imdb_ids)
    all_pks = pks_by_imdb_id(list(first_by_imdb))
    return {movielens_id: all_pks[imdb_id] for movielens_id, imdb_id in imdb_ids.items()}


def pks_by_imdb_id(imdb_ids: list[str]) -> dict[str, int]:
    pks = {}
    for start in range(0, len(imdb_ids), LOOKUP_SLICE):
        pks.update(
            Movie.objects.filter(imdb_id__in=imdb_ids[start : start + LOOKUP_SLICE]).values_list(
                "imdb_id", "pk"
            )
        )
    return pks


def match_catalogue_movies(
    *, movies: dict[int, MovieLensMovie], batch_size: int, report: ImportReport
) -> dict[int, int]:
    """Movie pk by MovieLens id for the movies whose title and year name exactly one
    catalogue movie; the others are counted as unmatched. Never creates a movie."""
    catalogue: dict[tuple[str, int], set[int]] = defaultdict(set)
    for pk, title, year in Movie.objects.exclude(year=None).values_list("pk", "title", "year").iterator():
        for key in catalogue_match_keys(title):
            catalogue[(key, year)].add(pk)
    matched: dict[int, int] = {}
    for movie in movies.values():
        for key in movie.match_keys:
            candidates = catalogue.get((key, movie.year), set())
            if len(candidates) == 1:
                matched[movie.movielens_id] = next(iter(candidates))
                break
    with transaction.atomic():
        fill_missing_details(
            {pk: movies[movielens_id] for movielens_id, pk in matched.items()},
            batch_size=batch_size,
            report=report,
        )
    report.movies_existing += len(set(matched.values()))
    report.movies_unmatched += len(movies) - len(matched)
    return matched


def fill_missing_details(movies_by_pk: dict[int, MovieLensMovie], *, batch_size: int, report: ImportReport):
    """Give catalogue movies an empty year or genres from MovieLens, and the names MovieLens
    knows them by that they lack (searchable as alternate titles); nothing else changes."""
    changed, given_genres, filled = [], {}, set()
    pks = list(movies_by_pk)
    columns = ["year", "alternate_titles"]
    for start in range(0, len(pks), LOOKUP_SLICE):
        part = pks[start : start + LOOKUP_SLICE]
        with_genres = set(MovieGenre.objects.filter(movie_id__in=part).values_list("movie_id", flat=True))
        for movie in Movie.objects.filter(pk__in=part).only("title", *columns):
            source = movies_by_pk[movie.pk]
            alternate_titles = source.alternate_titles_for(movie.title, movie.alternate_titles or [])
            if movie.pk not in with_genres and source.genres:
                given_genres[movie.pk] = source.genres
                filled.add(movie.pk)
            gives_year = movie.year is None and source.year
            if gives_year or alternate_titles != movie.alternate_titles:
                movie.year = movie.year or source.year
                movie.alternate_titles = alternate_titles
                changed.append(movie)
                if gives_year:
                    filled.add(movie.pk)
    Movie.objects.bulk_update(changed, columns, batch_size=batch_size)
    set_movie_genres(given_genres)
    report.movies_filled += len(filled)


def upsert_ratings_sql(row_count: int) -> str:
    """INSERT of `row_count` ratings ... ON CONFLICT DO UPDATE, the same on SQLite and
    PostgreSQL; an unchanged rating is not rewritten. The rows must not repeat a
    (source, user, movie): PostgreSQL refuses to update a row twice in one statement."""
    quote = connection.ops.quote_name
    table = quote(CorpusRating._meta.db_table)
    columns = [
        quote(CorpusRating._meta.get_field(name).column)
        for name in ("source", "external_user_id", "movie", "rating")
    ]
    rating = columns[-1]
    values = ", ".join(["(%s, %s, %s, %s)"] * row_count)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "
        f"ON CONFLICT ({', '.join(columns[:3])}) DO UPDATE SET {rating} = excluded.{rating} "
        f"WHERE {table}.{rating} <> excluded.{rating}"
    )


def upsert_ratings(rows: list[tuple]) -> None:
    """Insert or update (source, external user id, Movie pk, rating) rows, several
    hundred per statement: far fewer round trips than one statement per row."""
    rows_per_statement = min(1000, (connection.features.max_query_params or 4000) // 4)
    full_statement = upsert_ratings_sql(rows_per_statement)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), rows_per_statement):
            part = rows[start : start + rows_per_statement]
            sql = full_statement if len(part) == rows_per_statement else upsert_ratings_sql(len(part))
            cursor.execute(sql, list(chain.from_iterable(part)))


def import_ratings(
    *,
    folder: Path,
    layout: Layout,
    source: str,
    pk_by_movielens_id: dict[int, int],
    known_movie_ids: set,
    batch_size: int,
    limit: int | None,
    on_progress: Progress,
    report: ImportReport,
) -> None:
    """Upsert the valid ratings of the ratings file, one transaction per batch."""
    pk_series = pd.Series(pk_by_movielens_id, dtype="int64")
    known_ids = np.fromiter(known_movie_ids, dtype="int64")
    file_name = layout.ratings_file
    for chunk, too_long in rating_chunks(
        folder / file_name, layout, chunk_size=batch_size, limit=limit, on_progress=on_progress
    ):
        report.skip(file_name, TOO_MANY_COLUMNS, too_long)
        if chunk.empty:
            continue
        rows = valid_ratings(
            chunk,
            pk_by_movielens_id=pk_series,
            known_movie_ids=known_ids,
            report=report,
            file_name=file_name,
        )
        # In the unique index's order, so each batch touches few of its pages.
        rows = rows.assign(user=rows["user"].astype(str)).sort_values(["user", "movie"])
        parameters = list(
            zip(
                repeat(source),
                rows["user"].tolist(),
                rows["movie"].tolist(),
                rows["rating"].tolist(),
                strict=False,
            )
        )
        with transaction.atomic():
            upsert_ratings(parameters)
        report.ratings_imported += len(parameters)


@contextmanager
def larger_sqlite_page_cache(kibibytes: int = 65_536):
    """SQLite's default 2 MB page cache thrashes on an index of millions of ratings; a
    larger one for the import's duration roughly halves the time. A no-op elsewhere."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kibibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def import_movielens(
    *,
    folder: Path,
    source: str = "movielens",
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit_ratings: int | None = None,
    on_progress: Progress = lambda _read, _total: None,
) -> ImportReport:
    """Import the MovieLens download in `folder`; return what was imported and skipped.

    `on_progress` is called after each chunk of the ratings file.
    Raises MovieLensError when the folder or a file's header is not a MovieLens download.
    """
    layout = detect_layout(folder)
    report = ImportReport(layout=layout, source=source)
    movies = read_movies(folder, layout, report)
    if layout.links_file:
        imdb_ids = read_links(folder, layout, movies, report)
        pks = save_linked_movies(movies=movies, imdb_ids=imdb_ids, batch_size=batch_size, report=report)
    else:
        pks = match_catalogue_movies(movies=movies, batch_size=batch_size, report=report)
    with larger_sqlite_page_cache():
        import_ratings(
            folder=folder,
            layout=layout,
            source=source,
            pk_by_movielens_id=pks,
            known_movie_ids=set(movies),
            batch_size=batch_size,
            limit=limit_ratings,
            on_progress=on_progress,
            report=report,
        )
    recount_all_movies()  # their popularity counts the corpus
    report.ratings_in_source = CorpusRating.objects.filter(source=source).count()
    return report
