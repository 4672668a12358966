"""Imported diary watches and list items, written as the diary and lists keep them."""

from collections import defaultdict

from django.utils import timezone

from movie_module.lists.serializers import MAX_LIST_ITEMS
from movie_module.models import EARLIEST_WATCHED_AT, MovieList, MovieListItem, Watch

TOO_EARLY = f"a viewing before {EARLIEST_WATCHED_AT.year}"
LIST_FULL = f"the list already holds {MAX_LIST_ITEMS} movies"


def apply_watches(*, user, rows, outcome) -> None:
    """One diary watch per row (film, day): a watch already there on that day, or one
    imported before, is not written again. A day in the future counts as today. Imported
    watches do not reach followers' feeds: an import is not news."""
    today = timezone.now().date()
    existing = set(
        Watch.objects.filter(user=user, movie_id__in={movie_id for _, movie_id in rows}).values_list(
            "movie_id", "watched_on"
        )
    )
    new = []
    for row, movie_id in rows:
        watched_on = min(row.date or today, today)
        if watched_on < EARLIEST_WATCHED_AT.date():
            outcome.report(row, TOO_EARLY)
            continue
        if (movie_id, watched_on) in existing:
            outcome.unchanged += 1
            continue
        existing.add((movie_id, watched_on))
        new.append(
            Watch(user=user, movie_id=movie_id, watched_on=watched_on, rating=row.rating, note=row.text)
        )
        outcome.watches += 1
    Watch.objects.bulk_create(new, batch_size=500)


def apply_list_items(*, user, rows, outcome) -> None:
    """Each list by name: created when the user has none of that name; its films appended
    in the file's order, those already in it left where they are, none past MAX_LIST_ITEMS."""
    by_list = defaultdict(list)
    for row, movie_id in rows:
        by_list[(row.list_name or "Imported")[:200]].append((row, movie_id))
    for name, items in by_list.items():
        first = items[0][0]
        movie_list, created = MovieList.objects.get_or_create(
            owner=user,
            name=name,
            defaults={"description": first.list_description, "public": first.list_public},
        )
        listed = set(MovieListItem.objects.filter(movie_list=movie_list).values_list("movie_id", flat=True))
        position = len(listed)
        new = []
        for row, movie_id in sorted(items, key=lambda item: item[0].position or 0):
            if movie_id in listed:
                outcome.unchanged += 1
                continue
            if position >= MAX_LIST_ITEMS:
                outcome.report(row, LIST_FULL)
                continue
            listed.add(movie_id)
            position += 1
            outcome.lists += 1
            new.append(
                MovieListItem(movie_list=movie_list, movie_id=movie_id, position=position, note=row.text)
            )
        MovieListItem.objects.bulk_create(new, batch_size=500)
        if new and not created:
            MovieList.objects.filter(pk=movie_list.pk).update(updated_at=timezone.now())
