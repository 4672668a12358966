"""Writing matched rows as the user's reviews and watchlist (and, behind diary_and_lists,
diary watches and lists), so that importing the same file again changes nothing.

- Reviews: per film, the latest rating of the rows (by date, then by place in the file)
  becomes the review's rating: a new review, or an existing one's rating when the row is
  dated on or after the review's last change (a rating changed here since is kept). An
  existing review's text is kept; the file's text fills only an empty one.
- Watchlist rows add the films that are not there yet; "watched" rows (Letterboxd's
  watched.csv, Trakt's watched-movies.json) mark the item watched, adding it if needed.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from movie_module.models import EARLIEST_WATCHED_AT, Review, WatchlistItem

from . import diary_and_lists
from .formats import ImportRow, Kind
from .matching import MatchedRows, chunks

NO_RATING = "no rating: a review on Scrapbook needs stars"


@dataclass
class Outcome:
    """What an import did: counts of what it wrote, and each row it could not use."""

    rows: int = 0
    reviews: int = 0
    watches: int = 0
    watchlist: int = 0
    lists: int = 0
    unchanged: int = 0
    unmatched: list[dict] = field(default_factory=list)

    def report(self, row: ImportRow, reason: str) -> None:
        self.unmatched.append(
            {"row": row.line, "file": row.file, "title": row.title, "year": row.year, "reason": reason}
        )

    @property
    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "reviews": self.reviews,
            "watches": self.watches,
            "watchlist": self.watchlist,
            "lists": self.lists,
            "unchanged": self.unchanged,
            "unmatched": len(self.unmatched),
        }


def apply_rows(*, user, rows: list[ImportRow], matches: MatchedRows) -> Outcome:
    """Write what the rows say; run inside a transaction. Returns the outcome."""
    outcome = Outcome(rows=len(rows))
    by_kind: dict[Kind, list[tuple[ImportRow, int]]] = defaultdict(list)
    for index, row in enumerate(rows):
        reason = row.problem or matches.reasons.get(index)
        if reason or index not in matches.movie_ids:
            outcome.report(row, reason or "not matched")
            continue
        by_kind[row.kind].append((row, matches.movie_ids[index]))
    items = WatchlistItems(user)
    apply_watchlist(items, by_kind[Kind.WATCHLIST], outcome)
    rated = by_kind[Kind.RATING] + [(row, movie_id) for row, movie_id in by_kind[Kind.WATCH] if row.rating]
    reviewed = apply_reviews(user, items, rated, outcome)
    apply_watched(items, by_kind[Kind.WATCHED], outcome, reviewed=reviewed)
    diary_and_lists.apply_watches(user=user, rows=by_kind[Kind.WATCH], outcome=outcome)
    diary_and_lists.apply_list_items(user=user, rows=by_kind[Kind.LIST_ITEM], outcome=outcome)
    items.save()
    return outcome


def day_start(date: datetime.date | None) -> datetime.datetime | None:
    """Midnight UTC of a row's date, or None when it has none or one before the first films."""
    if date is None:
        return None
    moment = datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.UTC)
    return moment if moment >= EARLIEST_WATCHED_AT else None


class WatchlistItems:
    """The user's watchlist items for the films of an import, read once, written in bulk."""

    def __init__(self, user):
        self.user = user
        self.by_movie: dict[int, WatchlistItem] = {
            item.movie_id: item
            for item in WatchlistItem.objects.filter(user=user).only(
                "id", "movie_id", "watched", "watched_at"
            )
        }
        self.new: dict[int, WatchlistItem] = {}
        self.changed: dict[int, WatchlistItem] = {}

    def add(self, movie_id: int) -> bool:
        """Whether the film was not on the watchlist and now is."""
        if movie_id in self.by_movie:
            return False
        self.by_movie[movie_id] = self.new[movie_id] = WatchlistItem(user=self.user, movie_id=movie_id)
        return True

    def mark_watched(self, movie_id: int, at: datetime.datetime | None, *, add_missing: bool = True) -> bool:
        """Whether the film was not marked watched and now is (added when missing, if asked)."""
        if not add_missing and movie_id not in self.by_movie:
            return False
        added = self.add(movie_id)
        item = self.by_movie[movie_id]
        if item.watched:
            return added
        item.watched, item.watched_at = True, at or timezone.now()
        if item.pk:
            self.changed[movie_id] = item
        return True

    def save(self) -> None:
        WatchlistItem.objects.bulk_create(self.new.values(), batch_size=500)
        WatchlistItem.objects.bulk_update(self.changed.values(), ["watched", "watched_at"], batch_size=500)


def apply_watchlist(items: WatchlistItems, rows: list[tuple[ImportRow, int]], outcome: Outcome) -> None:
    for _, movie_id in rows:
        if items.add(movie_id):
            outcome.watchlist += 1
        else:
            outcome.unchanged += 1


def apply_watched(
    items: WatchlistItems, rows: list[tuple[ImportRow, int]], outcome: Outcome, *, reviewed: set[int]
) -> None:
    """A reviewed film is known watched: it is not put on the watchlist to say so again."""
    for row, movie_id in rows:
        if items.mark_watched(movie_id, day_start(row.date), add_missing=movie_id not in reviewed):
            outcome.watchlist += 1
        else:
            outcome.unchanged += 1


def latest_first(pair: tuple[int, tuple[ImportRow, int]]):
    position, (row, _) = pair
    return (row.date or datetime.date.min, position)


def apply_reviews(
    user, items: WatchlistItems, rows: list[tuple[ImportRow, int]], outcome: Outcome
) -> set[int]:
    """Write the reviews; returns the films the user has reviewed among the rows'."""
    groups: dict[int, list[ImportRow]] = defaultdict(list)
    for _, (row, movie_id) in sorted(enumerate(rows), key=latest_first):
        groups[movie_id].append(row)  # oldest first
    existing = {}
    for chunk in chunks(list(groups)):
        existing.update(
            (review.movie_id, review) for review in Review.objects.filter(user=user, movie_id__in=chunk)
        )
    new, changed, now = [], [], timezone.now()
    for movie_id, group in groups.items():
        rated = [row for row in group if row.rating is not None]
        text = next((row.text for row in reversed(group) if row.text), "")
        review = existing.get(movie_id)
        if review is None:
            if not rated:
                for row in group:
                    outcome.report(row, NO_RATING)
                continue
            new.append(Review(user=user, movie_id=movie_id, rating=rated[-1].rating, body=text[:10000]))
            # As a review written here does: the film's watchlist item, if any, becomes watched.
            items.mark_watched(movie_id, day_start(rated[-1].date) or now, add_missing=False)
            outcome.reviews += 1
            continue
        if update_review(review, latest=rated[-1] if rated else None, text=text):
            review.updated_at = now
            changed.append(review)
            outcome.reviews += 1
        else:
            # A diary row's rating rides along; the diary counts the row itself.
            outcome.unchanged += sum(1 for row in group if row.kind is Kind.RATING)
    Review.objects.bulk_create(new, batch_size=500)
    Review.objects.bulk_update(changed, ["rating", "body", "updated_at"], batch_size=500)
    return set(existing) | {review.movie_id for review in new}


def update_review(review: Review, *, latest: ImportRow | None, text: str) -> bool:
    """Apply the file's latest rating and text to an existing review; whether it changed."""
    changed = False
    newer = latest is not None and (latest.date is None or latest.date >= review.updated_at.date())
    if newer and review.rating != latest.rating:
        review.rating, changed = latest.rating, True
    if text and not review.body:
        review.body, changed = text[:10000], True
    return changed
