"""Migrations 0009-0011: the genres each movie held as a JSON list move to the Genre table, and
the movies' counters are counted from what is stored."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from authentication.tests.factories import UserFactory
from movie_module.catalogue.search_index import ensure_title_search_triggers

BEFORE = [("movie_module", "0008_diary_lists_follows_likes_activity")]
AFTER = [("movie_module", "0011_drop_genre_json_add_ordering_indexes")]


@pytest.mark.django_db(transaction=True)
def test_json_genres_move_to_the_genre_table_and_counters_are_counted():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    movie = old.get_model("movie_module", "Movie").objects.create(
        imdb_id="tt0133093",
        title="The Matrix",
        genres=["Sci-Fi", "Action", "action", " "],
        alternate_titles=["Matrix"],
        search_names="the matrix\nmatrix",
        search_key="matrix",
    )
    old.get_model("movie_module", "Movie").objects.create(imdb_id="tt0000010", title="Bare", genres=[])
    old.get_model("movie_module", "Movie").objects.create(imdb_id="tt0114709", title="Toy", genres=["sci-fi"])
    user = UserFactory()  # the authentication app stays migrated
    old.get_model("movie_module", "Review").objects.create(user_id=user.pk, movie_id=movie.id, rating=4.5)
    old.get_model("movie_module", "WatchlistItem").objects.create(user_id=user.pk, movie_id=movie.id)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Movie = new.get_model("movie_module", "Movie")
    names = {
        movie.imdb_id: sorted(movie.genres.values_list("name", flat=True)) for movie in Movie.objects.all()
    }
    assert names == {"tt0133093": ["Action", "Sci-Fi"], "tt0000010": [], "tt0114709": ["Sci-Fi"]}
    assert new.get_model("movie_module", "Genre").objects.count() == 2
    matrix = Movie.objects.get(imdb_id="tt0133093")
    assert (matrix.review_count, matrix.average_rating, matrix.popularity) == (1, 4.5, 2)
    # The search columns (migration 0007) come through the move untouched.
    assert (matrix.alternate_titles, matrix.search_names, matrix.search_key) == (
        ["Matrix"],
        "the matrix\nmatrix",
        "matrix",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # and back: the lists come back from the table
    old = executor.loader.project_state(BEFORE).apps
    assert old.get_model("movie_module", "Movie").objects.get(imdb_id="tt0133093").genres == [
        "Action",
        "Sci-Fi",
    ]
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    ensure_title_search_triggers()  # what `migrate` does after migrating, for the tests that follow
