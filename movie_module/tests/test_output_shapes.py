"""Each output shape is declared once, as a serializer (api/shapes.py): its fast output must be
what DRF itself would show, and the columns derived for the selectors must cover it."""

import dataclasses
import datetime
import zoneinfo
from decimal import Decimal
from typing import NamedTuple

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

import scrapbook.urls  # noqa: F401  (every view, so every serializer, is loaded)
from api.shapes import FastOutput, compiled_row_output, output_columns
from authentication.tests.factories import UserFactory
from chat import selectors as chat
from chat.models import Message
from chat.serializers import MessageSerializer, MessageUserSerializer
from movie_module.catalogue import selectors as catalogue
from movie_module.catalogue.api import PAGE_FIELDS_IN_ROW
from movie_module.catalogue.serializers import MoviePageSerializer
from movie_module.diary import selectors as diary
from movie_module.diary.serializers import WatchSerializer
from movie_module.lists import selectors as lists
from movie_module.lists.serializers import (
    MovieListDetailSerializer,
    MovieListItemSerializer,
    MovieListSerializer,
)
from movie_module.models import Activity, Follow, Movie, MovieList, MovieListItem, Review, Watch
from movie_module.people import selectors as people
from movie_module.people.serializers import (
    FollowedSerializer,
    FollowerSerializer,
    ProfileSerializer,
    ProfileStatsSerializer,
    activity_shown,
)
from movie_module.recommendations import services as recommendations
from movie_module.recommendations.api import recommended_movies
from movie_module.recommendations.serializers import RecommendedMovieSerializer, SeedReviewSerializer
from movie_module.recommendations.services import Recommended
from movie_module.serializers import MovieReferenceSerializer, MovieSummarySerializer, UserReferenceSerializer
from movie_module.tracking import selectors as tracking
from movie_module.tracking.serializers import (
    MeSerializer,
    ReviewLikesSerializer,
    ReviewSerializer,
    WatchlistItemSerializer,
)

from .factories import MovieFactory, ReviewFactory, ReviewLikeFactory, WatchFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue_in_use(user):
    """Movies with and without their details, reviews with and without a body, a watchlist."""
    full = MovieFactory(
        title="Heat",
        year=1995,
        genres=["Crime", "Drama"],
        poster_url="https://m.media-amazon.com/images/M/heat.jpg",
        plot="A thief and a detective.",
        imdb_rating=Decimal("8.3"),
    )
    bare = MovieFactory(title="Bare", year=None, genres=[], directors=[], cast=[], runtime_minutes=None)
    MovieFactory.create_batch(20)
    for rating in (5, 3, 3):  # a mean of 3.666...: shown to two decimals
        ReviewFactory(movie=full, rating=rating, body="", contains_spoilers=True)
    ReviewFactory(user=user, movie=full, rating=4.5, body="Tense.")
    ReviewFactory.create_batch(20, user=user)
    WatchlistItemFactory(
        user=user,
        movie=full,
        watched=True,
        watched_at=datetime.datetime(2024, 5, 1, 20, 30, tzinfo=datetime.UTC),
    )
    WatchlistItemFactory(user=user, movie=bare)
    WatchlistItemFactory.create_batch(20, user=user)
    # Diary, lists, follows and likes (issue 17).
    WatchFactory(user=user, movie=full, rating=4.5, note="Again.")
    WatchFactory(user=user, movie=full, watched_on=datetime.date(2024, 6, 1))  # a rewatch, unrated
    ReviewLikeFactory(user=user, review=Review.objects.filter(movie=full).first())
    shown = MovieList.objects.create(owner=user, name="Heat and more", description="")
    MovieListItem.objects.create(movie_list=shown, movie=full, position=0, note="First")
    MovieListItem.objects.create(movie_list=shown, movie=bare, position=1)
    MovieList.objects.create(owner=user, name="Empty", public=False)
    for review in Review.objects.exclude(user=user)[:3]:
        Follow.objects.create(follower=review.user, followed=user)
        Follow.objects.create(follower=user, followed=review.user)
    return {"full": full, "bare": bare}


