"""Who may do what: every endpoint and method, as anonymous, owner, another user and staff.

Nobody reads or changes another user's watchlist, review or password through the API;
staff moderate in the admin, not here.
"""

import pytest
from rest_framework.test import APIClient

from authentication.tests.factories import PASSWORD, UserFactory
from conftest import access_token_for
from movie_module.models import MovieList, Review, WatchlistItem
from movie_module.tests.factories import MovieFactory, ReviewFactory, WatchFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "other", "staff"]


@pytest.fixture
def world(db):
    owner = UserFactory()
    other = UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    movie = MovieFactory()
    return {
        "users": {"owner": owner, "other": other, "staff": staff},
        "movie": movie,
        "spare_movie": MovieFactory(),
        "item": WatchlistItemFactory(user=owner, movie=movie),
        "review": ReviewFactory(user=owner, movie=movie, rating=4, body="mine"),
        "watch": WatchFactory(user=owner, movie=movie),
        "public_list": MovieList.objects.create(owner=owner, name="Shown"),
        "private_list": MovieList.objects.create(owner=owner, name="Hidden", public=False),
    }


def client_for(world, role):
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(world['users'][role])}")
    return client


# (method, path template, body, expected status for anonymous, owner, other, staff)
MATRIX = [
    ("get", "/api/auth/me/", None, (401, 200, 200, 200)),
    ("patch", "/api/auth/me/", {"email": "new@example.com"}, (401, 200, 200, 200)),
    ("post", "/api/auth/password/", {"old_password": "wrong", "new_password": "x"}, (401, 400, 400, 400)),
    ("get", "/api/movies/", None, (200, 200, 200, 200)),
    ("post", "/api/movies/", {"imdb_id": "tt0133093"}, (405, 405, 405, 405)),
    ("get", "/api/movies/{movie}/", None, (200, 200, 200, 200)),
    ("put", "/api/movies/{movie}/", {}, (405, 405, 405, 405)),
    ("delete", "/api/movies/{movie}/", None, (405, 405, 405, 405)),
    ("get", "/api/movies/{movie}/reviews/", None, (200, 200, 200, 200)),
    ("get", "/api/movies/{movie}/similar/", None, (200, 200, 200, 200)),
    ("get", "/api/watchlist/", None, (401, 200, 200, 200)),
    ("post", "/api/watchlist/", {"imdb_id": "{spare}"}, (401, 201, 201, 201)),
    ("get", "/api/watchlist/{item}/", None, (401, 200, 404, 404)),
    ("patch", "/api/watchlist/{item}/", {"watched": True}, (401, 200, 404, 404)),
    ("put", "/api/watchlist/{item}/", {"watched": True}, (401, 405, 405, 405)),
    ("delete", "/api/watchlist/{item}/", None, (401, 204, 404, 404)),
    ("get", "/api/reviews/", None, (200, 200, 200, 200)),
    ("post", "/api/reviews/", {"imdb_id": "{spare}", "rating": 3}, (401, 201, 201, 201)),
    ("get", "/api/reviews/{review}/", None, (200, 200, 200, 200)),
    ("patch", "/api/reviews/{review}/", {"rating": 1}, (401, 200, 403, 403)),
    ("put", "/api/reviews/{review}/", {"rating": 1}, (401, 405, 405, 405)),
    ("delete", "/api/reviews/{review}/", None, (401, 204, 403, 403)),
    ("get", "/api/recommendations/", None, (401, 200, 200, 200)),
    ("get", "/api/health/", None, (200, 200, 200, 200)),
    ("get", "/api/diary/", None, (401, 200, 200, 200)),
    ("post", "/api/diary/", {"imdb_id": "{spare}"}, (401, 201, 201, 201)),
    ("get", "/api/diary/{watch}/", None, (401, 200, 404, 404)),
    ("patch", "/api/diary/{watch}/", {"note": "x"}, (401, 200, 404, 404)),
    ("delete", "/api/diary/{watch}/", None, (401, 204, 404, 404)),
    ("get", "/api/lists/", None, (200, 200, 200, 200)),
    ("post", "/api/lists/", {"name": "New"}, (401, 201, 201, 201)),
    ("get", "/api/lists/{public_list}/", None, (200, 200, 200, 200)),
    ("patch", "/api/lists/{public_list}/", {"name": "x"}, (401, 200, 403, 403)),
    ("delete", "/api/lists/{public_list}/", None, (401, 204, 403, 403)),
    ("post", "/api/lists/{public_list}/items/", {"imdb_id": "{spare}"}, (401, 201, 403, 403)),
    ("put", "/api/lists/{public_list}/order/", {"imdb_ids": []}, (401, 200, 403, 403)),
    ("get", "/api/lists/{private_list}/", None, (404, 200, 404, 404)),
    ("patch", "/api/lists/{private_list}/", {"name": "x"}, (401, 200, 404, 404)),
    ("delete", "/api/lists/{private_list}/", None, (401, 204, 404, 404)),
    ("post", "/api/lists/{private_list}/items/", {"imdb_id": "{spare}"}, (401, 201, 404, 404)),
    ("get", "/api/users/{owner}/", None, (200, 200, 200, 200)),
    ("post", "/api/users/{owner}/follow/", None, (401, 400, 201, 201)),
    ("delete", "/api/users/{owner}/follow/", None, (401, 204, 204, 204)),
    ("get", "/api/users/{owner}/followers/", None, (200, 200, 200, 200)),
    ("get", "/api/feed/", None, (401, 200, 200, 200)),
    ("post", "/api/reviews/{review}/like/", None, (401, 201, 201, 201)),
    ("delete", "/api/reviews/{review}/like/", None, (401, 204, 204, 204)),
]


