"""Reads of watchlists and reviews, shaped once so each list runs a constant number of queries."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value

from api.pagination import CompiledList, counted, list_length, rows_in_order
from api.shapes import output_columns
from movie_module.catalogue.selectors import genre_names
from movie_module.models import Movie, Review, ReviewLike, WatchlistItem
from movie_module.serializers import MovieSummarySerializer
from movie_module.subqueries import AmongIds, count_of, instance_from_row
from scrapbook.internals.django_compiled_queries import CompiledQuery

from .serializers import ReviewSerializer, WatchlistItemSerializer

User = get_user_model()

# A user's relation to one movie: (watchlist item id, watched, review id); None where absent.
MovieRelation = tuple[int | None, bool, int | None]


NO_RELATION: MovieRelation = (None, False, None)


# Past this many watchlist items or reviews, a user's relations are read movie by movie.
RELATIONS_IN_ONE_READ = 2000


def user_movie_relations(*, user) -> dict[int, MovieRelation] | None:
    """Every movie the user has on their watchlist or has reviewed, by movie id.

    None when the user has more than RELATIONS_IN_ONE_READ of either: then
    `movie_relation` reads one movie's.
    """
    limit = RELATIONS_IN_ONE_READ
    items = USER_ITEMS.rows(values={"user_id": user.pk}, shape={"limit": limit + 1})
    reviews = USER_REVIEWS.rows(values={"user_id": user.pk}, shape={"limit": limit + 1})
    if len(items) > limit or len(reviews) > limit:
        return None
    relations = {item["movie_id"]: (item["id"], item["watched"], None) for item in items}
    for review in reviews:
        item_id, watched, _ = relations.get(review["movie_id"], NO_RELATION)
        relations[review["movie_id"]] = (item_id, watched, review["id"])
    return relations


# Compiled once per process: the map is read again after each of the user's own writes.
USER_ITEMS = CompiledQuery(
    lambda *, user_id, limit: (
        WatchlistItem.objects.filter(user_id=user_id).order_by().values("movie_id", "id", "watched")[:limit]
    )
)
USER_REVIEWS = CompiledQuery(
    lambda *, user_id, limit: (
        Review.objects.filter(user_id=user_id).order_by().values("movie_id", "id")[:limit]
    )
)


def movie_relation(*, movie_id: int, user) -> MovieRelation:
    """The user's relation to one movie, in one query."""
    # Plain SQL: the ORM cannot join two unrelated rows.
    reviews = connection.ops.quote_name(Review._meta.db_table)
    items = connection.ops.quote_name(WatchlistItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item.id, item.watched, review.id FROM (SELECT 1 AS one) AS anchor "
            f"LEFT JOIN {items} AS item ON item.user_id = %s AND item.movie_id = %s "
            f"LEFT JOIN {reviews} AS review ON review.user_id = %s AND review.movie_id = %s",
            [user.pk, movie_id, user.pk, movie_id],
        )
        watchlist_id, watched, review_id = cursor.fetchone()
    return watchlist_id, bool(watched), review_id


@dataclass(frozen=True)
class MovieForUser:
    """The movie page's `me` block (serializers.MeSerializer)."""

    in_watchlist: bool
    watched: bool
    watchlist_id: int | None
    review: Review | None


def movie_for_user(*, movie: Movie, user, relation: MovieRelation) -> MovieForUser:
    """The caller's `relation` to the movie, with their review."""
    watchlist_id, watched, review_id = relation
    review = None if review_id is None else own_review(review_id=review_id, movie=movie, user=user)
    return MovieForUser(
        in_watchlist=watchlist_id is not None, watched=watched, watchlist_id=watchlist_id, review=review
    )


def _own_reviews(*, user_id: int):
    likes = like_annotations(review=OuterRef("pk"), viewer=User(pk=user_id))
    return (
        Review.objects.filter(user_id=user_id).order_by().values(*output_columns(ReviewSerializer), **likes)
    )


OWN_REVIEWS = CompiledQuery(_own_reviews)


def own_review_rows(*, user) -> list[dict]:
    """All of the user's reviews as rows of what a review shows, `liked_by_me` as they see
    it: one compiled query (read with their map of movies, at most RELATIONS_IN_ONE_READ)."""
    return OWN_REVIEWS.rows(values={"user_id": user.pk})


def own_review(*, review_id: int, movie: Movie, user) -> Review | None:
    """The user's review `review_id` of `movie`, with its likes, in one query; None if gone."""
    review = (
        Review.objects.filter(pk=review_id, user=user)
        .annotate(**like_annotations(review=OuterRef("pk"), viewer=user))
        .first()
    )
    if review is not None:
        review.movie, review.user = movie, user
    return review


ITEM_OF = CompiledQuery(
    lambda *, user_id, movie_id: WatchlistItem.objects.filter(user_id=user_id, movie_id=movie_id).values(
        *(field.attname for field in WatchlistItem._meta.concrete_fields)
    )
)


def watchlist_item_of(*, user, movie: Movie) -> WatchlistItem | None:
    """The user's watchlist item of `movie`, in one compiled query; None if there is none."""
    found = ITEM_OF.rows(values={"user_id": user.pk, "movie_id": movie.pk})
    if not found:
        return None
    item = instance_from_row(WatchlistItem, found[0])
    item.user, item.movie = user, movie
    return item


def _own_item(*, user_id: int, item_id: int) -> QuerySet:
    # The item's columns, and what it shows of its movie (its summary: `prepare_summaries`
    # adds the genres).
    return WatchlistItem.objects.filter(user_id=user_id, pk=item_id).values(
        *(field.attname for field in WatchlistItem._meta.concrete_fields),
        *(f"movie__{column}" for column in ("id", *output_columns(MovieSummarySerializer))),
    )