def list_pages(user) -> list:
    shown = []
    for movie_list in lists.visible_lists(viewer=user):
        movie_list.shown_items = lists.list_items(movie_list=movie_list)
        catalogue.prepare_summaries(item.movie for item in movie_list.shown_items)
        shown.append(movie_list)
    return shown


def list_items_shown(user) -> list:
    return [item for page in list_pages(user) for item in page.shown_items]


def movie_page(imdb_id: str, me=None) -> Movie:
    movie = catalogue.movie_page(imdb_id=imdb_id)
    movie.me = me
    return movie


def me_blocks(user, movies) -> list:
    blocks = []
    for movie in movies:
        relation = tracking.movie_relation(movie_id=movie.id, user=user)
        blocks.append(tracking.movie_for_user(movie=movie, user=user, relation=relation))
    return blocks


class RecommendedMovie(NamedTuple):
    """A recommended movie as instances: what RecommendedMovieSerializer shows."""

    title: str
    score: float
    movie: Movie | None


def watchlist_page(user):
    items = list(tracking.user_watchlist(user=user)[:20])
    catalogue.prepare_summaries(item.movie for item in items)
    return items


# Each FastOutput shape -> the instances its endpoints show, read as they read them.
INSTANCES = {
    MovieSummarySerializer: lambda user, movies: catalogue.prepare_summaries(catalogue.movie_list()),
    MovieReferenceSerializer: lambda user, movies: [review.movie for review in tracking.review_list()],
    UserReferenceSerializer: lambda user, movies: [review.user for review in tracking.review_list()],
    ReviewSerializer: lambda user, movies: list(tracking.review_list()),
    WatchlistItemSerializer: lambda user, movies: watchlist_page(user),
    MeSerializer: lambda user, movies: me_blocks(user, [movies["full"], movies["bare"], MovieFactory()]),
    MoviePageSerializer: lambda user, movies: [
        movie_page(movies["full"].imdb_id),
        movie_page(movies["bare"].imdb_id),
        movie_page(movies["full"].imdb_id, me=me_blocks(user, [movies["full"]])[0]),
    ],
    RecommendedMovieSerializer: lambda user, movies: [
        RecommendedMovie("Heat", 9.4, catalogue.prepare_summaries([movies["full"]])[0]),
        RecommendedMovie("Gone", 7.25, None),
    ],
    SeedReviewSerializer: lambda user, movies: seed_instances(user),
    ReviewLikesSerializer: lambda user, movies: list(tracking.review_list(viewer=user)),
    WatchSerializer: lambda user, movies: list(diary.user_diary(user=user)),
    MovieListSerializer: lambda user, movies: list(lists.visible_lists(viewer=user)),
    MovieListDetailSerializer: lambda user, movies: list_pages(user),
    MovieListItemSerializer: lambda user, movies: [
        item for page in list_pages(user) for item in page.shown_items
    ],
    ProfileSerializer: lambda user, movies: profiles(user),
    ProfileStatsSerializer: lambda user, movies: [profile.stats for profile in profiles(user)],
    FollowerSerializer: lambda user, movies: list(people.followers(user=user)),
    FollowedSerializer: lambda user, movies: list(people.following(user=user)),
    MessageSerializer: lambda user, movies: chat_history(user),
    MessageUserSerializer: lambda user, movies: [message.user for message in chat_history(user)],
}


def seed_instances(user) -> list:
    """The user's reviews and rated diary entries with their movies: what a seed is."""
    reviews = Review.objects.filter(user=user).select_related("movie").order_by("id")
    watches = Watch.objects.filter(user=user, rating__isnull=False).select_related("movie").order_by("id")
    return [*reviews, *watches]


def profiles(user):
    """The profiles of a user with a review, diary entries and watched films, and of one
    with none, as nobody and as a follower see them."""
    newcomer = UserFactory()
    shown = [people.profile(user_id=user.pk), people.profile(user_id=newcomer.pk)]
    assert shown[0].stats.top_genres and shown[0].stats.watched_by_year and shown[0].stats.average_rating
    return [*shown, dataclasses.replace(shown[0], is_following=True)]


