import datetime

import pytest

from conftest import API_DOWN
from movie_module.models import Movie
from movie_module.recommendations import services
from movie_module.recommendations import store as model_store

from .factories import CorpusRatingFactory, MovieFactory, ReviewFactory, WatchFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

RECOMMENDATIONS = "/api/recommendations/"
AUTH_ME = "/api/auth/me/"


@pytest.fixture
def taste_groups(db):
    """Two audiences: 30 people love the Matrix films and dislike the Toy Story ones,
    30 the reverse; everyone finds "Filler" middling. Returns the movies by name."""
    movies = {
        "matrix": MovieFactory(imdb_id="tt0133093", title="The Matrix", year=1999),
        "reloaded": MovieFactory(imdb_id="tt0234215", title="The Matrix Reloaded", year=2003),
        "revolutions": MovieFactory(imdb_id="tt0242653", title="The Matrix Revolutions", year=2003),
        "toy1": MovieFactory(imdb_id="tt0114709", title="Toy Story", year=1995),
        "toy3": MovieFactory(imdb_id="tt0435761", title="Toy Story 3", year=2010),
        "toy2": MovieFactory(imdb_id="tt0120363", title="Toy Story 2", year=1999),
        "filler": MovieFactory(imdb_id="tt0000010", title="Filler", year=2000),
    }
    matrix = ["matrix", "reloaded", "revolutions"]
    toys = ["toy1", "toy2", "toy3"]
    for person in range(60):
        loved, disliked = (matrix, toys) if person < 30 else (toys, matrix)
        for name in loved:
            CorpusRatingFactory(
                external_user_id=str(person), movie=movies[name], rating=5 - (person % 2) * 0.5
            )
        for name in disliked[: 1 + person % 3]:
            CorpusRatingFactory(external_user_id=str(person), movie=movies[name], rating=2)
        CorpusRatingFactory(external_user_id=str(person), movie=movies["filler"], rating=3)
    return movies


@pytest.fixture
def fitted(taste_groups):
    model_store.fit_and_save()
    return taste_groups


def titles_of(response):
    return [result["title"] for result in response.json()["results"]]


def test_a_loved_movie_brings_its_kin_first(auth_client, user, fitted):
    ReviewFactory(user=user, movie=fitted["matrix"], rating=5)
    response = auth_client.get(RECOMMENDATIONS)
    assert response.status_code == 200
    assert response.json()["source"] == "similarity"
    assert response.json()["based_on"] == [{"imdb_id": "tt0133093", "title": "The Matrix", "rating": 5.0}]
    assert titles_of(response)[:2] == ["The Matrix Reloaded", "The Matrix Revolutions"]
    scores = [result["score"] for result in response.json()["results"]]
    assert scores == sorted(scores, reverse=True)
    first = response.json()["results"][0]
    assert first["movie"]["imdb_id"] == "tt0234215"
    assert set(first["movie"]) >= {"imdb_id", "title", "average_rating", "review_count"}


def test_recommend_titles_speaks_title_and_score_tuples(user, fitted):
    ReviewFactory(user=user, movie=fitted["toy1"], rating=4.5)
    titles = services.recommend_titles(user, limit=2)
    assert [title for title, _ in titles] == ["Toy Story 2", "Toy Story 3"] or [
        title for title, _ in titles
    ] == ["Toy Story 3", "Toy Story 2"]
    assert all(isinstance(score, float) and round(score, 2) == score for _, score in titles)
    assert all(type(pair) is tuple and len(pair) == 2 for pair in titles)


def test_a_new_review_counts_at_once_without_a_refit(auth_client, user, fitted):
    assert auth_client.get(RECOMMENDATIONS).json()["source"] == "popular"
    ReviewFactory(user=user, movie=fitted["toy2"], rating=5)
    response = auth_client.get(RECOMMENDATIONS)
    assert response.json()["source"] == "similarity"
    assert set(titles_of(response)[:2]) == {"Toy Story", "Toy Story 3"}
    ReviewFactory(user=user, movie=fitted["toy1"], rating=2)
    assert titles_of(auth_client.get(RECOMMENDATIONS))[0] == "Toy Story 3"


def test_reviewed_and_watchlisted_movies_are_left_out(auth_client, user, fitted):
    ReviewFactory(user=user, movie=fitted["matrix"], rating=5)
    WatchlistItemFactory(user=user, movie=fitted["reloaded"])
    titles = titles_of(auth_client.get(RECOMMENDATIONS))
    assert titles[0] == "The Matrix Revolutions"
    assert "The Matrix" not in titles and "The Matrix Reloaded" not in titles