OWN_ITEM = CompiledQuery(_own_item)


def own_watchlist_item(*, user, item_id: int) -> WatchlistItem | None:
    """The user's watchlist item `item_id` with its movie's summary columns, in one compiled
    query; None if the user has no such item."""
    found = OWN_ITEM.rows(values={"user_id": user.pk, "item_id": item_id})
    if not found:
        return None
    item = instance_from_row(WatchlistItem, found[0])
    item.user, item.movie = user, instance_from_row(Movie, found[0], prefix="movie__")
    return item


def user_watchlist(*, user) -> QuerySet:
    """The user's watchlist items with their movies, newest first.

    Pass a page of their movies through `catalogue.selectors.prepare_summaries` before
    showing movie summaries.
    """
    return (
        WatchlistItem.objects.filter(user=user)
        .select_related("movie")
        # What an item shows, and its owner, whose cached answers a write to it makes stale.
        .only(*output_columns(WatchlistItemSerializer), "user")
        .order_by("-added_at", "-id")
    )


def review_list(*, viewer=None) -> QuerySet:
    """Reviews with their movie, author and likes (`liked_by_me` as `viewer` sees them), newest first."""
    return (
        Review.objects.select_related("movie", "user")
        .only(*output_columns(ReviewSerializer))
        .annotate(**like_annotations(review=OuterRef("pk"), viewer=viewer))
        .order_by("-created_at", "-id")
    )


def review_order() -> QuerySet:
    """Reviews newest first, with nothing else: a page's ids are read from it."""
    return Review.objects.order_by("-created_at", "-id")


def _review_page(*, page: slice) -> QuerySet:
    # The page's ids first, from the creation index: PostgreSQL sorted every review, their
    # like counts with them, to skip to a late page.
    page_ids = review_order().values("id")[page]
    newest_first = review_order().filter(AmongIds("id", page_ids))
    return newest_first.values(
        *output_columns(ReviewSerializer), **_anonymous_likes(), **list_length(Review.objects.all())
    )


REVIEW_PAGE = CompiledQuery(_review_page, builds_its_page=True)
REVIEW_COUNT = CompiledQuery(lambda: counted(Review.objects.all()))


def all_reviews() -> CompiledList:
    """Every review, newest first, as `review_rows` shows them, for a page of them to be
    read with compiled queries: the review list most asked for, with no filter."""
    return CompiledList(REVIEW_PAGE, REVIEW_COUNT, {})


def _anonymous_likes() -> dict:
    return like_annotations(review=OuterRef("pk"), viewer=None)


def _reviews_with_ids(*, ids: list[int]) -> QuerySet:
    return Review.objects.filter(id__in=ids).values(*output_columns(ReviewSerializer), **_anonymous_likes())


REVIEWS_WITH_IDS = CompiledQuery(_reviews_with_ids)


def review_rows(*, ids: list[int]) -> list[dict]:
    """The reviews `ids`, in that order, as rows of what a review shows (its movie, author
    and like count; `liked_by_me` false, as nobody in particular sees it): one compiled
    query whatever the page's ordering, which chose `ids` (PostgreSQL sorted every review,
    their like counts with them, to skip to a late page)."""
    return rows_in_order(ids, REVIEWS_WITH_IDS.rows(values={"ids": list(ids)}))


def watchlist_rows(items: QuerySet, **columns) -> QuerySet:
    """Watchlist items as rows of what an item shows, their movies' `genre_names` included."""
    return items.values(
        *output_columns(WatchlistItemSerializer),
        movie__genre_names=genre_names(movie="movie_id"),
        **columns,
    )


def _watchlist_page(*, user_id: int, page: slice) -> QuerySet:
    # The page's ids first, from the user's index: the genres are read for its rows alone.
    page_ids = user_watchlist(user=user_id).values("id")[page]
    newest_first = WatchlistItem.objects.filter(AmongIds("id", page_ids)).order_by("-added_at", "-id")
    return watchlist_rows(newest_first, **list_length(WatchlistItem.objects.filter(user_id=user_id)))


WHOLE_WATCHLIST = CompiledQuery(_watchlist_page, builds_its_page=True)
WATCHLIST_LENGTH = CompiledQuery(lambda *, user_id: counted(WatchlistItem.objects.filter(user_id=user_id)))


def whole_watchlist(*, user) -> CompiledList:
    """The user's watchlist as `watchlist_rows`, newest first, for a page of it to be read
    with compiled queries: the list most asked for, with no filter."""
    return CompiledList(WHOLE_WATCHLIST, WATCHLIST_LENGTH, {"user_id": user.pk})


def like_annotations(*, review, viewer) -> dict:
    """`like_count` and `liked_by_me` of the review `review` (an OuterRef to its id) as
    annotations computed in the reading query itself; `liked_by_me` is False for no viewer."""
    if viewer is None or not viewer.is_authenticated:
        mine = Value(False, output_field=BooleanField())
    else:
        mine = Exists(ReviewLike.objects.filter(review=review, user=viewer))
    return {
        "like_count": count_of(ReviewLike.objects.filter(review=review), per="review"),
        "liked_by_me": mine,
    }


def liked_review_ids(*, user, review_ids) -> set[int]:
    """Which of `review_ids` the user likes, in one query."""
    return set(
        ReviewLike.objects.filter(user=user, review_id__in=review_ids).values_list("review_id", flat=True)
    )