def chat_history(user):
    """A room's history page as the chat's REST history and Socket.IO show it, an edited
    message in it."""
    Message.objects.create(room="movie:tt0113277", user=user, text="Heat at nine? 🎬")
    edited = Message.objects.create(room="movie:tt0113277", user=user, text="Make it ten.")
    edited.text, edited.edited_at = "Make it ten, then.", edited.created_at + datetime.timedelta(minutes=2)
    edited.save()
    return list(Message.objects.filter(room="movie:tt0113277").select_related("user").order_by("-id"))


def fast_shapes() -> set[type]:
    found, pending = set(), [FastOutput]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass)
            pending.append(subclass)
    return found


def test_every_fast_shape_has_instances_to_compare():
    missing = sorted(shape.__name__ for shape in fast_shapes() - set(INSTANCES))
    assert not missing, f"FastOutput shapes without instances in INSTANCES: {missing}"


@pytest.mark.parametrize("shape", list(INSTANCES), ids=lambda shape: shape.__name__)
def test_a_fast_shape_shows_exactly_what_drf_would(shape, user, catalogue_in_use):
    instances = INSTANCES[shape](user, catalogue_in_use)
    assert instances
    render = JSONRenderer().render
    for instance in instances:
        fast = shape(instance).data
        drf = serializers.Serializer.to_representation(shape(), instance)  # DRF's own, field by field
        assert fast == drf  # the same values, of the same types
        assert render(fast) == render(drf)  # in the same order


def test_a_mean_rating_shows_to_two_decimals(user, catalogue_in_use):
    [heat] = catalogue.prepare_summaries(Movie.objects.filter(title="Heat"))
    assert MovieSummarySerializer(heat).data["average_rating"] == 3.88  # (5 + 3 + 3 + 4.5) / 4


# The selectors read what the shapes show: showing a page they read runs no query of its own
# (a column the derived `.only()` left out would be read row by row).


