"""What the schemathesis tests share: the configuration, the checks, and the data to find.

tests/test_fuzz_api.py runs every operation in process; tests/test_fuzz_live_server.py
against real servers in development and production mode.
"""

import schemathesis
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from movie_module.models import MovieList
from movie_module.tests.factories import MovieFactory, ReviewFactory, WatchFactory, WatchlistItemFactory

# Reproducible and bounded: the same requests on every run (fixed seed, no example database),
# 25 random ones per operation and caller plus schemathesis' coverage phase (boundary values,
# missing fields, other methods and content types): about 35 s on SQLite, 50 s on PostgreSQL.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 8,
        "generation": {"deterministic": True, "max-examples": 25, "database": "none"},
    }
)


# Every check that makes sense for a single request runs (no 5xx; status code, content type,
# headers and body as documented), except these, each for a reason:
# - negative_data_rejection wants a 4xx for every request outside the schema, but DRF rightly
#   ignores what it does not know: unknown query parameters and body fields, empty filter values.
EXCLUDED_CHECKS = [negative_data_rejection]
# - positive_data_acceptance wants a 2xx for every request the schema allows; these operations
#   apply rules no schema can state, and answer a documented 400 when one is broken.
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/auth/register/": "Django's password validators; a username taken in any case",
    "POST /api/auth/password/": "the old password must be the caller's",
    "POST /api/watchlist/": "the IMDb id must name a movie in the catalogue",
    "PATCH /api/watchlist/{id}/": "`watched_at` only with `watched: true`, and not in the future",
    "POST /api/reviews/": "the IMDb id must name a movie; one review per movie per user",
    "GET /api/movies/": "each `genre` must name a genre of the catalogue",
    # drf-spectacular documents no body for a DELETE (OpenAPI 3.0 gives it no meaning).
    "DELETE /api/auth/me/": "the body must hold the caller's password",
    "POST /api/auth/password/reset/confirm/": "the uid and token must come from a reset mail",
    "POST /api/imports/": "the file must be an export of the format named",
    "POST /api/diary/": "the IMDb id must name a movie; `watched_on` not in the future",
    "PATCH /api/diary/{id}/": "`watched_on` not in the future",
    "POST /api/lists/{id}/items/": "the IMDb id must name a movie; once per list",
    "PUT /api/lists/{id}/order/": "the list's movies, each exactly once",
    "POST /api/users/{username}/follow/": "nobody follows themselves",
}


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def breaks_a_string_rule_of_drf(case) -> bool:
    """DRF answers 400 to a string holding U+0000 or only whitespace (it trims strings before
    checking they are not blank) in any field: rules of every string, which no schema states."""
    return any(
        "\x00" in text or (text and not text.strip())
        for text in strings_in([case.path_parameters, case.query, case.body])
    )


def excluded_checks(case) -> list:
    if case.operation.label in RULES_BEYOND_THE_SCHEMA or breaks_a_string_rule_of_drf(case):
        return [*EXCLUDED_CHECKS, positive_data_acceptance]
    return EXCLUDED_CHECKS


def build_world(user, other_user) -> dict:
    """Something for ids in paths and bodies to find: movies, watchlist items, reviews."""
    movies = MovieFactory.create_batch(3)
    return {
        "user": user,
        "movies": movies,
        "mine": {
            "watchlist": WatchlistItemFactory(user=user, movie=movies[0]).id,
            "reviews": ReviewFactory(user=user, movie=movies[0], rating=4.5).id,
            "diary": WatchFactory(user=user, movie=movies[0]).id,
            "lists": MovieList.objects.create(owner=user, name="Mine").id,
            "username": user.username,
        },
        "another_users": {
            "watchlist": WatchlistItemFactory(user=other_user, movie=movies[1]).id,
            "reviews": ReviewFactory(user=other_user, movie=movies[1]).id,
            "diary": WatchFactory(user=other_user, movie=movies[1]).id,
            "lists": MovieList.objects.create(owner=other_user, name="Theirs", public=False).id,
            "username": other_user.username,
        },
    }


def with_existing_objects(path_parameters: dict, *, path: str, owner: str, world) -> dict:
    """The path's parameters naming objects that exist: the signed-in user's or another's."""
    collection = path.split("/")[2]  # /api/<collection>/...
    existing = {
        "id": world[owner].get(collection),
        "imdb_id": world["movies"][0].imdb_id,
        "room": "lobby",
        "username": world[owner].get("username"),
    }
    return {name: existing.get(name) or value for name, value in path_parameters.items()}
