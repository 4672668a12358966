import pytest

from movie_module.catalogue.selectors import imdb_ids_of
from movie_module.models import Movie

from .factories import MovieFactory, ReviewFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

MOVIES = "/api/movies/"
SUMMARY_FIELDS = {
    "imdb_id",
    "title",
    "year",
    "poster_url",
    "genres",
    "imdb_rating",
    "average_rating",
    "review_count",
}


def test_movie_list_is_paginated_movie_summaries(api_client):
    MovieFactory.create_batch(3)
    response = api_client.get(MOVIES)
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert response.json()["count"] == 3
    assert set(response.json()["results"][0]) == SUMMARY_FIELDS


def test_movie_summary_shows_this_sites_average_rating_and_review_count(api_client):
    movie = MovieFactory(title="Heat", imdb_rating=8.3)
    ReviewFactory(movie=movie, rating=4.5)
    ReviewFactory(movie=movie, rating=3.0)
    MovieFactory(title="Zodiac")
    results = api_client.get(MOVIES).json()["results"]
    assert results[0]["title"] == "Heat"
    assert results[0]["average_rating"] == 3.75
    assert results[0]["review_count"] == 2
    assert results[0]["imdb_rating"] == 8.3
    assert results[1]["average_rating"] is None
    assert results[1]["review_count"] == 0


def test_page_size_is_capped_at_100(api_client):
    MovieFactory.create_batch(105)
    response = api_client.get(MOVIES, {"page_size": 500})
    assert len(response.json()["results"]) == 100
    assert response.json()["next"]


def test_page_size_and_page_select_the_slice(api_client):
    for title in ["A", "B", "C", "D", "E"]:
        MovieFactory(title=title)
    response = api_client.get(MOVIES, {"page_size": 2, "page": 2})
    assert [movie["title"] for movie in response.json()["results"]] == ["C", "D"]
    assert response.json()["previous"] and response.json()["next"]


@pytest.mark.parametrize("page", ["99", "0", "abc"])
def test_a_page_past_the_end_or_malformed_is_a_404(api_client, page):
    MovieFactory()
    response = api_client.get(MOVIES, {"page": page})
    assert response.status_code == 404
    assert response.json()["detail"]


def test_search_matches_title_words_case_insensitively(api_client):
    MovieFactory(title="The Dark Knight")
    MovieFactory(title="The Dark Knight Rises")
    MovieFactory(title="Knight and Day")
    MovieFactory(title="Dark City")
    titles = [movie["title"] for movie in api_client.get(MOVIES, {"search": "KNIGHT dark"}).json()["results"]]
    assert sorted(titles) == ["The Dark Knight", "The Dark Knight Rises"]


def test_search_ranks_the_exact_title_then_prefixes_first(api_client):
    MovieFactory(title="Return of the Alien", imdb_votes=900000)
    MovieFactory(title="Aliens", imdb_votes=800000)
    MovieFactory(title="Alien", imdb_votes=100)
    MovieFactory(title="Alien: Covenant", imdb_votes=300000)
    titles = [movie["title"] for movie in api_client.get(MOVIES, {"search": "alien"}).json()["results"]]
    assert titles == ["Alien", "Aliens", "Alien: Covenant", "Return of the Alien"]


def test_search_with_only_punctuation_lists_the_catalogue(api_client):
    MovieFactory.create_batch(2)
    assert api_client.get(MOVIES, {"search": "%_*"}).json()["count"] == 2


def test_search_that_is_too_long_is_a_400(api_client):
    response = api_client.get(MOVIES, {"search": "x" * 201})
    assert response.status_code == 400
    assert response.json()["search"]


def test_movie_list_runs_the_same_queries_for_1_and_100_movies(api_client, django_assert_num_queries):
    MovieFactory.create_batch(100)
    ReviewFactory.create_batch(3)
    # the page, with its genres and the catalogue's length
    with django_assert_num_queries(1):
        assert len(api_client.get(MOVIES, {"page_size": 1}).json()["results"]) == 1
    with django_assert_num_queries(1):
        assert len(api_client.get(MOVIES, {"page_size": 100}).json()["results"]) == 100
    # and a search of a word of five letters or more: the typo index, the count, the page's
    # ids, their rows
    with django_assert_num_queries(4):
        assert len(api_client.get(MOVIES, {"page_size": 100, "search": "movie"}).json()["results"]) == 100


# The movie page


