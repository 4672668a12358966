"""Reads of people: profiles and their statistics, follows, and the feed.

Each runs a constant number of queries: the statistics are aggregations, the feed two
queries per page whatever the number of people followed. The profile's and the feed's
queries are compiled once per process (scrapbook/internals/django_compiled_queries.py) and
read as plain rows: both are built again after every write they show (their cached reads
are declared in scrapbook/cached_data.py), so a build should cost little.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import ExtractYear

from api.shapes import output_columns
from movie_module.diary.selectors import rewatch_annotation
from movie_module.diary.serializers import WatchSerializer
from movie_module.lists.selectors import item_count_annotation
from movie_module.lists.serializers import MovieListSerializer
from movie_module.models import Activity, Follow, Movie, MovieGenre, Review, Watch, WatchlistItem
from movie_module.subqueries import AmongIds, JsonRows, count_of
from movie_module.tracking.selectors import like_annotations
from movie_module.tracking.serializers import ReviewSerializer
from scrapbook.internals.django_compiled_queries import CompiledQuery

User = get_user_model()

TOP_GENRES = 5


def user_id_with_username(*, username: str) -> int | None:
    """The id of the user named `username` (folded as usernames are), or None."""
    return User.objects.with_username(username).values_list("id", flat=True).first()


def is_following(*, follower, followed_id: int) -> bool:
    return Follow.objects.filter(follower=follower, followed_id=followed_id).exists()


def user_or_none(*, username: str) -> User | None:
    return User.objects.with_username(username).only("id", "username").first()


@dataclass(frozen=True)
class Profile:
    """A user's profile as nobody in particular sees it: serializers.ProfileSerializer (the
    view writes in each caller's `is_following`)."""

    id: int
    username: str
    username_key: str  # which name asked for it: usernames.username_key
    date_joined: object
    followers_count: int
    following_count: int
    stats: "ProfileStats"
    is_following: bool = False


@dataclass(frozen=True)
class ProfileStats:
    watched: int  # films: in the diary, watched on the watchlist, or reviewed
    reviews: int
    average_rating: float | None  # of the reviews
    watched_by_year: dict[str, int]  # viewings per year (below)
    top_genres: list[dict]  # [{"name", "count"}], most watched first


def watched_movie_ids(*, user_id: int) -> QuerySet:
    """The ids of the films the user has watched: in their diary, watched on their
    watchlist, or reviewed. A union of three reads of the user's own rows, each by index:
    not a scan of the catalogue."""
    return (
        Watch.objects.filter(user_id=user_id)
        .order_by()
        .values("movie_id")
        .union(
            WatchlistItem.objects.filter(user_id=user_id, watched=True).order_by().values("movie_id"),
            Review.objects.filter(user_id=user_id).order_by().values("movie_id"),
        )
    )


def _profile_user(*, user_id: int, genres: int) -> QuerySet:
    """The user with their follow counts, review count and mean rating, films watched,
    viewings per year (`_years`, as [year, count] pairs) and their `genres` top genres
    (`_top_genres`, as [name, count] pairs)."""
    reviews = Review.objects.filter(user=OuterRef("pk")).order_by().values("user")
    # Two levels down: the diary, watchlist and reviews inside the movies' count.
    watched = Movie.objects.filter(id__in=watched_movie_ids(user_id=OuterRef(OuterRef("pk")))).order_by()
    watched = watched.annotate(number=Func(F("id"), function="COUNT", output_field=IntegerField()))
    return User.objects.filter(pk=user_id).values(
        "id",
        "username",
        "username_key",
        "date_joined",
        followers_count=count_of(Follow.objects.filter(followed=OuterRef("pk")), per="followed"),
        following_count=count_of(Follow.objects.filter(follower=OuterRef("pk")), per="follower"),
        review_count=count_of(Review.objects.filter(user=OuterRef("pk")), per="user"),
        average_rating=Subquery(
            reviews.annotate(mean=Avg("rating")).values("mean"), output_field=FloatField()
        ),
        watched=Subquery(watched.values("number")[:1], output_field=IntegerField()),
        years=JsonRows(_years(user_id=user_id), "year", "count"),
        top_genres=JsonRows(_top_genres(user_id=user_id, limit=genres), "genre__name", "count"),
    )


def _years(*, user_id: int) -> QuerySet:
    """Viewings per year: diary entries by `watched_on`, and films watched on the watchlist
    without a diary entry by `watched_at`, as the rows of two grouped counts (a year may
    be in both)."""
    diary = (
        Watch.objects.filter(user_id=user_id)
        .annotate(year=ExtractYear("watched_on"))
        .order_by()
        .values("year")
        .annotate(count=Count("*"))
    )
    undiaried = (
        WatchlistItem.objects.filter(user_id=user_id, watched=True, watched_at__isnull=False)
        .exclude(movie__in=Watch.objects.filter(user_id=user_id).values("movie_id"))
        .annotate(year=ExtractYear("watched_at"))
        .order_by()
        .values("year")
        .annotate(count=Count("*"))
    )
    return diary.union(undiaried, all=True)


