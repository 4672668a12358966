import pytest

from movie_module.models import MovieList, MovieListItem

from .factories import MovieFactory

pytestmark = pytest.mark.django_db

LISTS = "/api/lists/"
AUTH_ME = "/api/auth/me/"
LIST_FIELDS = {"id", "name", "description", "public", "owner", "item_count", "created_at", "updated_at"}


def make_list(client, **fields) -> dict:
    response = client.post(LISTS, {"name": "Favourites", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def add(client, movie_list, movie, note=""):
    return client.post(
        f"{LISTS}{movie_list['id']}/items/", {"imdb_id": movie.imdb_id, "note": note}, format="json"
    )


def test_creating_a_list_returns_it_public_and_empty(auth_client, user):
    created = make_list(auth_client, description="The best")
    assert set(created) == LIST_FIELDS | {"items"}
    assert created["public"] is True
    assert created["owner"] == {"id": user.id, "username": user.username}
    assert created["item_count"] == 0 and created["items"] == []


def test_items_are_appended_with_their_notes_and_shown_by_position(auth_client):
    movie_list = make_list(auth_client)
    first, second = MovieFactory(title="Alien"), MovieFactory(title="Aliens")
    assert add(auth_client, movie_list, first, "the original").status_code == 201
    response = add(auth_client, movie_list, second)
    assert response.json()["position"] == 1
    shown = auth_client.get(f"{LISTS}{movie_list['id']}/").json()
    assert [(item["movie"]["title"], item["position"], item["note"]) for item in shown["items"]] == [
        ("Alien", 0, "the original"),
        ("Aliens", 1, ""),
    ]
    assert shown["item_count"] == 2
    assert shown["items"][0]["movie"]["review_count"] == 0


def test_a_movie_already_in_the_list_is_a_400(auth_client):
    movie_list, movie = make_list(auth_client), MovieFactory()
    add(auth_client, movie_list, movie)
    response = add(auth_client, movie_list, movie)
    assert response.status_code == 400
    assert response.json() == {"imdb_id": ["This movie is in the list already."]}
    assert MovieListItem.objects.count() == 1


def test_an_unknown_movie_is_a_400(auth_client):
    movie_list = make_list(auth_client)
    response = auth_client.post(f"{LISTS}{movie_list['id']}/items/", {"imdb_id": "tt9999999"}, format="json")
    assert response.status_code == 400
    assert not MovieListItem.objects.exists()


def test_removing_an_item(auth_client):
    movie_list, movie = make_list(auth_client), MovieFactory()
    add(auth_client, movie_list, movie)
    assert auth_client.delete(f"{LISTS}{movie_list['id']}/items/{movie.imdb_id}/").status_code == 204
    assert auth_client.delete(f"{LISTS}{movie_list['id']}/items/{movie.imdb_id}/").status_code == 404
    assert not MovieListItem.objects.exists()


def test_reordering_puts_the_movies_in_the_order_named(auth_client):
    movie_list = make_list(auth_client)
    movies = MovieFactory.create_batch(3)
    for movie in movies:
        add(auth_client, movie_list, movie)
    order = [movies[2].imdb_id, movies[0].imdb_id, movies[1].imdb_id]
    response = auth_client.put(f"{LISTS}{movie_list['id']}/order/", {"imdb_ids": order}, format="json")
    assert response.status_code == 200
    assert [item["movie"]["imdb_id"] for item in response.json()["items"]] == order
    assert [item["position"] for item in response.json()["items"]] == [0, 1, 2]


@pytest.mark.parametrize("which", ["missing one", "an extra", "a duplicate", "none"])
def test_an_order_that_does_not_name_exactly_the_lists_movies_is_a_400(auth_client, which):
    movie_list = make_list(auth_client)
    movies = MovieFactory.create_batch(3)
    for movie in movies:
        add(auth_client, movie_list, movie)
    ids = [movie.imdb_id for movie in movies]
    order = {
        "missing one": ids[:2],
        "an extra": [*ids, MovieFactory().imdb_id],
        "a duplicate": [*ids, ids[0]],
        "none": [],
    }[which]
    response = auth_client.put(f"{LISTS}{movie_list['id']}/order/", {"imdb_ids": order[::-1]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"imdb_ids": ["Name each of the list's movies exactly once."]}
    assert list(MovieListItem.objects.order_by("position").values_list("movie__imdb_id", flat=True)) == ids


def test_an_order_naming_a_bad_id_is_one_message_on_the_field(auth_client):
    movie_list = make_list(auth_client)
    response = auth_client.put(
        f"{LISTS}{movie_list['id']}/order/", {"imdb_ids": ["tt0133093", 7]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"imdb_ids": ["Each entry is an IMDb id: tt followed by 7 or 8 digits."]}


def test_editing_and_deleting_a_list(auth_client):
    movie_list = make_list(auth_client)
    response = auth_client.patch(
        f"{LISTS}{movie_list['id']}/", {"name": "Renamed", "public": False}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["public"]) == ("Renamed", False)
    assert auth_client.delete(f"{LISTS}{movie_list['id']}/").status_code == 204
    assert not MovieList.objects.exists()


@pytest.mark.parametrize(
    "body, field", [({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"public": "maybe"}, "public")]
)
def test_a_bad_list_names_the_field_and_changes_nothing(auth_client, body, field):
    response = auth_client.post(LISTS, {"name": "ok", **body}, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not MovieList.objects.exists()


def test_a_private_list_is_a_404_to_everyone_else(auth_client, other_client, api_client, user):
    private = make_list(auth_client, public=False)
    movie = MovieFactory()
    add(auth_client, private, movie)
    url = f"{LISTS}{private['id']}/"
    assert auth_client.get(url).status_code == 200
    for client in (other_client, api_client):
        assert client.get(url).status_code == 404
        assert client.get(LISTS).json()["count"] == 0
        assert client.get(LISTS, {"user": user.username}).json()["count"] == 0
    assert other_client.patch(url, {"name": "mine now"}, format="json").status_code == 404
    assert other_client.delete(url).status_code == 404
    assert add(other_client, private, MovieFactory()).status_code == 404
    assert other_client.delete(f"{url}items/{movie.imdb_id}/").status_code == 404
    assert other_client.put(f"{url}order/", {"imdb_ids": [movie.imdb_id]}, format="json").status_code == 404
    assert MovieList.objects.get().name == "Favourites" and MovieListItem.objects.count() == 1


def test_another_users_public_list_is_readable_but_not_writable(auth_client, other_client):
    public = make_list(auth_client)
    movie = MovieFactory()
    add(auth_client, public, movie)
    url = f"{LISTS}{public['id']}/"
    assert other_client.get(url).status_code == 200
    assert other_client.patch(url, {"name": "mine now"}, format="json").status_code == 403
    assert other_client.delete(url).status_code == 403
    assert add(other_client, public, MovieFactory()).status_code == 403
    assert other_client.delete(f"{url}items/{movie.imdb_id}/").status_code == 403
    assert other_client.put(f"{url}order/", {"imdb_ids": [movie.imdb_id]}, format="json").status_code == 403
    assert MovieList.objects.get().name == "Favourites" and MovieListItem.objects.count() == 1


def test_the_list_of_lists_shows_public_ones_and_the_callers_own(auth_client, other_client, user, other_user):
    make_list(auth_client, name="mine, private", public=False)
    make_list(auth_client, name="mine, public")
    make_list(other_client, name="theirs, private", public=False)
    make_list(other_client, name="theirs, public")
    names = {entry["name"] for entry in auth_client.get(LISTS).json()["results"]}
    assert names == {"mine, private", "mine, public", "theirs, public"}
    theirs = auth_client.get(LISTS, {"user": other_user.username.upper()}).json()["results"]
    assert [entry["name"] for entry in theirs] == ["theirs, public"]


def test_writing_lists_needs_authentication(api_client):
    assert api_client.post(LISTS, {"name": "x"}, format="json").status_code == 401
    assert not MovieList.objects.exists()


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_list_of_lists_runs_the_same_queries_for_1_and_100(
    auth_client, user, django_assert_num_queries, page_size
):
    movies = MovieFactory.create_batch(3)
    for number in range(100):
        movie_list = MovieList.objects.create(owner=user, name=f"List {number}")
        MovieListItem.objects.bulk_create(
            MovieListItem(movie_list=movie_list, movie=movie, position=position)
            for position, movie in enumerate(movies)
        )
    auth_client.get(AUTH_ME)
    with django_assert_num_queries(2):  # count, page (with item counts and owners)
        response = auth_client.get(LISTS, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    assert response.json()["results"][0]["item_count"] == 3


@pytest.mark.parametrize("movies", [1, 100])
def test_a_lists_page_runs_the_same_queries_for_1_and_100_movies(
    auth_client, user, django_assert_num_queries, movies
):
    movie_list = MovieList.objects.create(owner=user, name="Many")
    MovieListItem.objects.bulk_create(
        MovieListItem(movie_list=movie_list, movie=movie, position=position)
        for position, movie in enumerate(MovieFactory.create_batch(movies))
    )
    auth_client.get(AUTH_ME)
    with django_assert_num_queries(3):  # the list, its items, their review stats
        response = auth_client.get(f"{LISTS}{movie_list.id}/")
    assert len(response.json()["items"]) == movies