PAGES = {
    "movie list": (
        MovieSummarySerializer,
        lambda user: catalogue.prepare_summaries(catalogue.movie_list()[:20]),
    ),
    "movie search": (
        MovieSummarySerializer,
        lambda user: catalogue.prepare_summaries(catalogue.movie_list(search="movie")[:20]),
    ),
    "watchlist": (WatchlistItemSerializer, watchlist_page),
    "reviews": (ReviewSerializer, lambda user: list(tracking.review_list()[:20])),
    "diary": (WatchSerializer, lambda user: list(diary.user_diary(user=user)[:20])),
    "lists": (MovieListSerializer, lambda user: list(lists.visible_lists(viewer=user)[:20])),
    "list items": (
        MovieListItemSerializer,
        lambda user: [i for page in list_pages(user) for i in page.shown_items],
    ),
    "followers": (FollowerSerializer, lambda user: list(people.followers(user=user)[:20])),
    "following": (FollowedSerializer, lambda user: list(people.following(user=user)[:20])),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_showing_a_page_a_selector_read_runs_no_query(
    page, user, catalogue_in_use, django_assert_num_queries
):
    shape, read = PAGES[page]
    rows = read(user)
    assert len(rows) >= 2
    with django_assert_num_queries(0):
        JSONRenderer().render(shape(rows, many=True).data)


def test_the_columns_are_those_of_the_fields_shown_and_of_their_relations():
    assert output_columns(MovieSummarySerializer) == (
        "imdb_id",
        "title",
        "year",
        "poster_url",
        "imdb_rating",
        "average_rating",
        "review_count",
    )  # genres are no column: prepare_summaries reads them, and the rows' genre_names
    assert output_columns(SeedReviewSerializer, model=Review) == ("movie__imdb_id", "movie__title", "rating")
    assert "movie__title" in output_columns(ReviewSerializer)
    assert "user__username" in output_columns(ReviewSerializer)


def test_a_field_that_needs_the_serializer_cannot_be_in_a_fast_shape():
    class WithAMethod(FastOutput, serializers.Serializer):
        title = serializers.SerializerMethodField()

        def get_title(self, movie):
            return movie.title

    with pytest.raises(TypeError, match="SerializerMethodField `title` of WithAMethod"):
        WithAMethod().to_representation(Movie(title="Heat"))


def test_columns_across_a_many_valued_relation_are_refused():
    class MovieWithReviews(serializers.ModelSerializer):
        reviews = ReviewSerializer(many=True)

        class Meta:
            model = Movie
            fields = ["title", "reviews"]

    with pytest.raises(TypeError, match="many-valued relation `reviews`"):
        output_columns(MovieWithReviews)


# Pages read as rows (values()) are shown by compiled_row_output: exactly what DRF shows of
# the same things read as model instances.


def same_as_drf(shape, shown_rows: list[dict], instances: list, *, at_least: int = 2):
    render = JSONRenderer().render
    assert len(shown_rows) == len(instances) >= at_least
    for shown, instance in zip(shown_rows, instances, strict=True):
        drf = serializers.Serializer.to_representation(shape(), instance)
        assert shown == drf
        assert render(shown) == render(drf)


def first_page(compiled_list, size: int = 20) -> list[dict]:
    """The first page of a CompiledList, read as the API reads it: ahead, with its length."""
    compiled_list.read_ahead((0, size))
    return compiled_list[0 : min(size, compiled_list.count())]


def test_a_page_of_movies_read_as_rows_shows_what_drf_shows(user, catalogue_in_use):
    instances = catalogue.prepare_summaries(catalogue.movie_list()[:20])
    assert any(len(movie.genre_names) > 1 for movie in instances)  # genres shown in their order
    for rows in (
        list(catalogue.summary_rows(catalogue.movie_list())[:20]),
        first_page(catalogue.whole_catalogue()),
    ):
        shown = [compiled_row_output(MovieSummarySerializer)(row) for row in rows]
        same_as_drf(MovieSummarySerializer, shown, instances)


def test_a_watchlist_page_read_as_rows_shows_what_drf_shows(user, catalogue_in_use):
    by_django = list(tracking.watchlist_rows(tracking.user_watchlist(user=user))[:20])
    for rows in (by_django, first_page(tracking.whole_watchlist(user=user))):
        shown = [compiled_row_output(WatchlistItemSerializer)(row) for row in rows]
        same_as_drf(WatchlistItemSerializer, shown, watchlist_page(user))


def test_reviews_read_as_rows_show_what_drf_shows(user, catalogue_in_use):
    reviews = list(tracking.review_list()[:20])
    by_ids = tracking.review_rows(ids=[review.id for review in reviews])
    for rows in (by_ids, first_page(tracking.all_reviews())):
        same_as_drf(ReviewSerializer, [compiled_row_output(ReviewSerializer)(row) for row in rows], reviews)


def test_chat_history_read_as_rows_shows_what_drf_shows(user):
    messages = chat_history(user)  # newest first, an edited one among them
    page = chat.room_message_page(room="movie:tt0113277")
    joined = chat.room_history(room="movie:tt0113277")  # oldest first
    assert page.next_before is None
    shown = compiled_row_output(MessageSerializer)
    same_as_drf(MessageSerializer, [shown(row) for row in page.results], messages)
    same_as_drf(MessageSerializer, [shown(row) for row in joined], messages[::-1])


def test_recommendation_seeds_read_as_rows_show_what_drf_shows(user):
    ReviewFactory(user=user, rating=5)
    diary_only = WatchFactory(user=user, rating=4)  # a diary rating of a movie without a review
    seeds = recommendations.recommend_for_user(user=user).based_on
    # One seed per movie, the review's where the movie has both (seed_instances: reviews first).
    by_movie = {}
    for instance in seed_instances(user):
        by_movie.setdefault(instance.movie.imdb_id, instance)
    assert diary_only.movie.imdb_id in {seed["movie__imdb_id"] for seed in seeds}
    shown = compiled_row_output(SeedReviewSerializer)
    same_as_drf(
        SeedReviewSerializer,
        [shown(seed) for seed in seeds],
        [by_movie[seed["movie__imdb_id"]] for seed in seeds],
    )


def test_recommended_movies_show_what_drf_shows(user, catalogue_in_use):
    heat = catalogue_in_use["full"]
    recommended = [
        Recommended(heat.title, 9.4, heat.id, heat.year),  # named by id: a summary row
        Recommended(heat.title, 8.0, None, heat.year),  # by title alone: the catalogue's movie
        Recommended("Gone Before It Came", 7.25, None, 1999),  # nobody knows it
    ]
    summary = catalogue.prepare_summaries([Movie.objects.get(pk=heat.pk)])[0]
    same_as_drf(
        RecommendedMovieSerializer,
        recommended_movies(recommended),
        [
            RecommendedMovie(heat.title, 9.4, summary),
            RecommendedMovie(heat.title, 8.0, summary),
            RecommendedMovie("Gone Before It Came", 7.25, None),
        ],
    )


def test_a_movie_page_read_as_a_row_shows_what_drf_shows(user, catalogue_in_use):
    pages = [movie_page(movie.imdb_id) for movie in catalogue_in_use.values()]
    rows = [catalogue.movie_page_row(imdb_id=movie.imdb_id) for movie in catalogue_in_use.values()]
    for row in rows:
        row["me"] = None
    shown = [compiled_row_output(MoviePageSerializer, "", PAGE_FIELDS_IN_ROW)(row) for row in rows]
    same_as_drf(MoviePageSerializer, shown, pages)


def test_the_feeds_reviews_watches_and_lists_show_what_drf_shows_of_them(user, catalogue_in_use):
    for review in Review.objects.filter(user=user):
        Activity.objects.create(user=user, kind="review", review=review)
    for watch in Watch.objects.filter(user=user):
        Activity.objects.create(user=user, kind="watch", watch=watch)
    for movie_list in MovieList.objects.filter(owner=user, public=True):
        Activity.objects.create(user=user, kind="list", movie_list=movie_list)
    viewer = Follow.objects.filter(followed=user).first().follower
    ReviewLikeFactory(user=viewer, review=Review.objects.filter(user=user).first())
    shown = [activity_shown(row) for row in people.feed(viewer=viewer, before=None, limit=100)]
    reviews = {review.id: review for review in tracking.review_list(viewer=viewer).filter(user=user)}
    watches = {watch.id: watch for watch in diary.user_diary(user=user)}
    movie_lists = {movie_list.id: movie_list for movie_list in lists.visible_lists(viewer=viewer)}
    for kind, shape, instances, at_least in [
        ("review", ReviewSerializer, reviews, 2),
        ("watch", WatchSerializer, watches, 2),
        ("list", MovieListSerializer, movie_lists, 1),  # the private one is never in a feed
    ]:
        parts = [activity[kind] for activity in shown if kind in activity]
        same_as_drf(shape, parts, [instances[part["id"]] for part in parts], at_least=at_least)
    assert any(part["review"]["liked_by_me"] for part in shown if "review" in part)


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 11, 30, 18, 5, 7, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 30, 18, 5, 7, tzinfo=datetime.UTC),
        datetime.datetime(2026, 6, 1, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        datetime.datetime(2026, 1, 1, 23, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        datetime.datetime(1, 1, 1, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
        datetime.datetime(2026, 3, 4, 5, 6, 7),  # naive
    ],
    ids=["utc", "utc-whole-second", "paris-summer", "minus-five", "before-year-one-in-utc", "naive"],
)
@pytest.mark.parametrize("active_zone", ["UTC", "Asia/Kolkata"])
def test_times_show_as_drf_shows_them_in_utc_whatever_zone_is_active(value, active_zone):
    from django.utils import timezone

    from api.serializers import UtcDateTimeField
    from api.shapes import field_output

    field = UtcDateTimeField()
    with timezone.override(active_zone):
        try:
            expected = field.to_representation(value)
        except Exception as error:  # DRF refuses a time out of range: so must the fast output
            with pytest.raises(type(error)):
                field_output(field)(value)
            return
        assert field_output(field)(value) == expected
    if value.tzinfo is not None:  # the contract: ISO 8601 in UTC
        assert expected.endswith("Z")
