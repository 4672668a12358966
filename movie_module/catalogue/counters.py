"""The movies' counters (Movie.review_count, average_rating, popularity), kept exact by every
write of the rows they count, so that the catalogue is ordered by them through an index
instead of aggregating every review of a large catalogue for each page.

Recounted, never incremented: a recount is right however often it runs. Concurrent writers
lock the movie's row before recounting it, so the second one's UPDATE, a new statement,
sees the first one's committed rows (PostgreSQL takes a snapshot per statement).

Every write path is covered: saves and deletes (the API, the admin, cascades) through the
signals connected here, bulk writes of reviews and watchlist items through
models.CountedQuerySet. Corpus ratings are written in bulk only (MovieLens, the demo corpus):
those imports call `recount_all_movies` once they are done, and the admin recounts what it
changes (a signal per row would turn the demo corpus' 56,000-row delete into as many updates).
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Avg, Count, FloatField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save

from movie_module.models import CorpusRating, Movie, Review, WatchlistItem
from scrapbook.change_announcements import announce_write, previous_values
from scrapbook.internals.django_compiled_queries import CompiledQuery

# A write of one of these fields of a counted row changes its movie's counters.
COUNTED_FIELDS = frozenset({"movie", "movie_id", "rating"})
COUNTER_FIELDS = ("review_count", "average_rating", "popularity")
RECOUNT_CHUNK = 500


def _per_movie(model, aggregate, output_field):
    rows = model.objects.filter(movie=OuterRef("pk")).order_by().values("movie").annotate(value=aggregate)
    return Subquery(rows.values("value")[:1], output_field=output_field)


def _counted_parts() -> dict:
    """What the counters are made of, each an expression over the movie's rows."""
    return {
        "review_count": Coalesce(_per_movie(Review, Count("id"), IntegerField()), Value(0)),
        "average_rating": _per_movie(Review, Avg("rating", output_field=FloatField()), FloatField()),
        "watchlist_count": Coalesce(_per_movie(WatchlistItem, Count("id"), IntegerField()), Value(0)),
        "corpus_count": Coalesce(_per_movie(CorpusRating, Count("id"), IntegerField()), Value(0)),
    }


def _popularity(review_count, watchlist_count, corpus_count):
    return review_count + watchlist_count + corpus_count


def _counter_values() -> dict:
    """Each counter as an expression over the movie's rows, for an UPDATE of the movies."""
    parts = _counted_parts()
    return {
        "review_count": parts["review_count"],
        "average_rating": parts["average_rating"],
        "popularity": _popularity(parts["review_count"], parts["watchlist_count"], parts["corpus_count"]),
    }


def movie_ids_in(changes: dict) -> set[int]:
    """The movie an `update(**changes)` moves rows to, if it names one."""
    movie = changes.get("movie_id", changes.get("movie"))
    return {getattr(movie, "pk", movie)} if movie is not None else set()


def _locked_movies(*, ids: list[int]):
    # In id order, so that two recounts never wait for each other's rows crosswise; FOR NO
    # KEY UPDATE, which the key-share lock of a review being inserted lets pass.
    return Movie.objects.select_for_update(no_key=True).filter(id__in=ids).order_by("id").values("id")


def _counted(*, ids: list[int]):
    # The parts, not the counters: popularity, their sum, is added up here, so that the
    # movie's reviews are counted once, not again within the sum (the database would).
    counted = {f"counted_{name}": value for name, value in _counted_parts().items()}
    return Movie.objects.filter(id__in=ids).order_by().values("id", **counted)


# Compiled once per process (scrapbook/internals/django_compiled_queries.py): a review or
# watchlist item written recounts its movie, and building this SQL cost more than the rest
# of the write.
LOCKED_MOVIES = CompiledQuery(_locked_movies)
COUNTED = CompiledQuery(_counted)


def recount_movies(movie_ids: Iterable[int | None]) -> None:
    """Recount the counters of these movies from their rows (ids of deleted movies are skipped)."""
    ids = sorted({movie_id for movie_id in movie_ids if movie_id is not None})
    for start in range(0, len(ids), RECOUNT_CHUNK):
        chunk = ids[start : start + RECOUNT_CHUNK]
        # Within the write's own transaction, no savepoint of its own (two round trips): a
        # recount that fails fails the write.
        with transaction.atomic(savepoint=False):
            LOCKED_MOVIES.rows(values={"ids": chunk})
            # Counted after the lock, in a statement of its own: it sees what a concurrent
            # writer, who held the lock first, committed.
            _write_counters(COUNTED.rows(values={"ids": chunk}))


def _write_counters(counted: list[dict]) -> None:
    """Write each movie's counted values with one plain UPDATE per movie, its SQL written
    from the model once. (bulk_update built and compiled a CASE per field on every write,
    7% of a worker's CPU under bench/load.py.) Counters are no field a cached answer is
    announced for (cached_data.WRITES: `unseen`), so nothing is announced."""
    movies = connection.ops.quote_name(Movie._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(Movie._meta.get_field(name).column)} = %s" for name in COUNTER_FIELDS
    )
    primary_key = connection.ops.quote_name(Movie._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {movies} SET {assignments} WHERE {primary_key} = %s",
            [[_counter_of(row, name) for name in COUNTER_FIELDS] + [row["id"]] for row in counted],
        )


def _counter_of(counted: dict, name: str):
    if name == "popularity":
        parts = ("review_count", "watchlist_count", "corpus_count")
        return _popularity(*(counted[f"counted_{part}"] for part in parts))
    return counted[f"counted_{name}"]


def recount_all_movies() -> None:
    """Recount every movie, after a bulk import of ratings; the cached answers that order
    the catalogue by popularity are made stale."""
    with transaction.atomic():
        Movie.objects.update(**_counter_values())
        announce_write(Movie)


def recount_saved_row(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or COUNTED_FIELDS & set(update_fields):
        # A row moved to another movie (in the admin): the movie it left is recounted too.
        recount_movies([instance.movie_id, previous_values(instance).get("movie_id")])


def recount_deleted_row(sender, instance, **kwargs):
    recount_movies([instance.movie_id])


def connect_counters() -> None:
    """Recount a movie whenever one of its counted rows is saved or deleted, on every path."""
    for model in (Review, WatchlistItem):
        uid = f"counters-{model._meta.label}"
        post_save.connect(recount_saved_row, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(recount_deleted_row, sender=model, dispatch_uid=f"{uid}-delete")
