"""Browsing the catalogue: genres, years and orderings on GET /api/movies/, GET /api/genres/,
and the counters that order it, through the API."""

import pytest

from movie_module.catalogue.counters import recount_all_movies
from movie_module.models import Movie

from .factories import CorpusRatingFactory, MovieFactory, ReviewFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

MOVIES = "/api/movies/"
GENRES = "/api/genres/"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [movie["title"] for movie in response.json()["results"]]


@pytest.fixture
def catalogue():
    return {
        "godfather": MovieFactory(
            title="The Godfather", year=1972, genres=["Crime", "Drama"], imdb_rating=9.2
        ),
        "heat": MovieFactory(title="Heat", year=1995, genres=["Action", "Crime", "Drama"], imdb_rating=8.3),
        "amelie": MovieFactory(title="Amélie", year=2001, genres=["Comedy", "Romance"], imdb_rating=8.3),
        "matrix": MovieFactory(title="The Matrix", year=1999, genres=["Action", "Sci-Fi"], imdb_rating=8.7),
        "unknown": MovieFactory(title="Untitled Project", year=None, genres=[], imdb_rating=None),
    }


def test_genre_filter_keeps_the_movies_of_that_genre(api_client, catalogue):
    assert titles(api_client.get(MOVIES, {"genre": "Crime"})) == ["Heat", "The Godfather"]


def test_a_repeated_genre_keeps_the_movies_that_have_every_one(api_client, catalogue):
    assert titles(api_client.get(MOVIES, {"genre": ["action", "CRIME"]})) == ["Heat"]
    assert titles(api_client.get(MOVIES, {"genre": ["Comedy", "Crime"]})) == []


def test_years_bound_the_list_inclusively(api_client, catalogue):
    assert titles(api_client.get(MOVIES, {"year_min": 1995, "year_max": 2001})) == [
        "Amélie",
        "Heat",
        "The Matrix",
    ]
    assert titles(api_client.get(MOVIES, {"genre": "Crime", "year_max": 1972})) == ["The Godfather"]
    assert titles(api_client.get(MOVIES, {"year": 1999})) == ["The Matrix"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["Amélie", "Heat", "The Godfather", "The Matrix", "Untitled Project"]),
        ("year", ["The Godfather", "Heat", "The Matrix", "Amélie", "Untitled Project"]),
        ("-year", ["Amélie", "The Matrix", "Heat", "The Godfather", "Untitled Project"]),
        ("-imdb_rating", ["The Godfather", "The Matrix", "Amélie", "Heat", "Untitled Project"]),
    ],
)
def test_each_ordering_sorts_unknown_values_last(api_client, catalogue, ordering, expected):
    assert titles(api_client.get(MOVIES, {"ordering": ordering})) == expected


def test_orderings_by_this_sites_reviews_and_by_popularity(api_client, catalogue):
    for rating in (5, 4):
        ReviewFactory(movie=catalogue["heat"], rating=rating)
    ReviewFactory(movie=catalogue["amelie"], rating=5)
    WatchlistItemFactory.create_batch(3, movie=catalogue["matrix"])
    CorpusRatingFactory.create_batch(2, movie=catalogue["godfather"])
    recount_all_movies()  # as the imports of corpus ratings do

    by_rating = titles(api_client.get(MOVIES, {"ordering": "-average_rating"}))
    assert by_rating[:2] == ["Amélie", "Heat"]
    assert titles(api_client.get(MOVIES, {"ordering": "-review_count"}))[:2] == ["Heat", "Amélie"]
    # Popularity: reviews + watchlist items + corpus ratings.
    assert titles(api_client.get(MOVIES, {"ordering": "-popularity"}))[:4] == [
        "The Matrix",
        "Heat",
        "The Godfather",
        "Amélie",
    ]


def test_filters_and_ordering_apply_to_a_search(api_client, catalogue):
    MovieFactory(title="The Godfather Part II", year=1974, genres=["Crime", "Drama"])
    MovieFactory(title="The Godfather Part III", year=1990, genres=["Crime", "Drama"])
    MovieFactory(title="Godfather Parody", year=1995, genres=["Comedy"])
    searched = {"search": "godfather", "genre": "Crime"}
    assert titles(api_client.get(MOVIES, searched))[0] == "The Godfather"  # the best match first
    assert titles(api_client.get(MOVIES, {**searched, "ordering": "-year"})) == [
        "The Godfather Part III",
        "The Godfather Part II",
        "The Godfather",
    ]
    assert set(titles(api_client.get(MOVIES, {**searched, "year_min": 1973}))) == {
        "The Godfather Part II",
        "The Godfather Part III",
    }


