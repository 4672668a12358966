"""The export's parts that issue 17's models hold: diary.csv, one CSV per list, and the
follows and likes of scrapbook.json. Empty until your_data.issue17.MERGED."""

from collections.abc import Iterator

from your_data import issue17

from .columns import LIST_HEADER, LIST_ITEMS, film_fields


def diary_rows(*, user) -> Iterator[list]:
    if not issue17.MERGED:
        return
    watches = issue17.models().Watch.objects.filter(user=user).select_related("movie")
    seen = set()
    for watch in watches.order_by("watched_on", "id").iterator(chunk_size=2000):
        rewatch = "Yes" if watch.movie_id in seen else ""
        seen.add(watch.movie_id)
        rating = "" if watch.rating is None else str(watch.rating)
        yield [
            *film_fields(watch.movie.title, watch.movie.year, watch.movie.imdb_id, watch.watched_on),
            rating,
            rewatch,
            "",
            watch.watched_on.isoformat(),
        ]


def list_files(*, user) -> Iterator[tuple[str, list[str], Iterator[list]]]:
    """(file name, columns, rows) per list, in Letterboxd's list export layout."""
    if not issue17.MERGED:
        return
    found = issue17.models()
    for movie_list in found.MovieList.objects.filter(owner=user).order_by("id"):
        yield (
            f"{movie_list.pk}-{slug(movie_list.name)}.csv",
            ["Letterboxd list export v7"],
            list_rows(movie_list),
        )


def list_rows(movie_list) -> Iterator[list]:
    public = "Yes" if movie_list.public else "No"
    yield LIST_HEADER
    yield [movie_list.created_at.date().isoformat(), movie_list.name, "", "", movie_list.description, public]
    yield []
    yield LIST_ITEMS
    items = movie_list.items.select_related("movie").order_by("position")
    for item in items.iterator(chunk_size=2000):
        _, name, year, imdb_id = film_fields(item.movie.title, item.movie.year, item.movie.imdb_id, None)
        yield [str(item.position), name, year, imdb_id, "", item.note]


def slug(name: str) -> str:
    return (
        "".join(character if character.isalnum() else "-" for character in name.lower()).strip("-")[:60]
        or "list"
    )


def follows(*, user) -> Iterator[dict]:
    if not issue17.MERGED:
        return
    rows = issue17.models().Follow.objects.filter(follower=user).select_related("followed")
    for follow in rows.order_by("id").iterator(chunk_size=2000):
        yield {"username": follow.followed.username, "created_at": follow.created_at}


def likes(*, user) -> Iterator[dict]:
    if not issue17.MERGED:
        return
    rows = (
        issue17.models().ReviewLike.objects.filter(user=user).select_related("review__movie", "review__user")
    )
    for like in rows.order_by("id").iterator(chunk_size=2000):
        review = like.review
        yield {
            "review_id": review.pk,
            "movie": review.movie.imdb_id,
            "author": review.user.username,
            "created_at": like.created_at,
        }
