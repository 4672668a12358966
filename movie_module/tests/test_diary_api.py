import datetime

import pytest
from django.utils import timezone

from movie_module.models import Watch, WatchlistItem

from .factories import MovieFactory, WatchFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

DIARY = "/api/diary/"
AUTH_ME = "/api/auth/me/"
WATCH_FIELDS = {"id", "movie", "watched_on", "rating", "rewatch", "note", "created_at"}


def test_logging_a_watch_returns_it_with_today_by_default(auth_client, user):
    movie = MovieFactory(title="Alien")
    response = auth_client.post(
        DIARY, {"imdb_id": movie.imdb_id, "rating": 4.5, "note": "Cinema"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == WATCH_FIELDS
    assert body["movie"]["title"] == "Alien"
    assert body["watched_on"] == timezone.now().date().isoformat()
    assert body["rating"] == 4.5 and body["note"] == "Cinema" and body["rewatch"] is False
    assert Watch.objects.get().user == user


def test_a_watch_without_rating_has_a_null_rating(auth_client):
    movie = MovieFactory()
    response = auth_client.post(DIARY, {"imdb_id": movie.imdb_id, "watched_on": "2020-02-29"}, format="json")
    assert response.status_code == 201
    assert response.json()["rating"] is None
    assert response.json()["watched_on"] == "2020-02-29"


def test_a_second_watch_of_a_movie_is_a_rewatch_and_the_first_is_not(auth_client, user):
    movie = MovieFactory()
    later = auth_client.post(DIARY, {"imdb_id": movie.imdb_id, "watched_on": "2024-05-01"}, format="json")
    earlier = auth_client.post(DIARY, {"imdb_id": movie.imdb_id, "watched_on": "2021-01-01"}, format="json")
    assert earlier.json()["rewatch"] is False
    listed = {entry["id"]: entry["rewatch"] for entry in auth_client.get(DIARY).json()["results"]}
    assert listed == {later.json()["id"]: True, earlier.json()["id"]: False}


def test_two_watches_on_one_day_the_second_is_the_rewatch(auth_client):
    movie = MovieFactory()
    first = auth_client.post(DIARY, {"imdb_id": movie.imdb_id, "watched_on": "2024-05-01"}, format="json")
    second = auth_client.post(DIARY, {"imdb_id": movie.imdb_id, "watched_on": "2024-05-01"}, format="json")
    assert (first.json()["rewatch"], second.json()["rewatch"]) == (False, True)


def test_another_users_watch_makes_no_rewatch(auth_client, other_user):
    movie = MovieFactory()
    WatchFactory(user=other_user, movie=movie, watched_on=datetime.date(2001, 1, 1))
    response = auth_client.post(DIARY, {"imdb_id": movie.imdb_id}, format="json")
    assert response.json()["rewatch"] is False


def test_logging_a_watch_marks_the_watchlist_item_watched(auth_client, user):
    movie = MovieFactory()
    item = WatchlistItemFactory(user=user, movie=movie)
    auth_client.post(DIARY, {"imdb_id": movie.imdb_id, "watched_on": "2022-06-01"}, format="json")
    item.refresh_from_db()
    assert item.watched
    assert item.watched_at == datetime.datetime(2022, 6, 1, tzinfo=datetime.UTC)


def test_logging_a_watch_keeps_the_first_watched_at(auth_client, user):
    movie = MovieFactory()
    first = datetime.datetime(2019, 3, 3, 21, 0, tzinfo=datetime.UTC)
    item = WatchlistItemFactory(user=user, movie=movie, watched=True, watched_at=first)
    auth_client.post(DIARY, {"imdb_id": movie.imdb_id}, format="json")
    item.refresh_from_db()
    assert item.watched_at == first


def test_logging_a_watch_adds_nothing_to_the_watchlist(auth_client):
    auth_client.post(DIARY, {"imdb_id": MovieFactory().imdb_id}, format="json")
    assert not WatchlistItem.objects.exists()


def tomorrow_everywhere() -> str:
    return (timezone.now() + datetime.timedelta(days=2)).date().isoformat()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"imdb_id": None}, "imdb_id"),
        ({"imdb_id": "tt9999999"}, "imdb_id"),
        ({"watched_on": "2020-13-01"}, "watched_on"),
        ({"watched_on": "1869-12-31"}, "watched_on"),
        ({"watched_on": None}, "watched_on"),
        ({"rating": 4.2}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": 5.5}, "rating"),
        ({"rating": True}, "rating"),
        ({"note": "x" * 10001}, "note"),
    ],
)
def test_a_bad_watch_names_the_field_and_logs_nothing(auth_client, body, field):
    movie = MovieFactory(imdb_id="tt0133093")
    response = auth_client.post(DIARY, {"imdb_id": movie.imdb_id, **body}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Watch.objects.exists()


def test_a_watch_in_the_future_is_refused(auth_client):
    movie = MovieFactory()
    response = auth_client.post(
        DIARY, {"imdb_id": movie.imdb_id, "watched_on": tomorrow_everywhere()}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"watched_on": ["This date is in the future."]}
    assert not Watch.objects.exists()


def test_the_diary_lists_the_callers_watches_latest_first_and_filters(auth_client, user, other_user):
    matrix, alien = MovieFactory(imdb_id="tt0133093"), MovieFactory()
    WatchFactory(user=user, movie=matrix, watched_on=datetime.date(2023, 1, 1))
    WatchFactory(user=user, movie=alien, watched_on=datetime.date(2024, 1, 1))
    WatchFactory(user=user, movie=matrix, watched_on=datetime.date(2024, 6, 1))
    WatchFactory(user=other_user, movie=matrix, watched_on=datetime.date(2024, 7, 1))
    dates = [entry["watched_on"] for entry in auth_client.get(DIARY).json()["results"]]
    assert dates == ["2024-06-01", "2024-01-01", "2023-01-01"]
    by_movie = auth_client.get(DIARY, {"movie": "tt0133093"}).json()["results"]
    assert [entry["watched_on"] for entry in by_movie] == ["2024-06-01", "2023-01-01"]
    by_year = auth_client.get(DIARY, {"year": 2024}).json()["results"]
    assert [entry["watched_on"] for entry in by_year] == ["2024-06-01", "2024-01-01"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"movie": "matrix"}, "movie"),
        ({"year": "last"}, "year"),
        ({"year": "2024.5"}, "year"),
        ({"year": 0}, "year"),
    ],
)
def test_a_bad_diary_filter_is_a_400_naming_it(auth_client, params, field):
    response = auth_client.get(DIARY, params)
    assert response.status_code == 400
    assert field in response.json()


