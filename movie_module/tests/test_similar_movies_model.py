"""SimilarMoviesModel on its own: ratings and facts in, each movie's neighbours out, no database."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from movie_module.recommender import ModelFileError, PopularityModel
from movie_module.recommender.similar_movies import SimilarMoviesModel


def planted_groups(seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four groups of 30 users, each loving its own block of 10 movies (a random 7 of them,
    rated 4-5) and disliking a few of the others; the blocks' facts are alike within a
    block (one director, one genre) and differ across blocks. Returns (ratings, facts)."""
    rng = np.random.default_rng(seed)
    rows = []
    for group in range(4):
        block = np.arange(group * 10, group * 10 + 10)
        others = np.setdiff1d(np.arange(40), block)
        for member in range(30):
            user = f"g{group}u{member}"
            loved, disliked = rng.choice(block, 7, replace=False), rng.choice(others, 3, replace=False)
            rows += [(user, int(movie), float(rng.choice([4.0, 4.5, 5.0]))) for movie in loved]
            rows += [(user, int(movie), float(rng.choice([1.0, 2.0]))) for movie in disliked]
    facts = pd.DataFrame(
        {
            "movie_id": range(40),
            "title": [f"Film {movie}" for movie in range(40)],
            "year": [1960 + 10 * (movie // 10) for movie in range(40)],
            "genres": [[["Western", "Horror", "Romance", "Animation"][movie // 10]] for movie in range(40)],
            "directors": [[f"Director {movie // 10}"] for movie in range(40)],
            "cast": [[f"Actor {movie}"] for movie in range(40)],
        }
    )
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"]), facts


def neighbours_of(model, movie_id, n=10) -> list:
    return [movie for movie, _ in model.similar(movie_id, n=n)]


def test_planted_taste_groups_are_recovered():
    ratings, facts = planted_groups()
    model = SimilarMoviesModel().fit(ratings, facts)
    for movie in range(40):
        block = set(range(movie // 10 * 10, movie // 10 * 10 + 10))
        assert set(neighbours_of(model, movie, n=9)) == block - {movie}


def test_ratings_alone_recover_the_groups_too():
    ratings, _ = planted_groups()
    model = SimilarMoviesModel().fit(ratings)
    assert set(neighbours_of(model, 3, n=9)) == set(range(10)) - {3}


def test_a_movie_is_never_its_own_neighbour_and_scores_run_best_first_on_0_to_10():
    ratings, facts = planted_groups()
    model = SimilarMoviesModel().fit(ratings, facts)
    for movie in range(40):
        similar = model.similar(movie, n=50)
        assert movie not in [neighbour for neighbour, _ in similar]
        scores = [score for _, score in similar]
        assert scores == sorted(scores, reverse=True)
        assert all(0 <= score <= 10 for score in scores)


def test_the_same_ratings_in_another_order_give_the_same_lists():
    ratings, facts = planted_groups()
    first = SimilarMoviesModel().fit(ratings, facts)
    second = SimilarMoviesModel(threads=1).fit(ratings.sample(frac=1, random_state=1), facts.iloc[::-1])
    for movie in range(40):
        assert first.similar(movie, n=20) == second.similar(movie, n=20)


def test_a_movie_nobody_rated_gets_neighbours_from_its_facts():
    ratings, facts = planted_groups()
    newcomer = pd.DataFrame(
        {
            "movie_id": [99],
            "title": ["A New Western"],
            "year": [1960],
            "genres": [["Western"]],
            "directors": [["Director 0"]],
            "cast": [["Actor 3"]],
        }
    )
    model = SimilarMoviesModel().fit(ratings, pd.concat([facts, newcomer], ignore_index=True))
    assert set(neighbours_of(model, 99, n=10)) == set(range(10))
    assert neighbours_of(model, 99, n=1) == [3]  # the one that shares an actor too


def test_a_film_everyone_loves_does_not_fill_every_list():
    """Four groups of 40 users each like 4 of their group's 20 movies, and all love one
    blockbuster: the blockbuster is the strongest co-liked movie of every movie."""
    rng = np.random.default_rng(5)
    rows = []
    for group in range(4):
        for member in range(40):
            user = f"g{group}u{member}"
            liked = rng.choice(np.arange(group * 20, group * 20 + 20), 4, replace=False)
            rows += [(user, int(movie), 4.5) for movie in liked]
            rows.append((user, 1000, 5.0))
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])

    def lists_with_the_blockbuster(model) -> int:
        return sum(1000 in neighbours_of(model, movie, n=10) for movie in range(80))

    assert lists_with_the_blockbuster(SimilarMoviesModel(hub_penalty=0, max_share=1).fit(ratings)) == 80
    model = SimilarMoviesModel(max_share=0.1).fit(ratings)
    assert lists_with_the_blockbuster(model) <= 10
    lists = {movie: neighbours_of(model, movie, n=10) for movie in [*range(80), 1000]}
    assert max(Counter(neighbour for neighbours in lists.values() for neighbour in neighbours).values()) <= 10
    # What takes the blockbuster's place is the movie's own group.
    for movie in range(80):
        assert set(lists[movie]) - {1000} <= set(range(movie // 20 * 20, movie // 20 * 20 + 20))


def test_a_saved_model_loads_with_the_same_lists(tmp_path):
    ratings, facts = planted_groups()
    model = SimilarMoviesModel().fit(ratings, facts)
    model.save(tmp_path / "similar.npz")
    loaded = SimilarMoviesModel.load(tmp_path / "similar.npz")
    assert loaded.movie_count == 40
    assert all(loaded.similar(movie, n=20) == model.similar(movie, n=20) for movie in range(40))


def test_a_file_of_another_model_is_refused(tmp_path):
    ratings, _ = planted_groups()
    PopularityModel().fit(ratings).save(tmp_path / "popularity.npz")
    with pytest.raises(ModelFileError):
        SimilarMoviesModel.load(tmp_path / "popularity.npz")


def test_an_unknown_movie_and_an_empty_fit_give_no_neighbours():
    ratings, facts = planted_groups()
    assert SimilarMoviesModel().fit(ratings, facts).similar(12345) == []
    empty = pd.DataFrame({"user_id": [], "movie_id": [], "rating": []})
    assert SimilarMoviesModel().fit(empty).similar(1) == []
    assert SimilarMoviesModel().fit(empty, facts.head(1)).similar(0) == []


def test_plots_bring_together_movies_that_tell_alike_stories():
    plots = {
        1: "A heist crew plans to rob a casino vault in Las Vegas.",
        2: "Thieves plan a daring heist of a bank vault.",
        3: "Two astronauts are stranded on a space station orbiting Mars.",
        4: "A crew of astronauts fights to survive on Mars after a storm.",
        5: "A young witch opens a bakery delivery service in a seaside town.",
        6: "A robbery crew plans a heist of a casino vault.",
    }
    facts = pd.DataFrame({"movie_id": list(plots), "plot": list(plots.values())})
    empty = pd.DataFrame({"user_id": [], "movie_id": [], "rating": []})
    model = SimilarMoviesModel().fit(empty, facts)
    assert set(neighbours_of(model, 6, n=2)) == {1, 2}
    assert neighbours_of(model, 3, n=1) == [4]
