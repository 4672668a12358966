"""The app's tables and their invariants (constraints, indexes), one module per area."""

from .catalogue import (
    IMDB_ID_PATTERN,
    RATING_CHOICES,
    RATING_VALUES,
    SEARCH_KEY_MAX_LENGTH,
    TITLE_FIELDS,
    Genre,
    Movie,
    MovieGenre,
    MovieQuerySet,
    TitleWordVariant,
    imdb_id_validator,
    nulls_last,
)
from .social import Activity, Follow, MovieList, MovieListItem, ReviewLike, Watch
from .tracking import EARLIEST_WATCHED_AT, CorpusRating, CountedQuerySet, Review, WatchlistItem

__all__ = [
    "EARLIEST_WATCHED_AT",
    "IMDB_ID_PATTERN",
    "RATING_CHOICES",
    "RATING_VALUES",
    "SEARCH_KEY_MAX_LENGTH",
    "TITLE_FIELDS",
    "Activity",
    "CorpusRating",
    "CountedQuerySet",
    "Follow",
    "Genre",
    "Movie",
    "MovieGenre",
    "MovieList",
    "MovieListItem",
    "MovieQuerySet",
    "Review",
    "ReviewLike",
    "TitleWordVariant",
    "Watch",
    "WatchlistItem",
    "imdb_id_validator",
    "nulls_last",
]