def test_without_a_review_above_three_and_a_half_stars_the_answer_is_popular(auth_client, user, fitted):
    ReviewFactory(user=user, movie=fitted["matrix"], rating=3.5)
    WatchlistItemFactory(user=user, movie=fitted["toy1"])
    response = auth_client.get(RECOMMENDATIONS)
    assert response.json()["source"] == "popular"
    assert response.json()["based_on"] == []
    titles = titles_of(response)
    assert "The Matrix" not in titles and "Toy Story" not in titles
    assert len(titles) == 5
    scores = [result["score"] for result in response.json()["results"]]
    assert scores == sorted(scores, reverse=True)


def test_a_new_user_gets_popular_movies_even_before_the_first_fit(auth_client, taste_groups):
    response = auth_client.get(RECOMMENDATIONS)
    assert response.status_code == 200
    assert response.json()["source"] == "popular"
    assert len(response.json()["results"]) == 7
    assert titles_of(response)[-1] == "Filler"  # rated 3 by everyone: last by damped mean


def test_recommendations_need_authentication(api_client):
    response = api_client.get(RECOMMENDATIONS)
    assert response.status_code == 401


@pytest.mark.parametrize("limit, count", [(None, 2), ("1", 1), ("50", 2)])
def test_limit_bounds_the_list(auth_client, user, fitted, limit, count):
    # A Matrix fan gets the two sequels and nothing else: the Matrix audience dislikes
    # the Toy Story films and nobody likes Filler, so nothing vouches for them.
    ReviewFactory(user=user, movie=fitted["matrix"], rating=5)
    response = auth_client.get(RECOMMENDATIONS, {} if limit is None else {"limit": limit})
    assert response.status_code == 200
    assert len(response.json()["results"]) == count


