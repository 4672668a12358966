"""What every cached answer is built from, and what each write makes stale: the one place.

A cached read names the data it was built from; a write to a table announces the data it
changed (scrapbook/change_announcements.py does it for every write path: saves, deletes,
cascades, `update()`, `bulk_create()`, `bulk_update()`). scrapbook/response_cache.py keeps
a generation per data name, replaced by each announcement, and serves an answer only while
the generations it was built under are current. Data names come in two kinds: shared ones
("movies") and one per user ("watchlist:42"), for answers that are the user's own.

To cache a new read, declare it in READS; to add a table that cached answers show, declare
it in WRITES and give its model an announcing manager. tests/test_cached_data.py goes
through every declared table and every kind of write, and fails on a table that is shown
but not declared.
"""

from dataclasses import dataclass, field

# Shared data.
MOVIES = "movies"  # the catalogue: titles, details, posters
REVIEWS = "reviews"  # every review, hence every movie's average rating and review count
WATCHLISTS = "watchlists"  # every watchlist item, hence every movie's watchlist count
USERNAMES = "usernames"  # shown beside every review
LIKES = "likes"  # every like of a review, hence every review's like count
# One user's own data: "<name>:<user id>".
USER = "user"  # the account behind a token
WATCHLIST = "watchlist"  # the user's watchlist items
REVIEWS_BY = "reviews-by"  # the user's reviews


def own(name: str, user_id) -> str:
    return f"{name}:{user_id}"


@dataclass(frozen=True)
class Read:
    shared: tuple[str, ...] = ()
    own: tuple[str, ...] = ()  # the caller's own data: the read needs a user id


# Every cached read, by the name its call site passes to cached_value / cached_response.
READS = {
    # Watchlists too: the catalogue may be ordered by popularity, which counts them.
    "movie-list": Read(shared=(MOVIES, REVIEWS, WATCHLISTS)),
    "genre-list": Read(shared=(MOVIES,)),
    # The movie page but `me`, the same for everyone.
    "movie-page": Read(shared=(MOVIES, REVIEWS, WATCHLISTS)),
    "review-list": Read(shared=(REVIEWS, MOVIES, USERNAMES, LIKES)),
    "watchlist": Read(shared=(MOVIES, REVIEWS), own=(WATCHLIST,)),
    # The movies the caller has listed or reviewed, for the movie page's `me`.
    "movie-relations": Read(own=(WATCHLIST, REVIEWS_BY)),
    "auth-user": Read(own=(USER,)),
}


@dataclass(frozen=True)
class Write:
    shared: tuple[str, ...] = ()
    own: tuple[str, ...] = ()
    owner: str = "user_id"  # the field naming the user whose own data a row is
    # Shared data changed only by writes to some fields: name → fields.
    shared_when: dict[str, frozenset[str]] = field(default_factory=dict)
    # Fields no cached answer shows: a write of these alone changes nothing.
    unseen: frozenset[str] = frozenset()


# Every table that cached answers show, by model label, with the data a write to it changes.
WRITES = {
    # The counters count reviews and watchlist items, whose writes announce their own change.
    "movie_module.Movie": Write(
        shared=(MOVIES,),
        unseen=frozenset({"refreshed_at", "review_count", "average_rating", "popularity"}),
    ),
    "movie_module.Genre": Write(shared=(MOVIES,)),
    "movie_module.MovieGenre": Write(shared=(MOVIES,)),
    "movie_module.Review": Write(shared=(REVIEWS,), own=(REVIEWS_BY,)),
    "movie_module.WatchlistItem": Write(shared=(WATCHLISTS,), own=(WATCHLIST,)),
    "movie_module.ReviewLike": Write(shared=(LIKES,)),
    "authentication.User": Write(
        own=(USER,),
        owner="pk",
        shared_when={USERNAMES: frozenset({"username"})},
        unseen=frozenset({"last_login"}),
    ),
}


def read_depends_on(read: str, *, user_id=None) -> list[str]:
    """The data names the cached read `read` is built from. Raises KeyError for an
    undeclared read, ValueError when a read of a user's own data has no user."""
    declared = READS[read]
    if declared.own and user_id is None:
        raise ValueError(f"The cached read {read!r} is a user's own: it needs a user id.")
    return [*declared.shared, *(own(name, user_id) for name in declared.own)]


def changed_by_write(model_label: str, *, owner_ids=(), fields=None) -> list[str]:
    """The data names a write to `model_label`'s rows owned by `owner_ids` changes;
    `fields` are the fields written (None: any)."""
    declared = WRITES[model_label]
    if fields is not None and set(fields) <= declared.unseen:
        return []
    names = list(declared.shared)
    names += [name for name, when in declared.shared_when.items() if fields is None or when & set(fields)]
    names += [own(name, owner_id) for name in declared.own for owner_id in owner_ids]
    return names
