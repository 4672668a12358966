"""What every cached answer is built from, and what each write makes stale: the one place.

A cached read names the data it was built from; a write to a table announces the data it
changed (scrapbook/change_announcements.py does it for every write path: saves, deletes,
cascades, `update()`, `bulk_create()`, `bulk_update()`). scrapbook/response_cache.py keeps
a generation per data name, replaced by each announcement, and serves an answer only while
the generations it was built under are current. Data names come in three kinds: shared ones
("movies"), one per user ("watchlist:42") for answers that show one user's data, and one per
movie ("reviews-of:7") for a movie's page, which a review of another movie leaves alone. A
write to a row shown in feeds (a review, a watch) changes the FEED of every follower of its
author: the announcement looks the followers up, so that a feed depends on one name.

To cache a new read, declare it in READS; to add a table that cached answers show, declare
it in WRITES and give its model an announcing manager. tests/test_cached_data.py goes
through every declared table and every kind of write, and fails on a table that is shown
but not declared.
"""

from dataclasses import dataclass, field

# Shared data.
MOVIES = "movies"  # the catalogue: titles, details, posters, genres
REVIEWS = "reviews"  # every review, hence every movie's average rating and review count
WATCHLISTS = "watchlists"  # every watchlist item, hence every movie's watchlist count
USERNAMES = "usernames"  # shown beside every review and activity
LIKES = "likes"  # every like of a review, hence every review's like count
# One movie's: "<name>:<movie id>".
REVIEWS_OF = "reviews-of"  # the movie's reviews: its review count and average rating
WATCHLISTED = "watchlisted"  # the movie's watchlist items: its watchlist count
# One user's own data: "<name>:<user id>".
USER = "user"  # the account: behind a token, and on the profile
WATCHLIST = "watchlist"  # the user's watchlist items
REVIEWS_BY = "reviews-by"  # the user's reviews
DIARY = "diary"  # the user's watches
FOLLOWING = "following"  # whom the user follows
FOLLOWERS = "followers"  # who follows the user
FEED = "feed"  # what the people the user follows did, and whom they follow

# Who follows whom, for the writes shown in feeds: the table, its followed and follower fields.
FOLLOWS = ("movie_module.Follow", "followed_id", "follower_id")


def own(name: str, user_id) -> str:
    return f"{name}:{user_id}"


@dataclass(frozen=True)
class Read:
    shared: tuple[str, ...] = ()
    own: tuple[str, ...] = ()  # one user's own data (the caller's, a profile's): it needs their id
    of_movie: tuple[str, ...] = ()  # one movie's data: it needs the movie's id


# Every cached read, by the name its call site passes to cached_value / cached_response.
READS = {
    # Watchlists too: the catalogue may be ordered by popularity, which counts them.
    "movie-list": Read(shared=(MOVIES, REVIEWS, WATCHLISTS)),
    "genre-list": Read(shared=(MOVIES,)),
    # The movie page but `me`, the same for everyone: a review of another movie leaves it be.
    "movie-page": Read(shared=(MOVIES,), of_movie=(REVIEWS_OF, WATCHLISTED)),
    "review-list": Read(shared=(REVIEWS, MOVIES, USERNAMES, LIKES)),
    "watchlist": Read(shared=(MOVIES, REVIEWS), own=(WATCHLIST,)),
    # The movies the caller has listed or reviewed, for the movie page's `me`.
    "movie-relations": Read(own=(WATCHLIST, REVIEWS_BY)),
    # The caller's review of one movie, in the movie page's `me`.
    "own-review": Read(shared=(MOVIES, LIKES), own=(REVIEWS_BY, USER)),
    "auth-user": Read(own=(USER,)),
    # A page of the caller's feed: reviews with their likes, watches, lists, follows.
    "feed": Read(shared=(MOVIES, USERNAMES, LIKES), own=(FEED,)),
    # A profile but `is_following`: the user's account, follows and statistics (genres).
    "profile": Read(shared=(MOVIES,), own=(USER, REVIEWS_BY, WATCHLIST, DIARY, FOLLOWING, FOLLOWERS)),
    # Whether the caller follows a user (keyed by the user's id): a profile's `is_following`.
    "follows-user": Read(own=(FOLLOWING,)),
}


