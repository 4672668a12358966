"""MovieLens downloads from GroupLens, imported into Movie and CorpusRating.

Two layouts are understood, detected from the files in the extracted folder:

- CSV (ml-latest-small, ml-latest, ml-25m, ml-32m): movies.csv, ratings.csv and links.csv,
  UTF-8 with a header; links.csv gives each movie its IMDb id.
- ml-1m: movies.dat and ratings.dat, latin-1, `::`-separated, no header and no links; its
  movies are matched to catalogue movies by normalised title and year instead.

A re-run is idempotent: movies are found again by IMDb id, and ratings are upserted on
(source, external_user_id, movie), so a rating changed in a newer download is updated and
an unchanged one is left alone. Rows that cannot be imported are counted by reason, never
fatal. `parsing` reads the files; `importing` writes them to the database.
"""

from .importing import import_movielens
from .parsing import DEFAULT_BATCH_SIZE, ImportReport, MovieLensError, parse_movielens_title

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ImportReport",
    "MovieLensError",
    "import_movielens",
    "parse_movielens_title",
]
