"""Every write to lists that carries a rule."""

from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Value, When
from django.utils import timezone

from movie_module.models import Activity, Movie, MovieList, MovieListItem
from movie_module.people.services import activity_record

from .serializers import MAX_LIST_ITEMS


class AlreadyInList(Exception):
    """The movie is in the list already."""


class ListFull(Exception):
    """The list holds MAX_LIST_ITEMS movies already."""


class NotTheListsMovies(Exception):
    """A new order that does not name exactly the list's movies, each once."""


@transaction.atomic
def list_create(*, owner, name: str, description: str = "", public: bool = True) -> MovieList:
    movie_list = MovieList.objects.create(owner=owner, name=name, description=description, public=public)
    # Recorded for private lists too: the feed shows it only while the list is public.
    activity_record(user=owner, kind=Activity.Kind.LIST, movie_list=movie_list)
    return movie_list


def list_update(*, movie_list: MovieList, **changes) -> MovieList:
    for field, value in changes.items():
        setattr(movie_list, field, value)
    movie_list.save(update_fields=[*changes, "updated_at"])
    return movie_list


def list_delete(*, movie_list: MovieList) -> None:
    movie_list.delete()


def _locked(movie_list: MovieList) -> MovieList:
    """The list's row, locked until the transaction ends (PostgreSQL), so two changes of its
    items take turns; SQLite serialises writes anyway."""
    return MovieList.objects.select_for_update().get(pk=movie_list.pk)


def _touch(movie_list: MovieList) -> None:
    MovieList.objects.filter(pk=movie_list.pk).update(updated_at=timezone.now())


@transaction.atomic
def list_item_add(*, movie_list: MovieList, movie: Movie, note: str = "") -> MovieListItem:
    """Append a movie to the list. Raises AlreadyInList, ListFull."""
    _locked(movie_list)
    items = MovieListItem.objects.filter(movie_list=movie_list)
    if items.count() >= MAX_LIST_ITEMS:
        raise ListFull
    last = items.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            item = MovieListItem.objects.create(
                movie_list=movie_list, movie=movie, note=note, position=0 if last is None else last + 1
            )
    except IntegrityError as error:
        raise AlreadyInList from error
    _touch(movie_list)
    return item


@transaction.atomic
def list_item_remove(*, movie_list: MovieList, imdb_id: str) -> bool:
    """Take a movie out of the list; returns whether it was there."""
    deleted, _ = MovieListItem.objects.filter(movie_list=movie_list, movie__imdb_id=imdb_id).delete()
    if deleted:
        _touch(movie_list)
    return bool(deleted)


@transaction.atomic
def list_reorder(*, movie_list: MovieList, imdb_ids: list[str]) -> None:
    """Put the list's movies in the order `imdb_ids` names them, in one UPDATE.
    Raises NotTheListsMovies unless it names each of the list's movies exactly once."""
    _locked(movie_list)
    item_ids = dict(MovieListItem.objects.filter(movie_list=movie_list).values_list("movie__imdb_id", "id"))
    if len(imdb_ids) != len(set(imdb_ids)) or set(imdb_ids) != set(item_ids):
        raise NotTheListsMovies
    if imdb_ids:
        positions = [
            When(id=item_ids[imdb_id], then=Value(position)) for position, imdb_id in enumerate(imdb_ids)
        ]
        MovieListItem.objects.filter(movie_list=movie_list).update(position=Case(*positions))
    _touch(movie_list)