def fill(template, world):
    values = {
        "movie": world["movie"].imdb_id,
        "spare": world["spare_movie"].imdb_id,
        "item": world["item"].id,
        "review": world["review"].id,
        "watch": world["watch"].id,
        "public_list": world["public_list"].id,
        "private_list": world["private_list"].id,
        "owner": world["users"]["owner"].username,
    }
    if isinstance(template, dict):
        return {key: fill(value, world) for key, value in template.items()}
    return template.format(**values) if isinstance(template, str) else template


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method, path, body, expected", MATRIX, ids=[f"{row[0].upper()} {row[1]}" for row in MATRIX]
)
def test_permission_matrix(world, role, method, path, body, expected):
    client = client_for(world, role)
    response = getattr(client, method)(fill(path, world), fill(body, world), format="json")
    assert response.status_code == expected[ROLES.index(role)], response.content


@pytest.mark.parametrize("role", ["other", "staff"])
def test_nobody_else_sees_or_changes_the_owners_records(world, role):
    client = client_for(world, role)
    item, review = world["item"], world["review"]
    listed = client.get("/api/watchlist/").json()["results"]
    assert item.id not in [entry["id"] for entry in listed]
    client.patch(f"/api/watchlist/{item.id}/", {"watched": True}, format="json")
    client.delete(f"/api/watchlist/{item.id}/")
    client.patch(f"/api/reviews/{review.id}/", {"rating": 1, "body": "hacked"}, format="json")
    client.delete(f"/api/reviews/{review.id}/")
    item.refresh_from_db()
    review.refresh_from_db()
    assert not item.watched
    assert review.body == "mine" and float(review.rating) == 4
    assert WatchlistItem.objects.filter(id=item.id).exists() and Review.objects.filter(id=review.id).exists()


def test_changing_a_password_changes_only_ones_own(world):
    client = client_for(world, "other")
    response = client.post(
        "/api/auth/password/", {"old_password": PASSWORD, "new_password": "a-Strong-passphrase-42"}
    )
    assert response.status_code == 204
    owner = world["users"]["owner"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_me_cannot_be_pointed_at_another_user(world):
    client = client_for(world, "other")
    client.patch("/api/auth/me/", {"id": world["users"]["owner"].id, "email": "x@example.com"}, format="json")
    owner = world["users"]["owner"]
    owner.refresh_from_db()
    assert owner.email != "x@example.com"


def test_a_blacklisted_refresh_token_never_mints_an_access_token(world, api_client):
    owner = world["users"]["owner"]
    tokens = api_client.post("/api/auth/login/", {"username": owner.username, "password": PASSWORD}).json()
    assert api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 205
    for _ in range(3):
        response = api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]})
        assert response.status_code == 401
        assert "access" not in response.json()
