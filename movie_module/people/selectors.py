"""Reads of people: profiles and their statistics, follows, and the feed.

Each runs a constant number of queries: the statistics are aggregations, the feed one
query per page whatever the number of people followed.
"""

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractYear

from api.shapes import output_columns
from movie_module.diary.selectors import rewatch_annotation
from movie_module.diary.serializers import WatchSerializer
from movie_module.lists.selectors import item_count_annotation
from movie_module.lists.serializers import MovieListSerializer
from movie_module.models import Activity, Follow, Movie, MovieGenre, Review, Watch, WatchlistItem
from movie_module.subqueries import count_of
from movie_module.tracking.selectors import like_annotations
from movie_module.tracking.serializers import ReviewSerializer

User = get_user_model()

TOP_GENRES = 5


def profile_user(*, username: str, viewer) -> User | None:
    """The user named `username` (folded as usernames are) with `followers_count`,
    `following_count` and `is_following` (whether `viewer` follows them), in one query."""
    annotations = {
        "followers_count": count_of(Follow.objects.filter(followed=OuterRef("pk")), per="followed"),
        "following_count": count_of(Follow.objects.filter(follower=OuterRef("pk")), per="follower"),
    }
    if viewer is not None and viewer.is_authenticated:
        annotations["is_following"] = Exists(Follow.objects.filter(follower=viewer, followed=OuterRef("pk")))
    user = User.objects.with_username(username).annotate(**annotations).first()
    if user is not None and "is_following" not in annotations:
        user.is_following = False
    return user


def user_or_none(*, username: str) -> User | None:
    return User.objects.with_username(username).only("id", "username").first()


@dataclass(frozen=True)
class ProfileStats:
    watched: int  # films: in the diary, watched on the watchlist, or reviewed
    reviews: int
    average_rating: float | None  # of the reviews
    watched_by_year: dict[str, int]  # viewings per year (below)
    top_genres: list[dict]  # [{"name", "count"}], most watched first


def watched_movies(*, user) -> QuerySet:
    """The films the user has watched: in their diary, watched on their watchlist, or reviewed."""
    return Movie.objects.filter(
        Q(id__in=Watch.objects.filter(user=user).values("movie_id"))
        | Q(id__in=WatchlistItem.objects.filter(user=user, watched=True).values("movie_id"))
        | Q(id__in=Review.objects.filter(user=user).values("movie_id"))
    )


def watched_by_year(*, user) -> dict[str, int]:
    """Viewings per year: diary entries by `watched_on`, plus films watched on the watchlist
    without a diary entry by `watched_at`; two grouped counts."""
    diary = (
        Watch.objects.filter(user=user)
        .annotate(year=ExtractYear("watched_on"))
        .order_by()
        .values("year")
        .annotate(count=Count("*"))
    )
    undiaried = (
        WatchlistItem.objects.filter(user=user, watched=True, watched_at__isnull=False)
        .exclude(movie__in=Watch.objects.filter(user=user).values("movie_id"))
        .annotate(year=ExtractYear("watched_at"))
        .order_by()
        .values("year")
        .annotate(count=Count("*"))
    )
    years = Counter()
    for row in [*diary, *undiaried]:
        years[str(row["year"])] += row["count"]
    return dict(sorted(years.items()))


def top_genres(*, movies: QuerySet, limit: int = TOP_GENRES) -> list[dict]:
    """The genres most frequent among `movies`, with their counts, most first (ties by name):
    one aggregate query over the movies' genre links."""
    ranked = (
        MovieGenre.objects.filter(movie__in=movies.values("id"))
        .order_by()
        .values("genre__name")
        .annotate(count=Count("id"))
        .order_by("-count", "genre__name")[:limit]
    )
    return [{"name": row["genre__name"], "count": row["count"]} for row in ranked]


def profile_stats(*, user) -> ProfileStats:
    reviews = Review.objects.filter(user=user).aggregate(count=Count("id"), average=Avg("rating"))
    watched = watched_movies(user=user)
    return ProfileStats(
        watched=watched.count(),
        reviews=reviews["count"],
        average_rating=None if reviews["average"] is None else round(float(reviews["average"]), 2),
        watched_by_year=watched_by_year(user=user),
        top_genres=top_genres(movies=watched),
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
    """The columns an Activity shows: its own, and those each shape reads of what it points at."""
    shown = [
        ("review__", ReviewSerializer),
        ("watch__", WatchSerializer),
        ("movie_list__", MovieListSerializer),
    ]
    columns = ["kind", "created_at", "user__username", "follow__followed__username"]
    for prefix, shape in shown:
        columns += [prefix + column for column in output_columns(shape)]
    # the watch's owner and movie ids: its `rewatch` is computed from them
    return [*columns, "watch__user", "watch__movie"]


def feed(*, viewer, before: int | None, limit: int) -> list[Activity]:
    """Up to `limit` activities of the people `viewer` follows, newest first, with id below
    `before`; in one query, whatever the number of people followed. Activities on a
    private list are left out."""
    page = Activity.objects.filter(
        Q(movie_list__isnull=True) | Q(movie_list__public=True),
        user__in=Follow.objects.filter(follower=viewer).values("followed_id"),
    )
    if before is not None:
        page = page.filter(id__lt=before)
    # The page's ids first, in a subquery: what the rows show (joins, like counts, rewatch)
    # is then computed for this page's rows only, not for every activity of everyone followed.
    page_ids = page.order_by("-id").values("id")[:limit]
    likes = like_annotations(review=OuterRef("review_id"), viewer=viewer)
    rows = list(
        Activity.objects.filter(id__in=page_ids)
        .select_related(
            "user", "review__movie", "review__user", "watch__movie", "movie_list__owner", "follow__followed"
        )
        .only(*FEED_COLUMNS)
        .annotate(
            review_like_count=likes["like_count"],
            review_liked_by_me=likes["liked_by_me"],
            watch_rewatch=rewatch_annotation(watch="watch__"),
            list_item_count=item_count_annotation(movie_list="movie_list_id"),
        )
        .order_by("-id")
    )
    for activity in rows:
        if activity.review is not None:
            activity.review.like_count = activity.review_like_count
            activity.review.liked_by_me = activity.review_liked_by_me
        if activity.watch is not None:
            activity.watch.rewatch = activity.watch_rewatch
        if activity.movie_list is not None:
            activity.movie_list.item_count = activity.list_item_count
    return rows


FEED_COLUMNS = _feed_columns()