def test_movie_page_shows_details_and_no_me_block_when_anonymous(api_client):
    movie = MovieFactory(
        imdb_id="tt0133093",
        title="The Matrix",
        year=1999,
        genres=["Action", "Sci-Fi"],
        directors=["Lana Wachowski", "Lilly Wachowski"],
        cast=["Keanu Reeves"],
        runtime_minutes=136,
        plot="A hacker learns the truth.",
    )
    WatchlistItemFactory(movie=movie)
    ReviewFactory(movie=movie, rating=5)
    response = api_client.get(f"{MOVIES}tt0133093/")
    assert response.status_code == 200
    assert response.json() == {
        "imdb_id": "tt0133093",
        "title": "The Matrix",
        "year": 1999,
        "poster_url": "",
        "genres": ["Action", "Sci-Fi"],
        "imdb_rating": None,
        "average_rating": 5.0,
        "review_count": 1,
        "plot": "A hacker learns the truth.",
        "runtime_minutes": 136,
        "directors": ["Lana Wachowski", "Lilly Wachowski"],
        "cast": ["Keanu Reeves"],
        "watchlist_count": 1,
        "me": None,
    }


def test_movie_page_me_block_shows_the_callers_watchlist_item_and_review(auth_client, user):
    movie = MovieFactory()
    item = WatchlistItemFactory(user=user, movie=movie, watched=True)
    review = ReviewFactory(user=user, movie=movie, rating=3.5)
    ReviewFactory(movie=movie)  # someone else's
    me = auth_client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"]
    assert me["in_watchlist"] is True
    assert me["watched"] is True
    assert me["watchlist_id"] == item.id
    assert me["review"]["id"] == review.id
    assert me["review"]["rating"] == 3.5


def test_movie_page_me_block_for_a_movie_the_caller_has_not_touched(auth_client):
    movie = MovieFactory()
    ReviewFactory(movie=movie)
    WatchlistItemFactory(movie=movie)
    me = auth_client.get(f"{MOVIES}{movie.imdb_id}/").json()["me"]
    assert me == {"in_watchlist": False, "watched": False, "watchlist_id": None, "review": None}


@pytest.mark.parametrize("imdb_id", ["tt9999999", "tt123", "nm0000206", "x" * 50, "tt0133093x"])
def test_an_unknown_or_malformed_imdb_id_is_a_404(api_client, imdb_id):
    response = api_client.get(f"{MOVIES}{imdb_id}/")
    assert response.status_code == 404
    assert response.json()["detail"]
    assert not Movie.objects.exists()


def test_movie_page_runs_a_constant_number_of_queries(auth_client, user, django_assert_num_queries):
    movie = MovieFactory()
    WatchlistItemFactory(user=user, movie=movie)
    ReviewFactory(user=user, movie=movie)
    ReviewFactory.create_batch(5, movie=movie)
    # user (token), the movie's id (first sight of it), movie with its counters and
    # genres, the caller's watchlist items and reviews, the review
    with django_assert_num_queries(6):
        assert auth_client.get(f"{MOVIES}{movie.imdb_id}/").status_code == 200


# A movie's reviews


def test_movie_reviews_are_that_movies_newest_first(api_client):
    movie = MovieFactory()
    older = ReviewFactory(movie=movie)
    newer = ReviewFactory(movie=movie)
    ReviewFactory()  # another movie's
    response = api_client.get(f"{MOVIES}{movie.imdb_id}/reviews/")
    assert response.status_code == 200
    assert [review["id"] for review in response.json()["results"]] == [newer.id, older.id]


def test_reviews_of_an_unknown_movie_are_a_404(api_client):
    assert api_client.get(f"{MOVIES}tt0000001/reviews/").status_code == 404


def test_movie_reviews_run_the_same_queries_for_1_and_100(api_client, django_assert_num_queries):
    movie = MovieFactory()
    ReviewFactory.create_batch(100, movie=movie)
    for page_size in (1, 100):
        with django_assert_num_queries(3):
            response = api_client.get(f"{MOVIES}{movie.imdb_id}/reviews/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size


def test_the_catalogue_cannot_be_written_through_the_api(auth_client):
    assert auth_client.post(MOVIES, {"imdb_id": "tt0133093", "title": "X"}).status_code == 405
    assert not Movie.objects.exists()


def test_search_still_finds_movies_after_migrations_rebuilt_the_movie_table(api_client, db):
    """On SQLite a migration may rebuild the movie table, dropping the search triggers."""
    from django.db import connection

    from movie_module.catalogue.search_index import ensure_title_search_triggers

    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 index exists on SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER movie_title_search_insert")
    MovieFactory(title="Solaris")
    ensure_title_search_triggers()
    MovieFactory(title="Solaris Rising")
    titles = [movie["title"] for movie in api_client.get(MOVIES, {"search": "solaris"}).json()["results"]]
    assert titles == ["Solaris", "Solaris Rising"]


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 17])
def test_the_imdb_ids_of_any_number_of_movies_come_in_one_query(db, count, django_assert_num_queries):
    movies = MovieFactory.create_batch(count)
    with django_assert_num_queries(1 if count else 0):
        found = imdb_ids_of(movie_ids=[movie.id for movie in movies])
    assert found == {movie.id: movie.imdb_id for movie in movies}