def test_limit_defaults_to_ten(auth_client, db):
    MovieFactory.create_batch(15)
    for movie in Movie.objects.all():
        CorpusRatingFactory(movie=movie)
    assert len(auth_client.get(RECOMMENDATIONS).json()["results"]) == 10


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten", "2.5", "1e3"])
def test_a_bad_limit_is_a_400(auth_client, limit):
    response = auth_client.get(RECOMMENDATIONS, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["limit"]


def test_recommendations_run_the_same_queries_for_1_and_50(
    auth_client, user, fitted, django_assert_num_queries
):
    ReviewFactory(user=user, movie=fitted["matrix"], rating=5)
    WatchlistItemFactory(user=user, movie=fitted["toy1"])
    auth_client.get(AUTH_ME)  # reads the user once; later requests take it from the cache
    for limit in (1, 50):
        # reviews, diary ratings, watchlist, the movies named with their genres
        with django_assert_num_queries(4):
            assert auth_client.get(RECOMMENDATIONS, {"limit": limit}).status_code == 200


# Resolution of titles the catalogue no longer holds


def test_a_title_missing_locally_is_resolved_through_the_imdb_api(auth_client, user, fitted, fake_imdb):
    ReviewFactory(user=user, movie=fitted["matrix"], rating=5)
    Movie.objects.filter(imdb_id="tt0234215").delete()  # left the catalogue after the fit
    response = auth_client.get(RECOMMENDATIONS)
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["title"] == "The Matrix Reloaded"
    assert first["movie"]["imdb_id"] == "tt0234215"
    assert Movie.objects.get(imdb_id="tt0234215").source == Movie.Source.IMDB
    assert fake_imdb.calls() > 0


# Similar movies


def test_similar_movies_are_the_movies_loved_by_the_same_people(api_client, fitted):
    response = api_client.get(f"/api/movies/{fitted['toy3'].imdb_id}/similar/")
    assert response.status_code == 200
    assert set(titles_of(response)[:2]) == {"Toy Story", "Toy Story 2"}
    assert response.json()["results"][0]["movie"]["title"] in {"Toy Story", "Toy Story 2"}
    assert "Toy Story 3" not in titles_of(response)


def test_similar_movies_before_the_first_fit_are_an_empty_list(api_client, taste_groups):
    response = api_client.get(f"/api/movies/{taste_groups['toy3'].imdb_id}/similar/")
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_similar_movies_of_an_unknown_movie_are_a_404(api_client, fitted):
    assert api_client.get("/api/movies/tt7777777/similar/").status_code == 404
    assert api_client.get("/api/movies/garbage/similar/").status_code == 404


@pytest.mark.parametrize("limit", ["0", "51", "x"])
def test_similar_movies_with_a_bad_limit_are_a_400(api_client, fitted, limit):
    response = api_client.get(f"/api/movies/{fitted['toy3'].imdb_id}/similar/", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["limit"]


@pytest.mark.parametrize("api_down", API_DOWN, indirect=True)
def test_recommendations_answer_from_what_is_stored_when_the_imdb_api_fails(
    auth_client, user, fitted, api_down
):
    ReviewFactory(user=user, movie=fitted["matrix"], rating=5)
    Movie.objects.filter(imdb_id="tt0234215").delete()
    response = auth_client.get(RECOMMENDATIONS)
    assert response.status_code == 200
    by_title = {result["title"]: result["movie"] for result in response.json()["results"]}
    assert by_title["The Matrix Reloaded"] is None
    assert by_title["The Matrix Revolutions"]["imdb_id"] == "tt0242653"


@pytest.mark.parametrize("api_down", API_DOWN, indirect=True)
def test_similar_movies_answer_when_the_imdb_api_fails(api_client, fitted, api_down):
    response = api_client.get(f"/api/movies/{fitted['toy3'].imdb_id}/similar/")
    assert response.status_code == 200
    assert set(titles_of(response)[:2]) == {"Toy Story", "Toy Story 2"}


def test_the_popular_answer_is_the_same_before_and_after_the_first_fit(taste_groups):
    """Before any fit the popular list comes from the database's totals, through the same
    PopularityModel as after a fit: one damped mean, not two."""
    before = services.popular_titles(limit=6)
    model_store.fit_and_save()
    after = services.popular_titles(limit=6)
    assert [(r.title, r.score, r.movie_id) for r in before] == [(r.title, r.score, r.movie_id) for r in after]
    assert len(before) == 6
    assert [r.score for r in before] == sorted((r.score for r in before), reverse=True)


# Diary ratings as seeds (issue 17)


def test_a_diary_rating_above_3_5_is_a_seed(auth_client, user, fitted):
    WatchFactory(user=user, movie=fitted["matrix"], rating=4.5)
    body = auth_client.get(RECOMMENDATIONS).json()
    assert body["source"] == "similarity"
    assert body["based_on"] == [{"imdb_id": "tt0133093", "title": "The Matrix", "rating": 4.5}]


def test_the_latest_rated_watch_of_a_movie_counts(auth_client, user, fitted):
    WatchFactory(user=user, movie=fitted["matrix"], rating=5, watched_on=datetime.date(2020, 1, 1))
    WatchFactory(user=user, movie=fitted["matrix"], rating=2, watched_on=datetime.date(2023, 1, 1))
    WatchFactory(user=user, movie=fitted["matrix"], watched_on=datetime.date(2024, 1, 1))  # unrated
    body = auth_client.get(RECOMMENDATIONS).json()
    assert body["source"] == "popular" and body["based_on"] == []


def test_a_review_wins_over_a_diary_rating_of_the_same_movie(auth_client, user, fitted):
    WatchFactory(user=user, movie=fitted["matrix"], rating=5)
    ReviewFactory(user=user, movie=fitted["matrix"], rating=2)
    assert auth_client.get(RECOMMENDATIONS).json()["based_on"] == []


def test_the_model_learns_from_diary_ratings_one_per_user_and_movie(user, fitted):
    movie = fitted["matrix"]
    WatchFactory(user=user, movie=movie, rating=1, watched_on=datetime.date(2020, 1, 1))
    WatchFactory(user=user, movie=movie, rating=4, watched_on=datetime.date(2021, 1, 1))
    other = WatchFactory(rating=3).user
    ReviewFactory(user=other, movie=movie, rating=5)
    WatchFactory(user=other, movie=movie, rating=0.5)
    site = model_store.training_ratings()
    site = site[site["user_id"].str.startswith("site:")]
    rows = {(row.user_id, row.movie_id): row.rating for row in site.itertuples()}
    assert rows[(f"site:{user.id}", movie.id)] == 4
    assert rows[(f"site:{other.id}", movie.id)] == 5
    assert len(site) == len(rows)
