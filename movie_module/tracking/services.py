"""Every write on watchlists and reviews that carries a rule."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from movie_module.models import Activity, Movie, Review, ReviewLike, WatchlistItem
from movie_module.people.services import activity_record

from . import selectors


class AlreadyReviewed(Exception):
    """The user has reviewed this movie already."""


def watchlist_add(*, user, movie: Movie) -> tuple[WatchlistItem, bool]:
    """Put a movie on the user's watchlist; returns (item, created).

    Adding twice returns the existing item, also when two requests race: the unique
    constraint settles it and the loser rereads the winner. As get_or_create, but its read
    is a compiled query (get_or_create's, built by the ORM, cost a tenth of the add), so
    that only a race reaches PostgreSQL as a refused insert (an error in its log).
    """
    existing = selectors.watchlist_item_of(user=user, movie=movie)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return WatchlistItem.objects.create(user=user, movie=movie), True
    except IntegrityError:
        existing = selectors.watchlist_item_of(user=user, movie=movie)
        if existing is None:
            raise  # another constraint than the pair's: a movie deleted meanwhile
        return existing, False


def watchlist_item_set_watched(
    *, item: WatchlistItem, watched: bool, watched_at: datetime.datetime | None = None
) -> WatchlistItem:
    """Mark an item watched (at `watched_at`) or not watched.

    Without `watched_at`, an item watched already keeps the time it was first watched,
    and one watched now gets the current time.
    """
    if not watched:
        watched_at = None
    elif watched_at is None:
        watched_at = item.watched_at if item.watched else timezone.now()
    item.watched, item.watched_at = watched, watched_at
    item.save(update_fields=["watched", "watched_at"])
    return item


def watchlist_item_delete(*, item: WatchlistItem) -> None:
    item.delete()


@transaction.atomic
def review_create(*, user, movie: Movie, rating, body: str = "", contains_spoilers: bool = False) -> Review:
    """Write a review, and mark the movie watched on the user's watchlist if it is there.

    Raises AlreadyReviewed when the user has a review of this movie, also under a race.
    """
    try:
        with transaction.atomic():
            review = Review.objects.create(
                user=user, movie=movie, rating=rating, body=body, contains_spoilers=contains_spoilers
            )
    except IntegrityError as error:
        raise AlreadyReviewed from error
    watchlist_mark_watched(user=user, movie=movie, watched_at=review.created_at)
    activity_record(user=user, kind=Activity.Kind.REVIEW, review=review)
    return review


def watchlist_mark_watched(*, user, movie: Movie, watched_at: datetime.datetime) -> None:
    """The movie's watchlist item, if any, becomes watched; one watched already keeps its time."""
    # Read first, with a compiled query: most reviews are of movies not waiting on the
    # watchlist, which then cost one query instead of the update's two (its announcement's
    # read of whose rows it changes, and the update itself).
    item = selectors.watchlist_item_of(user=user, movie=movie)
    if item is not None and not item.watched:
        WatchlistItem.objects.filter(pk=item.pk, watched=False).update(watched=True, watched_at=watched_at)


def review_update(*, review: Review, **changes) -> Review:
    for field, value in changes.items():
        setattr(review, field, value)
    review.save(update_fields=[*changes, "updated_at"])
    return review


def review_delete(*, review: Review) -> None:
    """Delete a review; the watchlist item stays as it is."""
    review.delete()


def review_like(*, user, review: Review) -> bool:
    """The user likes the review; returns whether the like is new (liking twice is no error)."""
    try:
        with transaction.atomic():
            ReviewLike.objects.create(user=user, review=review)
    except IntegrityError:
        return False
    return True


def review_unlike(*, user, review: Review) -> None:
    ReviewLike.objects.filter(user=user, review=review).delete()
