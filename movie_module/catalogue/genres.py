"""Movies' genres, written by name: the one place that turns names into Genre rows and links.

Every writer of genres (the IMDb API's details, the demo catalogue, MovieLens imports, the
admin's forms through the many-to-many) ends up here or in Django's own m2m writes.
"""

from collections.abc import Iterable, Mapping
from itertools import chain

from django.db import transaction
from django.db.models.functions import Lower

from movie_module.models import Genre, MovieGenre

MAX_NAME_LENGTH = Genre._meta.get_field("name").max_length
LOOKUP_SLICE = 900  # ids per IN (...): under SQLite's 999 parameters of old


def genre_name(text) -> str:
    """A genre's name as stored: spaces collapsed, cut to the column's length."""
    return " ".join(str(text).split())[:MAX_NAME_LENGTH]


def genres_named(names: Iterable[str]) -> dict[str, Genre]:
    """The Genre rows of these names, created when missing, by lower-cased name."""
    wanted: dict[str, str] = {}
    for name in map(genre_name, names):
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return {}
    # A concurrent writer may create the same genre: the unique index settles it.
    Genre.objects.bulk_create([Genre(name=name) for name in wanted.values()], ignore_conflicts=True)
    found = Genre.objects.alias(key=Lower("name")).filter(key__in=list(wanted))
    return {genre.name.lower(): genre for genre in found}


@transaction.atomic
def set_movie_genres(genres_by_movie: Mapping[int, Iterable[str]]) -> None:
    """Give each movie (by pk) exactly the genres named, in any case; the links it already
    has are kept, the others removed."""
    genres_by_movie = {
        movie_id: [genre_name(name) for name in names] for movie_id, names in genres_by_movie.items()
    }
    genres = genres_named(chain.from_iterable(genres_by_movie.values()))
    wanted = {
        (movie_id, genres[name.lower()].pk)
        for movie_id, names in genres_by_movie.items()
        for name in names
        if name
    }
    movie_ids = list(genres_by_movie)
    existing = {}
    for start in range(0, len(movie_ids), LOOKUP_SLICE):
        links = MovieGenre.objects.filter(movie_id__in=movie_ids[start : start + LOOKUP_SLICE])
        existing.update(
            {
                (movie_id, genre_id): pk
                for pk, movie_id, genre_id in links.values_list("pk", "movie_id", "genre_id")
            }
        )
    unwanted = [pk for link, pk in existing.items() if link not in wanted]
    for start in range(0, len(unwanted), LOOKUP_SLICE):
        MovieGenre.objects.filter(pk__in=unwanted[start : start + LOOKUP_SLICE]).delete()
    missing = [
        MovieGenre(movie_id=movie_id, genre_id=genre_id) for movie_id, genre_id in wanted - existing.keys()
    ]
    MovieGenre.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)
