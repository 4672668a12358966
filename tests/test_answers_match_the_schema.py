"""Every JSON answer of the REST API is what its OpenAPI schema documents, strictly (issue 13).

The operations come from the schema itself: each one that answers JSON on success needs an
entry in CASES, which sends it realistic requests (a user with watchlist items and reviews,
reviews with and without a body, movies with and without a poster, genres or plot, a fitted
recommender) through DRF's APIClient. Each answer must have a documented success status, and
its body must validate against that status's schema with jsonschema, made strict: every
object schema that lists its properties refuses any other key, and every required key must
be present. The fuzz tests (test_fuzz_api.py) check many random requests loosely; this one
checks the answers a real client sees, exactly.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator, FormatChecker
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from authentication.tests.factories import PASSWORD, UserFactory
from chat.models import Message, RoomRead
from conftest import access_token_for
from movie_module.models import Follow, Movie, MovieList, MovieListItem
from movie_module.people import services as people
from movie_module.recommendations import store as model_store
from movie_module.tests.factories import (
    CorpusRatingFactory,
    MovieFactory,
    ReviewFactory,
    ReviewLikeFactory,
    WatchFactory,
    WatchlistItemFactory,
)
from your_data.models import Import

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def json_operations(schema: dict) -> dict[str, dict[int, dict]]:
    """`"METHOD /path/"` -> {success status: its JSON body's schema}, for every operation
    that answers JSON on success."""
    operations = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            successes = {
                int(status): response["content"]["application/json"]["schema"]
                for status, response in operation["responses"].items()
                if status.startswith("2") and "application/json" in response.get("content", {})
            }
            if successes:
                operations[f"{method.upper()} {path}"] = successes
    return operations


OPERATIONS = json_operations(SCHEMA)


def strict_json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema 2020-12, refusing undocumented keys.

    `nullable: true` becomes "null or this"; an object schema that lists its `properties`
    and says nothing of others gets `additionalProperties: false`. (No property of the
    schema is named `properties` or `nullable`, which this walk would take for keywords.)
    """
    if isinstance(node, list):
        return [strict_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict_json_schema(value) for key, value in node.items()}
    if "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [{"type": "null"}, node]}
    return node


STRICT_COMPONENTS = strict_json_schema(SCHEMA["components"])


# jsonschema checks a format only when its optional package is installed; these are ours.
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value) -> bool:
    return not isinstance(value, str) or datetime.datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@FORMATS.checks("email")
def is_email(value) -> bool:
    return not isinstance(value, str) or "@" in value