def test_editing_a_watch_changes_what_is_given(auth_client, user):
    watch = WatchFactory(user=user, rating=3, note="ok")
    response = auth_client.patch(
        f"{DIARY}{watch.id}/", {"rating": None, "watched_on": "2024-02-02"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["rating"] is None
    assert response.json()["watched_on"] == "2024-02-02"
    assert response.json()["note"] == "ok"


def test_a_bad_edit_changes_nothing(auth_client, user):
    watch = WatchFactory(user=user, rating=3)
    response = auth_client.patch(f"{DIARY}{watch.id}/", {"rating": 3.3, "note": "new"}, format="json")
    assert response.status_code == 400
    watch.refresh_from_db()
    assert float(watch.rating) == 3 and watch.note == ""


def test_deleting_a_watch_removes_it(auth_client, user):
    watch = WatchFactory(user=user)
    assert auth_client.delete(f"{DIARY}{watch.id}/").status_code == 204
    assert not Watch.objects.exists()


def test_another_users_watch_is_a_404_and_stays_untouched(auth_client, other_user):
    watch = WatchFactory(user=other_user, note="mine")
    assert auth_client.get(f"{DIARY}{watch.id}/").status_code == 404
    assert auth_client.patch(f"{DIARY}{watch.id}/", {"note": "hacked"}, format="json").status_code == 404
    assert auth_client.delete(f"{DIARY}{watch.id}/").status_code == 404
    watch.refresh_from_db()
    assert watch.note == "mine"
    assert auth_client.get(DIARY).json()["count"] == 0


def test_the_diary_needs_authentication(api_client):
    assert api_client.get(DIARY).status_code == 401
    assert api_client.post(DIARY, {"imdb_id": MovieFactory().imdb_id}).status_code == 401
    assert not Watch.objects.exists()


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_diary_runs_the_same_queries_for_1_and_100_watches(
    auth_client, user, django_assert_num_queries, page_size
):
    movies = MovieFactory.create_batch(10)
    for day in range(100):
        WatchFactory(
            user=user, movie=movies[day % 10], watched_on=datetime.date(2024, 1, 1) + datetime.timedelta(day)
        )
    auth_client.get(AUTH_ME)  # the user behind the token is cached from here on
    with django_assert_num_queries(2):  # count, page (with `rewatch`)
        response = auth_client.get(DIARY, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