@dataclass(frozen=True)
class Write:
    shared: tuple[str, ...] = ()
    # The data of one user or one movie a write changes, by the field naming them
    # ("user_id", "movie_id"; across a relation, "movie_list__owner_id") → data names.
    own: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The field naming the user whose followers' feeds show the row: a write changes their FEED.
    in_followers_feeds: str = ""
    # Shared data changed only by writes to some fields: name → fields.
    shared_when: dict[str, frozenset[str]] = field(default_factory=dict)
    # Fields no cached answer shows: a write of these alone changes nothing.
    unseen: frozenset[str] = frozenset()

    def user_fields(self) -> list[str]:
        """The fields whose users (or movies) a write must know to announce it."""
        return list(
            dict.fromkeys([*self.own, *([self.in_followers_feeds] if self.in_followers_feeds else [])])
        )


# Every table that cached answers show, by model label, with the data a write to it changes.
WRITES = {
    # The counters count reviews and watchlist items, whose writes announce their own change.
    "movie_module.Movie": Write(
        shared=(MOVIES,),
        unseen=frozenset({"refreshed_at", "review_count", "average_rating", "popularity"}),
    ),
    "movie_module.Genre": Write(shared=(MOVIES,)),
    "movie_module.MovieGenre": Write(shared=(MOVIES,)),
    "movie_module.Review": Write(
        shared=(REVIEWS,),
        own={"user_id": (REVIEWS_BY,), "movie_id": (REVIEWS_OF,)},
        in_followers_feeds="user_id",
    ),
    "movie_module.WatchlistItem": Write(
        shared=(WATCHLISTS,), own={"user_id": (WATCHLIST,), "movie_id": (WATCHLISTED,)}
    ),
    "movie_module.ReviewLike": Write(shared=(LIKES,)),
    "movie_module.Watch": Write(own={"user_id": (DIARY,)}, in_followers_feeds="user_id"),
    "movie_module.MovieList": Write(in_followers_feeds="owner_id"),
    "movie_module.MovieListItem": Write(in_followers_feeds="movie_list__owner_id"),
    # The follower's feed now shows someone else's activities.
    "movie_module.Follow": Write(own={"follower_id": (FOLLOWING, FEED), "followed_id": (FOLLOWERS,)}),
    "movie_module.Activity": Write(in_followers_feeds="user_id"),
    "authentication.User": Write(
        own={"pk": (USER,)},
        shared_when={USERNAMES: frozenset({"username"})},
        unseen=frozenset({"last_login"}),
    ),
}


def read_depends_on(read: str, *, user_id=None, movie_id=None) -> list[str]:
    """The data names the cached read `read` is built from. Raises KeyError for an
    undeclared read, ValueError when a read of a user's or a movie's data has no id."""
    declared = READS[read]
    if declared.own and user_id is None:
        raise ValueError(f"The cached read {read!r} is a user's own: it needs a user id.")
    if declared.of_movie and movie_id is None:
        raise ValueError(f"The cached read {read!r} is a movie's: it needs a movie id.")
    return [
        *declared.shared,
        *(own(name, user_id) for name in declared.own),
        *(own(name, movie_id) for name in declared.of_movie),
    ]


def changed_by_write(model_label: str, *, users=None, follower_ids=(), fields=None) -> list[str]:
    """The data names a write to `model_label`'s rows changes: `users` maps each of the
    declared user fields (Write.user_fields) to the ids the written rows name there,
    `follower_ids` are the followers of the users in `in_followers_feeds`, `fields` the
    fields written (None: any)."""
    declared = WRITES[model_label]
    if fields is not None and set(fields) <= declared.unseen:
        return []
    users = users or {}
    names = list(declared.shared)
    names += [name for name, when in declared.shared_when.items() if fields is None or when & set(fields)]
    for user_field, own_names in declared.own.items():
        names += [own(name, user_id) for name in own_names for user_id in users.get(user_field, ())]
    if declared.in_followers_feeds:
        names += [own(FEED, follower_id) for follower_id in follower_ids]
    return list(dict.fromkeys(names))