def schema_errors(body, response_schema: dict) -> list[str]:
    """Where `body` breaks the strict form of `response_schema`, one line each; [] if nowhere."""
    # The components ride along in the root, where the schema's `#/components/...` refs point.
    root = {**strict_json_schema(response_schema), "components": STRICT_COMPONENTS}
    Draft202012Validator.check_schema(root)
    validator = Draft202012Validator(root, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    return [f"at {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in errors]


# The data the requests find


@dataclass
class World:
    anonymous: APIClient
    signed_in: APIClient  # the user: watchlist items, reviews, chat messages, seeds
    other: APIClient  # another user: one review, no watchlist, nothing rated above 3.5
    user: object
    movies: dict[str, Movie]
    other_user: object = None
    ids: dict[str, int] = field(default_factory=dict)


def signed_in_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.fixture
def world(db) -> World:
    user, other = UserFactory(), UserFactory()
    movies = {
        "matrix": MovieFactory(
            imdb_id="tt0133093",
            title="The Matrix",
            year=1999,
            genres=["Action", "Sci-Fi"],
            poster_url="https://m.media-amazon.com/images/M/matrix.jpg",
            plot="A hacker learns the truth.",
            imdb_rating=8.7,
        ),
        "reloaded": MovieFactory(imdb_id="tt0234215", title="The Matrix Reloaded", year=2003),
        "revolutions": MovieFactory(imdb_id="tt0242653", title="The Matrix Revolutions", year=2003),
        "toy": MovieFactory(imdb_id="tt0114709", title="Toy Story", year=1995, imdb_rating=8.3),
        # As a search result stores it: nothing but an id and a title.
        "bare": MovieFactory(
            imdb_id="tt0000010",
            title="Bare",
            year=None,
            genres=[],
            directors=[],
            cast=[],
            runtime_minutes=None,
            plot="",
            poster_url="",
        ),
    }
    # Two audiences, so the recommender has taste to learn: Matrix lovers and Toy Story lovers.
    for person in range(20):
        loved = ["matrix", "reloaded", "revolutions"] if person % 2 else ["toy", "bare"]
        for name in movies:
            rating = 5 if name in loved else 2
            CorpusRatingFactory(external_user_id=str(person), movie=movies[name], rating=rating)
    model_store.fit_and_save()
    ids = {
        "watched item": WatchlistItemFactory(
            user=user,
            movie=movies["matrix"],
            watched=True,
            watched_at=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
        ).id,
        "unwatched item": WatchlistItemFactory(user=user, movie=movies["bare"]).id,
        "review with body": ReviewFactory(
            user=user, movie=movies["matrix"], rating=5, body="Still the best.", contains_spoilers=True
        ).id,
        "review without body": ReviewFactory(user=other, movie=movies["bare"], rating=3, body="").id,
    }
    ReviewFactory(user=other, movie=movies["toy"], rating=2.5, body="Not for me.")
    ids["queued import"] = Import.objects.create(user=user, format="trakt", filename="ratings-movies.json").id
    ids["done import"] = Import.objects.create(
        user=user,
        format="letterboxd",
        filename="letterboxd.zip",
        status=Import.Status.DONE,
        finished_at=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
        counts={
            "rows": 3,
            "reviews": 1,
            "watches": 0,
            "watchlist": 1,
            "lists": 0,
            "unchanged": 0,
            "unmatched": 1,
        },
        unmatched=[
            {
                "row": 3,
                "file": "ratings.csv",
                "title": "Nowhere",
                "year": None,
                "reason": "not in the catalogue",
            }
        ],
    ).id
    # Diary, lists, follows, likes and the feed (issue 17).
    ReviewLikeFactory(user=user, review_id=ids["review without body"])
    ids["rated watch"] = WatchFactory(
        user=user, movie=movies["matrix"], rating=4.5, note="Again.", watched_on=datetime.date(2024, 5, 2)
    ).id
    ids["unrated watch"] = WatchFactory(
        user=user, movie=movies["matrix"], watched_on=datetime.date(2024, 5, 9)
    ).id
    public = MovieList.objects.create(owner=user, name="Neo", description="All of it")
    MovieListItem.objects.create(movie_list=public, movie=movies["matrix"], position=0, note="First")
    MovieListItem.objects.create(movie_list=public, movie=movies["bare"], position=1)
    ids["public list"] = public.id
    ids["private list"] = MovieList.objects.create(owner=user, name="Secret", public=False).id
    Follow.objects.create(follower=other, followed=user)
    # What `other` reads in the feed: the user's review, watch, list and follow, as services write them.
    feed_review = ReviewFactory(user=user, movie=movies["reloaded"], rating=4, body="")
    people.activity_record(user=user, kind="review", review=feed_review)
    people.activity_record(user=user, kind="watch", watch_id=ids["rated watch"])
    people.activity_record(user=user, kind="list", movie_list=public)
    people.follow(follower=user, followed=other)
    hello = Message.objects.create(room="lobby", user=user, text="Hello")
    Message.objects.create(
        room="lobby", user=other, text="Hi!", edited_at=datetime.datetime.now(datetime.UTC)
    )
    RoomRead.objects.create(user=user, room="lobby", last_read_id=hello.id)  # one unread in the lobby
    Message.objects.create(room="movie:tt0133093", user=other, text="Red pill.")
    return World(
        anonymous=APIClient(),
        signed_in=signed_in_client(user),
        other=signed_in_client(other),
        user=user,
        movies=movies,
        ids=ids,
        other_user=other,
    )


@dataclass(frozen=True)
class Call:
    client: APIClient
    method: str
    path: str
    data: dict | None = None
    format: str = "json"


def forget_the_matrix_revolutions():
    """A title the fitted model knows but the catalogue no longer holds: its `movie` is null."""
    Movie.objects.filter(imdb_id="tt0242653").delete()


# Operation -> the requests that show its answers, each nullable or optional part both ways
# where the data allows, with what changes the data between them. An operation of the
# schema missing here fails the test below.
CASES: dict[str, Callable[[World], list[Call | Callable[[], None]]]] = {
    "POST /api/auth/register/": lambda world: [
        Call(
            world.anonymous,
            "post",
            "/api/auth/register/",
            {"username": "newcomer", "email": "newcomer@example.com", "password": "a-long-passphrase-31"},
        )
    ],
    "POST /api/auth/login/": lambda world: [
        Call(
            world.anonymous,
            "post",
            "/api/auth/login/",
            {"username": world.user.username, "password": PASSWORD},
        )
    ],
    "POST /api/auth/refresh/": lambda world: [
        Call(
            world.anonymous, "post", "/api/auth/refresh/", {"refresh": str(RefreshToken.for_user(world.user))}
        )
    ],
    "GET /api/auth/me/": lambda world: [Call(world.signed_in, "get", "/api/auth/me/")],
    "PATCH /api/auth/me/": lambda world: [
        Call(world.signed_in, "patch", "/api/auth/me/", {"email": "renamed@example.com"})
    ],
    "GET /api/chat/rooms/": lambda world: [Call(world.signed_in, "get", "/api/chat/rooms/")],
    "GET /api/chat/rooms/{room}/messages/": lambda world: [
        Call(world.signed_in, "get", "/api/chat/rooms/lobby/messages/"),
        Call(world.signed_in, "get", "/api/chat/rooms/lobby/messages/?limit=1"),  # next_before set
        Call(world.signed_in, "get", "/api/chat/rooms/empty/messages/"),
    ],
    "GET /api/imports/": lambda world: [
        Call(world.signed_in, "get", "/api/imports/"),
        Call(world.other, "get", "/api/imports/"),  # none
    ],
    "GET /api/imports/{id}/": lambda world: [
        Call(world.signed_in, "get", f"/api/imports/{world.ids['queued import']}/"),
        Call(world.signed_in, "get", f"/api/imports/{world.ids['done import']}/"),
    ],
    "POST /api/imports/": lambda world: [
        Call(
            world.signed_in,
            "post",
            "/api/imports/",
            {
                "format": "letterboxd",
                "file": SimpleUploadedFile(
                    "ratings.csv", b"Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Bare,,x,4\n"
                ),
            },
            format="multipart",
        )
    ],
    "GET /api/health/": lambda world: [Call(world.anonymous, "get", "/api/health/")],
    "GET /api/movies/": lambda world: [
        Call(world.anonymous, "get", "/api/movies/"),
        Call(world.anonymous, "get", "/api/movies/?page_size=2&page=2"),  # next and previous
        Call(world.anonymous, "get", "/api/movies/?search=matrix"),
        Call(world.anonymous, "get", "/api/movies/?search=nothing-like-it"),
        Call(
            world.anonymous,
            "get",
            "/api/movies/?genre=sci-fi&year_min=1990&year_max=2000&ordering=-popularity",
        ),
        Call(world.anonymous, "get", "/api/movies/?search=matrix&ordering=-average_rating"),
        Call(world.anonymous, "get", "/api/movies/?ordering=-year&genre=Drama&genre=Action"),
    ],
    "GET /api/genres/": lambda world: [Call(world.anonymous, "get", "/api/genres/")],
    "GET /api/movies/{imdb_id}/": lambda world: [
        Call(world.anonymous, "get", "/api/movies/tt0133093/"),  # everything filled in, `me` null
        Call(world.anonymous, "get", "/api/movies/tt0000010/"),  # nothing but a title
        Call(world.signed_in, "get", "/api/movies/tt0133093/"),  # watched, with a review
        Call(world.signed_in, "get", "/api/movies/tt0000010/"),  # on the watchlist, no review
        Call(world.other, "get", "/api/movies/tt0114709/"),  # reviewed, not on the watchlist
        Call(world.other, "get", "/api/movies/tt0234215/"),  # untouched
    ],
    "GET /api/movies/{imdb_id}/reviews/": lambda world: [
        Call(world.anonymous, "get", "/api/movies/tt0133093/reviews/"),
        Call(world.anonymous, "get", "/api/movies/tt0000010/reviews/"),
        Call(world.anonymous, "get", "/api/movies/tt0234215/reviews/"),  # none
    ],
    "GET /api/movies/{imdb_id}/similar/": lambda world: [
        Call(world.anonymous, "get", "/api/movies/tt0133093/similar/"),
        Call(world.anonymous, "get", "/api/movies/tt0000010/similar/?limit=1"),
        forget_the_matrix_revolutions,
        Call(world.anonymous, "get", "/api/movies/tt0133093/similar/"),
    ],
    "GET /api/recommendations/": lambda world: [
        Call(world.signed_in, "get", "/api/recommendations/"),  # source: similarity
        Call(world.other, "get", "/api/recommendations/"),  # source: popular
        forget_the_matrix_revolutions,
        Call(world.signed_in, "get", "/api/recommendations/"),
    ],
    "GET /api/reviews/": lambda world: [
        Call(world.anonymous, "get", "/api/reviews/"),
        Call(world.signed_in, "get", f"/api/reviews/?user={world.user.username}&ordering=rating"),
    ],
    "POST /api/reviews/": lambda world: [
        Call(world.signed_in, "post", "/api/reviews/", {"imdb_id": "tt0114709", "rating": 4.5}),
        Call(
            world.other,
            "post",
            "/api/reviews/",
            {"imdb_id": "tt0133093", "rating": 1, "body": "Overrated.", "contains_spoilers": False},
        ),
    ],
    "GET /api/reviews/{id}/": lambda world: [
        Call(world.anonymous, "get", f"/api/reviews/{world.ids['review with body']}/"),
        Call(world.anonymous, "get", f"/api/reviews/{world.ids['review without body']}/"),
    ],
    "PATCH /api/reviews/{id}/": lambda world: [
        Call(world.signed_in, "patch", f"/api/reviews/{world.ids['review with body']}/", {"body": ""}),
        Call(world.other, "patch", f"/api/reviews/{world.ids['review without body']}/", {"rating": 0.5}),
    ],
    "GET /api/watchlist/": lambda world: [
        Call(world.signed_in, "get", "/api/watchlist/"),
        Call(world.signed_in, "get", "/api/watchlist/?watched=true&ordering=title"),
        Call(world.other, "get", "/api/watchlist/"),  # empty
    ],
    "POST /api/watchlist/": lambda world: [
        Call(world.signed_in, "post", "/api/watchlist/", {"imdb_id": "tt0234215"}),  # 201
        Call(world.signed_in, "post", "/api/watchlist/", {"imdb_id": "tt0133093"}),  # 200, already there
    ],
    "GET /api/watchlist/{id}/": lambda world: [
        Call(world.signed_in, "get", f"/api/watchlist/{world.ids['watched item']}/"),
        Call(world.signed_in, "get", f"/api/watchlist/{world.ids['unwatched item']}/"),
    ],
    "GET /api/diary/": lambda world: [
        Call(world.signed_in, "get", "/api/diary/"),  # a rewatch, a null rating
        Call(world.signed_in, "get", "/api/diary/?year=2024&movie=tt0133093&page_size=1"),
        Call(world.other, "get", "/api/diary/"),  # empty
    ],
    "POST /api/diary/": lambda world: [
        Call(world.signed_in, "post", "/api/diary/", {"imdb_id": "tt0114709"}),
        Call(
            world.signed_in,
            "post",
            "/api/diary/",
            {"imdb_id": "tt0133093", "watched_on": "2020-01-01", "rating": 3.5, "note": "Cinema"},
        ),
    ],
    "GET /api/diary/{id}/": lambda world: [
        Call(world.signed_in, "get", f"/api/diary/{world.ids['rated watch']}/"),
        Call(world.signed_in, "get", f"/api/diary/{world.ids['unrated watch']}/"),
    ],
    "PATCH /api/diary/{id}/": lambda world: [
        Call(world.signed_in, "patch", f"/api/diary/{world.ids['rated watch']}/", {"rating": None}),
        Call(
            world.signed_in, "patch", f"/api/diary/{world.ids['unrated watch']}/", {"note": "", "rating": 1}
        ),
    ],
    "GET /api/lists/": lambda world: [
        Call(world.signed_in, "get", "/api/lists/"),  # public and private
        Call(world.anonymous, "get", f"/api/lists/?user={world.user.username}&page_size=1"),
    ],
    "POST /api/lists/": lambda world: [
        Call(world.signed_in, "post", "/api/lists/", {"name": "New"}),
        Call(world.other, "post", "/api/lists/", {"name": "Mine", "description": "", "public": False}),
    ],
    "GET /api/lists/{id}/": lambda world: [
        Call(world.anonymous, "get", f"/api/lists/{world.ids['public list']}/"),
        Call(world.signed_in, "get", f"/api/lists/{world.ids['private list']}/"),  # empty
    ],
    "PATCH /api/lists/{id}/": lambda world: [
        Call(world.signed_in, "patch", f"/api/lists/{world.ids['public list']}/", {"public": False}),
    ],
    "POST /api/lists/{id}/items/": lambda world: [
        Call(
            world.signed_in, "post", f"/api/lists/{world.ids['public list']}/items/", {"imdb_id": "tt0114709"}
        ),
        Call(
            world.signed_in,
            "post",
            f"/api/lists/{world.ids['private list']}/items/",
            {"imdb_id": "tt0000010", "note": "odd"},
        ),
    ],
    "PUT /api/lists/{id}/order/": lambda world: [
        Call(
            world.signed_in,
            "put",
            f"/api/lists/{world.ids['public list']}/order/",
            {"imdb_ids": ["tt0000010", "tt0133093"]},
        ),
        Call(world.signed_in, "put", f"/api/lists/{world.ids['private list']}/order/", {"imdb_ids": []}),
    ],
    "GET /api/users/{username}/": lambda world: [
        Call(world.anonymous, "get", f"/api/users/{world.user.username}/"),  # stats filled in
        Call(world.other, "get", f"/api/users/{world.user.username}/"),  # is_following
        Call(world.signed_in, "get", f"/api/users/{world.other_user.username}/"),
        Call(world.anonymous, "get", f"/api/users/{UserFactory().username}/"),  # no stats at all
    ],
    "GET /api/users/{username}/followers/": lambda world: [
        Call(world.anonymous, "get", f"/api/users/{world.user.username}/followers/"),
    ],
    "GET /api/users/{username}/following/": lambda world: [
        Call(world.anonymous, "get", f"/api/users/{world.user.username}/following/"),
        Call(world.anonymous, "get", f"/api/users/{world.other_user.username}/following/?page_size=1"),
    ],
    "GET /api/feed/": lambda world: [
        Call(world.other, "get", "/api/feed/"),  # one of each kind
        Call(world.other, "get", "/api/feed/?limit=1"),  # next_before set
        Call(world.signed_in, "get", "/api/feed/"),  # empty
    ],
    "POST /api/reviews/{id}/like/": lambda world: [
        Call(world.other, "post", f"/api/reviews/{world.ids['review with body']}/like/"),  # 201
        Call(world.signed_in, "post", f"/api/reviews/{world.ids['review without body']}/like/"),  # 200
    ],
    "PATCH /api/watchlist/{id}/": lambda world: [
        Call(world.signed_in, "patch", f"/api/watchlist/{world.ids['unwatched item']}/", {"watched": True}),
        Call(world.signed_in, "patch", f"/api/watchlist/{world.ids['watched item']}/", {"watched": False}),
    ],
}


def test_every_case_names_an_operation_of_the_schema():
    stale = sorted(set(CASES) - set(OPERATIONS))
    assert not stale, f"CASES names operations the schema does not hold (or no longer answers JSON): {stale}"


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_json_answer_is_exactly_what_the_schema_documents(operation, world):
    if operation not in CASES:
        pytest.fail(
            f"{operation} answers JSON on success but has no entry in CASES "
            f"({__name__}): add the requests that show its answers."
        )
    documented = OPERATIONS[operation]
    for call in CASES[operation](world):
        if not isinstance(call, Call):
            call()  # a change of the data between two requests
            continue
        response = getattr(call.client, call.method)(call.path, call.data, format=call.format)
        where = f"{call.method.upper()} {call.path}"
        assert response.status_code in documented, (
            f"{where} answered {response.status_code}, not a documented success {sorted(documented)}: "
            f"{response.content[:500]!r}"
        )
        assert response["Content-Type"] == "application/json", where
        errors = schema_errors(response.json(), documented[response.status_code])
        assert not errors, f"{where} answered what {operation} does not document:\n" + "\n".join(errors)


def test_the_strict_check_refuses_an_undocumented_key_and_a_missing_required_one(world):
    answer = world.signed_in.get("/api/movies/tt0133093/").json()
    documented = OPERATIONS["GET /api/movies/{imdb_id}/"][200]
    assert schema_errors(answer, documented) == []
    assert schema_errors({**answer, "extra": 1}, documented)
    review = answer["me"]["review"]
    assert schema_errors({**answer, "me": {**answer["me"], "review": {**review, "extra": 1}}}, documented)
    without_title = {key: value for key, value in answer.items() if key != "title"}
    assert schema_errors(without_title, documented)
    assert schema_errors({**answer, "poster_url": "not a url"}, documented)
    assert schema_errors({**answer, "year": None, "title": None}, documented) == [
        "at title: None is not of type 'string'"
    ]
