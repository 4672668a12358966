"""Every write to the diary that carries a rule."""

import datetime

from django.db import transaction
from django.utils import timezone

from movie_module.models import Activity, Movie, Watch
from movie_module.people.services import activity_record
from movie_module.tracking.services import watchlist_mark_watched


def watched_at_of(watched_on: datetime.date) -> datetime.datetime:
    """The time a watch on `watched_on` gives a watchlist item: now for today, else that day's start (UTC)."""
    now = timezone.now()
    if watched_on >= now.date():
        return now
    return datetime.datetime.combine(watched_on, datetime.time.min, tzinfo=datetime.UTC)


@transaction.atomic
def watch_create(
    *, user, movie: Movie, watched_on: datetime.date | None = None, rating=None, note: str = ""
) -> Watch:
    """Log a viewing (on `watched_on`, default today, UTC); the movie's watchlist item, if
    any, becomes watched, keeping the time it was first watched."""
    watched_on = watched_on or timezone.now().date()
    watch = Watch.objects.create(user=user, movie=movie, watched_on=watched_on, rating=rating, note=note)
    watchlist_mark_watched(user=user, movie=movie, watched_at=watched_at_of(watched_on))
    activity_record(user=user, kind=Activity.Kind.WATCH, watch=watch)
    return watch


def watch_update(*, watch: Watch, **changes) -> Watch:
    for field, value in changes.items():
        setattr(watch, field, value)
    if changes:
        watch.save(update_fields=list(changes))
    return watch


def watch_delete(*, watch: Watch) -> None:
    """Delete a watch; the watchlist item stays watched, as after deleting a review."""
    watch.delete()