@pytest.mark.parametrize(
    ("query", "field", "named"),
    [
        ({"genre": ["Crime", "Western"]}, "genre", "'Western'"),
        ({"year_min": "1990s"}, "year_min", "'1990s'"),
        ({"year_max": "2000.5"}, "year_max", "'2000.5'"),
        ({"ordering": "rating"}, "ordering", "rating"),
    ],
)
def test_an_unknown_filter_value_is_a_400_that_names_it(
    api_client, catalogue, fake_imdb, query, field, named
):
    response = api_client.get(MOVIES, {**query, "search": "matrix"})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert named in response.json()[field][0]
    assert fake_imdb.calls() == 0  # refused before asking the IMDb API anything
    assert Movie.objects.count() == len(catalogue)


def test_genres_list_every_genre_with_its_movie_count_by_name(api_client, catalogue):
    response = api_client.get(GENRES)
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"name": "Action", "movie_count": 2},
            {"name": "Comedy", "movie_count": 1},
            {"name": "Crime", "movie_count": 2},
            {"name": "Drama", "movie_count": 2},
            {"name": "Romance", "movie_count": 1},
            {"name": "Sci-Fi", "movie_count": 1},
        ]
    }
    MovieFactory(genres=["Western"])
    assert {"name": "Western", "movie_count": 1} in api_client.get(GENRES).json()["results"]


def test_the_summary_shows_genre_names_by_name(api_client):
    MovieFactory(title="Heat", genres=["Drama", "Action", "Crime"])
    [heat] = api_client.get(MOVIES).json()["results"]
    assert heat["genres"] == ["Action", "Crime", "Drama"]


def test_counters_follow_every_review_and_watchlist_write_through_the_api(auth_client, api_client, user):
    movie = MovieFactory(imdb_id="tt0133093", title="The Matrix")

    def summary():
        return api_client.get(MOVIES, {"ordering": "-popularity"}).json()["results"][0]

    review = auth_client.post("/api/reviews/", {"imdb_id": "tt0133093", "rating": 4}, format="json").json()
    ReviewFactory(movie=movie, rating=5)
    assert (summary()["review_count"], summary()["average_rating"]) == (2, 4.5)
    auth_client.patch(f"/api/reviews/{review['id']}/", {"rating": 3}, format="json")
    assert summary()["average_rating"] == 4.0
    item = auth_client.post("/api/watchlist/", {"imdb_id": "tt0133093"}, format="json").json()
    assert Movie.objects.get(pk=movie.pk).popularity == 3
    auth_client.delete(f"/api/watchlist/{item['id']}/")
    auth_client.delete(f"/api/reviews/{review['id']}/")
    assert (summary()["review_count"], summary()["average_rating"]) == (1, 5.0)
    user.delete()  # a cascade
    assert Movie.objects.get(pk=movie.pk).popularity == 1


def test_a_watchlist_addition_reorders_a_cached_popularity_list(auth_client, api_client):
    MovieFactory(imdb_id="tt0000001", title="A")
    MovieFactory(imdb_id="tt0000002", title="B")
    assert titles(api_client.get(MOVIES, {"ordering": "-popularity"})) == ["A", "B"]
    auth_client.post("/api/watchlist/", {"imdb_id": "tt0000002"}, format="json")
    assert titles(api_client.get(MOVIES, {"ordering": "-popularity"})) == ["B", "A"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"genre": ["Drama", "Crime"], "ordering": "-average_rating"},
        {"search": "movie", "ordering": "-year"},
    ],
    ids=["catalogue", "genres and ordering", "search and ordering"],
)
def test_the_list_runs_the_same_queries_for_1_and_100_movies(api_client, django_assert_num_queries, query):
    movies = [
        MovieFactory(title=f"Movie {number}", genres=["Drama", "Crime", f"Genre {number % 7}"])
        for number in range(100)
    ]
    for movie in movies[:3]:
        ReviewFactory(movie=movie)
    # The whole catalogue: its page, with the page's genres and the catalogue's length, in
    # one query. A filtered list: its count, its page's ids, their rows with their genres;
    # the genre names, when filtering by genre; the typo index, when searching
    # (catalogue/search.py).
    expected = (3 if query else 1) + ("genre" in query) + ("search" in query)
    for page_size in (1, 100):
        with django_assert_num_queries(expected):
            response = api_client.get(MOVIES, {**query, "page_size": page_size})
        assert len(response.json()["results"]) == page_size
        assert all(len(movie["genres"]) == 3 for movie in response.json()["results"])