def _top_genres(*, user_id: int, limit: int) -> QuerySet:
    """The genres most frequent among the films watched, with their counts, most first (ties
    by name): one aggregate query over the films' genre links."""
    return (
        MovieGenre.objects.filter(movie_id__in=watched_movie_ids(user_id=user_id))
        .order_by()
        .values("genre__name")
        .annotate(count=Count("id"))
        .order_by("-count", "genre__name")[:limit]
    )


PROFILE_USER = CompiledQuery(_profile_user)


def profile(*, user_id: int) -> Profile | None:
    """The profile of the user `user_id` but `is_following`, in one query; None if gone."""
    found = PROFILE_USER.rows(values={"user_id": user_id}, shape={"genres": TOP_GENRES})
    if not found:
        return None
    user = found[0]
    years: dict[str, int] = {}
    for year, count in user["years"]:
        years[str(int(year))] = years.get(str(int(year)), 0) + count
    # Most watched first, as read (ties by name, in the database's order).
    genres = sorted(user["top_genres"], key=lambda genre: -genre[1])
    average = user["average_rating"]
    stats = ProfileStats(
        watched=user["watched"] or 0,
        reviews=user["review_count"],
        average_rating=None if average is None else round(float(average), 2),
        watched_by_year=dict(sorted(years.items())),
        top_genres=[{"name": name, "count": count} for name, count in genres],
    )
    return Profile(
        id=user["id"],
        username=user["username"],
        username_key=user["username_key"],
        date_joined=user["date_joined"],
        followers_count=user["followers_count"],
        following_count=user["following_count"],
        stats=stats,
    )


def followers(*, user) -> QuerySet:
    """The follows of people who follow `user`, latest first."""
    return (
        Follow.objects.filter(followed=user)
        .select_related("follower")
        .only("follower__id", "follower__username")
        .order_by("-id")
    )


def following(*, user) -> QuerySet:
    """The follows of people `user` follows, latest first."""
    return (
        Follow.objects.filter(follower=user)
        .select_related("followed")
        .only("followed__id", "followed__username")
        .order_by("-id")
    )


def _feed_columns() -> list[str]:
    """The columns an activity shows: its own, and those each shape reads of what it points at."""
    shown = [
        ("review__", ReviewSerializer),
        ("watch__", WatchSerializer),
        ("movie_list__", MovieListSerializer),
    ]
    columns = ["id", "kind", "created_at", "user__id", "user__username"]
    columns += ["follow__followed_id", "follow__followed__username"]
    for prefix, shape in shown:
        # A review's author and a list's owner are the activity's user, already there: one
        # join fewer each (past eleven joins PostgreSQL's planner took 18 ms on this query).
        columns += [
            prefix + column
            for column in output_columns(shape)
            if not column.startswith(("user__", "owner__"))
        ]
    return columns


FEED_COLUMNS = _feed_columns()


def _visible(activities: QuerySet) -> QuerySet:
    return activities.filter(Q(movie_list__isnull=True) | Q(movie_list__public=True))


def _feed_ids(*, viewer_id: int, limit: int, before: int | None = None) -> QuerySet:
    """The ids of up to `limit` activities of the people `viewer_id` follows, newest first,
    below `before`; activities on a private list left out."""
    ids = _visible(
        Activity.objects.filter(user__in=Follow.objects.filter(follower_id=viewer_id).values("followed_id"))
    )
    if before is not None:
        ids = ids.filter(id__lt=before)
    return ids.order_by("-id").values("id")[:limit]


def _feed_rows(*, ids: QuerySet, viewer_id: int) -> QuerySet:
    """The activities `ids` selects (a sliced query of ids) as rows of FEED_COLUMNS, newest
    first, with what they count: the review's likes (`liked_by_me` as `viewer_id` sees
    them), the watch's `rewatch`, the list's items."""
    likes = like_annotations(review=OuterRef("review_id"), viewer=User(pk=viewer_id))
    return (
        _visible(Activity.objects.filter(AmongIds("id", ids)))
        .annotate(
            review_like_count=likes["like_count"],
            review_liked_by_me=likes["liked_by_me"],
            watch_rewatch=rewatch_annotation(watch="watch__"),
            list_item_count=item_count_annotation(movie_list="movie_list_id"),
        )
        .order_by("-id")
        .values(*FEED_COLUMNS, "review_like_count", "review_liked_by_me", "watch_rewatch", "list_item_count")
    )


def _feed_page(*, viewer_id: int, limit: int, before: int | None = None) -> QuerySet:
    page_ids = _feed_ids(viewer_id=viewer_id, limit=limit, before=before)
    return _feed_rows(ids=page_ids, viewer_id=viewer_id)


FEED_PAGE = CompiledQuery(_feed_page)


def feed(*, viewer, before: int | None, limit: int) -> list[dict]:
    """Up to `limit` rows of the activities of the people `viewer` follows, newest first,
    with id below `before`, in one query whatever the number of people followed: the page's
    ids from the activities' primary key (newest first) and the follows' index, in a
    subquery whose LIMIT PostgreSQL runs first, then their rows, joined and counted for
    those rows only. With the joins on the whole of it, PostgreSQL joined every activity it
    scanned before keeping the followed ones' (docs/PERFORMANCE.md)."""
    values = {"viewer_id": viewer.pk} if before is None else {"viewer_id": viewer.pk, "before": before}
    return FEED_PAGE.rows(values=values, shape={"limit": limit})
