"""Imported diary watches and list items: the seam to the diary and lists of issue 17.

Until your_data.issue17.MERGED (the one switch, see there), every watch and list row is
reported unmatched with UNAVAILABLE; then these functions write them, as the contract
shapes the models.
"""

from collections import defaultdict

from django.utils import timezone

from your_data import issue17

UNAVAILABLE = "diary/lists not available yet"


def apply_watches(*, user, rows, outcome) -> None:
    """One diary watch per row (film, day): a watch already there on that day, or one
    imported before, is not written again; the watchlist item becomes watched."""
    if not issue17.MERGED:
        for row, _ in rows:
            outcome.report(row, UNAVAILABLE)
        return
    Watch = issue17.models().Watch
    today = timezone.now().date()
    existing = set(
        Watch.objects.filter(user=user, movie_id__in={movie_id for _, movie_id in rows}).values_list(
            "movie_id", "watched_on"
        )
    )
    new = []
    for row, movie_id in rows:
        watched_on = min(row.date or today, today)
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
    in the file's order, those already in it left where they are."""
    if not issue17.MERGED:
        for row, _ in rows:
            outcome.report(row, UNAVAILABLE)
        return
    MovieList, MovieListItem = issue17.models().MovieList, issue17.models().MovieListItem
    by_list = defaultdict(list)
    for row, movie_id in rows:
        by_list[row.list_name or "Imported"].append((row, movie_id))
    for name, items in by_list.items():
        first = items[0][0]
        movie_list, created = MovieList.objects.get_or_create(
            owner=user,
            name=name[:200],
            defaults={"description": first.list_description, "public": first.list_public},
        )
        listed = set(MovieListItem.objects.filter(movie_list=movie_list).values_list("movie_id", flat=True))
        position = MovieListItem.objects.filter(movie_list=movie_list).count()
        new = []
        for row, movie_id in sorted(items, key=lambda item: item[0].position or 0):
            if movie_id in listed:
                outcome.unchanged += 1
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
