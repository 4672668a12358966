"""The recommender models on their own: plain data in, ranked movies out, no database."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from movie_module.recommender import (
    ItemSimilarityModel,
    ModelFileError,
    PopularityModel,
    ScoreCalibration,
    fit_calibrated,
    temporal_split,
)
from movie_module.recommender.evaluation import calibration_deciles, evaluate, holdout_split

REPOSITORY = Path(__file__).resolve().parents[2]
EMPTY_RATINGS = pd.DataFrame({"user_id": [], "movie_id": [], "rating": []})


def ratings_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])


def small_model(rows, **settings) -> ItemSimilarityModel:
    """A model for a handful of ratings: a light penalty, so few likes already count."""
    return ItemSimilarityModel(regularization=1.0, **settings).fit(ratings_frame(rows))


def two_tastes() -> list[tuple]:
    """Six users: three love the sci-fi movies and dislike the romances, three the reverse."""
    scifi, romance = ["matrix", "alien", "dune"], ["notebook", "titanic", "casablanca"]
    rows = []
    for user in range(6):
        loved, disliked = (scifi, romance) if user < 3 else (romance, scifi)
        rows += [(user, movie, 5.0 - 0.5 * (user % 2)) for movie in loved]
        rows += [(user, movie, 1.0 + 0.5 * (user % 2)) for movie in disliked]
    return rows


def planted_taste_groups(seed: int = 3) -> pd.DataFrame:
    """Five groups of 40 users; each group loves its own block of 20 movies and rates a
    random 60% of them highly, and everyone also rates some of 10 popular movies
    middlingly. Popularity cannot tell the groups apart; similarity can."""
    rng = np.random.default_rng(seed)
    rows = []
    for group in range(5):
        block = np.arange(group * 20, group * 20 + 20)
        for member in range(40):
            user = f"g{group}u{member}"
            for movie in rng.choice(block, 12, replace=False):
                rows.append((user, int(movie), float(rng.choice([4.0, 4.5, 5.0]))))
            for movie in rng.choice(np.arange(100, 110), 6, replace=False):
                rows.append((user, int(movie), float(rng.choice([2.5, 3.0, 3.5, 4.0]))))
    return ratings_frame(rows)


def test_a_favourite_points_to_what_the_same_people_liked():
    model = small_model(two_tastes())
    assert {movie for movie, _ in model.recommend({"matrix": 5.0}, n=2)} == {"alien", "dune"}
    assert {movie for movie, _ in model.recommend({"titanic": 5.0})} == {"notebook", "casablanca"}


def test_recommendations_follow_the_users_taste():
    model = small_model(two_tastes())
    recommended = [movie for movie, _ in model.recommend({"matrix": 5.0}, n=10)]
    assert recommended == ["alien", "dune"] or recommended == ["dune", "alien"]


def test_recommendations_come_best_first_with_scores_between_0_and_10():
    model = ItemSimilarityModel().fit(planted_taste_groups())
    scores = [score for _, score in model.recommend({0: 5.0, 1: 4.5, 2: 4.0}, n=10)]
    assert len(scores) == 10
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 10 for score in scores)


def test_recommendations_never_include_seed_movies():
    ratings = planted_taste_groups()
    model = ItemSimilarityModel().fit(ratings)
    user_ratings = dict.fromkeys(range(10), 5.0) | {10: 2.0, 11: 3.0}
    recommended = {movie for movie, _ in model.recommend(user_ratings, n=50)}
    assert recommended, "the group's other movies should be recommended"
    assert recommended.isdisjoint(user_ratings)


def test_excluded_movies_are_never_recommended():
    model = ItemSimilarityModel().fit(planted_taste_groups())
    user_ratings = {0: 5.0, 1: 5.0}
    full = [movie for movie, _ in model.recommend(user_ratings, n=5)]
    excluded = set(full[:3])
    rest = [movie for movie, _ in model.recommend(user_ratings, n=5, exclude=excluded)]
    assert len(rest) == 5
    assert excluded.isdisjoint(rest)
    assert rest[:2] == full[3:5]


def test_equal_scores_come_back_in_the_same_order_whatever_the_input_order():
    # Users rate a, b and c identically, so b and c are exactly as similar to a.
    rows = [(user, movie, 4.0) for user in range(4) for movie in ("c", "b", "a")]
    shuffled = ratings_frame(rows).sample(frac=1.0, random_state=5)
    first = small_model(rows).recommend({"a": 5.0})
    second = ItemSimilarityModel(regularization=1.0).fit(shuffled).recommend({"a": 5.0})
    assert first == second
    assert sorted(movie for movie, _ in first) == ["b", "c"]
    # Equal to float32's precision: the similarities are float32, and where the CPU sums
    # with AVX-512 the two columns' last bits can differ (seen on an AMD EPYC).
    assert first[0][1] == pytest.approx(first[1][1], rel=1e-6)


def test_recent_seeds_count_more_than_old_ones():
    model = ItemSimilarityModel().fit(planted_taste_groups())
    # Oldest first: a fan of block 0 who lately loves block 3, and the reverse.
    lately_block_3 = dict.fromkeys((1, 2, 3), 5.0) | dict.fromkeys((61, 62, 63), 5.0)
    lately_block_0 = dict(reversed(list(lately_block_3.items())))
    first = model.recommend(lately_block_3, n=1)[0][0]
    assert 60 <= first < 80
    assert 0 <= model.recommend(lately_block_0, n=1)[0][0] < 20
    # The same history in the same order always gives the same answer.
    assert model.recommend(lately_block_3, n=20) == model.recommend(dict(lately_block_3), n=20)


def test_the_same_ratings_in_another_row_order_give_the_same_model():
    ratings = planted_taste_groups()
    shuffled = ratings.sample(frac=1.0, random_state=11)
    first = ItemSimilarityModel().fit(ratings)
    second = ItemSimilarityModel().fit(shuffled)
    for movie in (0, 21, 105):
        assert first.recommend({movie: 5.0}, n=20) == second.recommend({movie: 5.0}, n=20)
    user_ratings = {3: 5.0, 45: 4.0, 101: 4.5}
    assert first.recommend(user_ratings, n=20) == second.recommend(user_ratings, n=20)


def test_movies_outside_the_dense_part_are_still_recommended():
    """Past `dense_limit` liked movies the rarest leave the cubic part of the fit, yet
    remain recommendable: their weights are a ridge regression on the others."""
    ratings = planted_taste_groups()
    full = ItemSimilarityModel().fit(ratings)
    limited = ItemSimilarityModel(dense_limit=40).fit(ratings)
    liked_counts = ratings[ratings["rating"] > 3.5].groupby("movie_id").size()
    tail = set(liked_counts.sort_values(kind="stable").index[: len(liked_counts) - 40].tolist())
    seeds = {movie: 5.0 for movie in range(20) if movie not in tail}
    recommended = [movie for movie, _ in limited.recommend(seeds, n=10)]
    assert set(recommended) & tail
    assert all(movie < 20 for movie in recommended)
    assert len(set(recommended) & {movie for movie, _ in full.recommend(seeds, n=10)}) >= 8


def test_only_movies_rated_above_3_5_are_seeds():
    model = small_model(two_tastes())
    assert model.recommend({"matrix": 3.5}) == []
    assert model.recommend({"matrix": 3.0, "notebook": 1.0}) == []
    assert [movie for movie, _ in model.recommend({"matrix": 3.5, "titanic": 4.0})] in (
        ["notebook", "casablanca"],
        ["casablanca", "notebook"],
    )


def test_unknown_movies_are_ignored():
    model = small_model(two_tastes())
    known_only = model.recommend({"matrix": 5.0})
    assert model.recommend({"matrix": 5.0, "no-such-movie": 5.0, 12345: 4.0}) == known_only
    assert model.recommend({"matrix": 5.0}, exclude=["no-such-movie"]) == known_only
    assert model.recommend({"no-such-movie": 5.0}) == []


def test_no_ratings_or_no_room_gives_no_recommendations():
    model = small_model(two_tastes())
    assert model.recommend({}) == []
    assert model.recommend({"matrix": 5.0}, n=0) == []
    assert model.recommend({"matrix": 5.0}, n=-3) == []


def test_a_model_fitted_on_no_ratings_recommends_nothing():
    similarity = ItemSimilarityModel().fit(EMPTY_RATINGS)
    popularity = PopularityModel().fit(EMPTY_RATINGS)
    assert similarity.movie_count == 0
    assert similarity.recommend({"matrix": 5.0}) == []
    assert popularity.most_popular(5) == []
    assert popularity.recommend({"matrix": 5.0}) == []


def test_a_single_user_corpus_links_what_that_user_loved():
    model = small_model([(1, "matrix", 5.0), (1, "alien", 4.5), (1, "notebook", 1.0)])
    assert [movie for movie, _ in model.recommend({"matrix": 5.0})] == ["alien"]


def test_a_single_movie_corpus_has_nothing_else_to_recommend():
    model = small_model([(user, "matrix", 4.5) for user in range(10)])
    assert model.movie_count == 1
    assert model.recommend({"matrix": 5.0}) == []
    # Uncalibrated (nothing to calibrate on), the score is twice the damped mean.
    assert PopularityModel().fit(ratings_frame([(1, "matrix", 4.0)])).most_popular(3) == [("matrix", 8.0)]


def test_imdb_string_ids_come_back_as_plain_strings():
    imdb_ids = {}
    rows = [
        (user, imdb_ids.setdefault(movie, f"tt{len(imdb_ids) + 133093:07d}"), rating)
        for user, movie, rating in two_tastes()
    ]
    model = small_model(rows)
    movie_id = rows[0][1]
    recommended = model.recommend({movie_id: 5.0})
    assert recommended and all(type(movie) is str for movie, _ in recommended)
    assert all(type(score) is float for _, score in recommended)


def test_saved_model_loads_with_identical_output(tmp_path):
    ratings = planted_taste_groups()
    ratings["movie_id"] = ratings["movie_id"].map(lambda movie: f"tt{movie:07d}")
    model = ItemSimilarityModel().fit(ratings)
    path = tmp_path / "similarity.npz"
    model.save(path)
    loaded = ItemSimilarityModel.load(path)
    user_ratings = {"tt0000001": 5.0, "tt0000002": 4.0, "tt0000105": 3.0}
    assert loaded.recommend(user_ratings, n=15) == model.recommend(user_ratings, n=15)
    assert loaded.recommend({"tt0000003": 4.5}, n=15) == model.recommend({"tt0000003": 4.5}, n=15)
    assert loaded.movie_count == model.movie_count
    with np.load(path, allow_pickle=False) as stored:  # nothing needs unpickling
        assert "format_version" in stored.files


def test_saved_popularity_model_loads_with_identical_output(tmp_path):
    model = PopularityModel().fit(planted_taste_groups())
    model.save(tmp_path / "popularity.npz")
    loaded = PopularityModel.load(tmp_path / "popularity.npz")
    assert loaded.most_popular(20, exclude=[100]) == model.most_popular(20, exclude=[100])


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "similarity.npz"
    small_model(two_tastes()).save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        small_model([(1, "alien", 5.0)]).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["similarity.npz"]


def test_loading_a_file_of_another_model_kind_is_refused(tmp_path):
    PopularityModel().fit(ratings_frame(two_tastes())).save(tmp_path / "popularity.npz")
    with pytest.raises(ModelFileError):
        ItemSimilarityModel.load(tmp_path / "popularity.npz")


def test_malformed_ratings_are_refused():
    with pytest.raises(ValueError, match="column"):
        ItemSimilarityModel().fit(pd.DataFrame({"user_id": [1], "movie_id": [2]}))
    with pytest.raises(ValueError, match="between"):
        ItemSimilarityModel().fit(ratings_frame([(1, 2, 7.0)]))
    with pytest.raises(ValueError, match="integers or all strings"):
        PopularityModel().fit(ratings_frame([(1, 2, 4.0), (1, "tt1", 4.0)]))


def test_a_repeated_rating_counts_once_with_its_last_value():
    rows = [(1, "a", 5.0), (2, "a", 5.0), (1, "a", 1.0)]
    popular = PopularityModel(prior_strength=0).fit(ratings_frame(rows)).most_popular(1)
    assert popular == [("a", 6.0)]  # mean of 1 and 5, times two


def test_popular_movies_need_many_ratings_to_beat_the_prior():
    rows = [(user, "classic", 4.5) for user in range(500)]
    rows += [(user, "obscure", 5.0) for user in range(2)]
    rows += [(user, "flop", 2.0) for user in range(300)]
    model = PopularityModel().fit(ratings_frame(rows))
    assert [movie for movie, _ in model.most_popular(3)] == ["classic", "obscure", "flop"]
    assert [movie for movie, _ in model.most_popular(3, exclude=["classic"])] == ["obscure", "flop"]
    assert [movie for movie, _ in model.recommend({"obscure": 1.0}, n=2)] == ["classic", "flop"]


def test_similarity_beats_popularity_on_planted_taste_groups():
    ratings = planted_taste_groups()
    train, test = holdout_split(ratings, fraction=0.2, min_ratings=5, seed=42)
    similarity = evaluate(ItemSimilarityModel().fit(train), train, test, k=10)
    popularity = evaluate(PopularityModel().fit(train), train, test, k=10)
    assert similarity["users"] == popularity["users"] > 150
    assert similarity["ndcg"] > 0.4
    assert similarity["ndcg"] >= 2 * popularity["ndcg"]
    assert similarity["coverage"] > popularity["coverage"]


def test_holdout_keeps_a_fixed_fifth_of_each_active_users_ratings():
    rows = [(user, movie, 4.0) for user in range(4) for movie in range(10 * (user + 1))]
    rows += [("casual", movie, 3.0) for movie in range(4)]
    ratings = ratings_frame(rows)
    train, test = holdout_split(ratings, fraction=0.2, min_ratings=5, seed=42)
    assert len(train) + len(test) == len(ratings)
    assert test.groupby("user_id").size().to_dict() == {0: 2, 1: 4, 2: 6, 3: 8}
    assert "casual" not in set(test["user_id"])
    again_train, again_test = holdout_split(ratings, fraction=0.2, min_ratings=5, seed=42)
    pd.testing.assert_frame_equal(test, again_test)
    other_test = holdout_split(ratings, fraction=0.2, min_ratings=5, seed=7)[1]
    assert not test.equals(other_test)


def timed(ratings: pd.DataFrame) -> pd.DataFrame:
    """`ratings` with a timestamp per row, each user's ratings in a random order."""
    shuffled = ratings.sample(frac=1.0, random_state=0).sort_values("user_id", kind="stable")
    return shuffled.assign(timestamp=np.arange(len(shuffled)))


def test_scores_read_as_the_chance_of_liking_on_a_holdout():
    """Calibrated on earlier ratings, a score of s means that about s/10 of such
    recommendations were liked on ratings the fit never saw."""
    ratings = timed(planted_taste_groups(seed=8))
    fitting, later = temporal_split(ratings)
    model = fit_calibrated(fitting, lambda: [ItemSimilarityModel()])[0]
    assert model.calibration.fitted
    deciles = calibration_deciles(model, fitting, later, k=10)
    assert len(deciles) == 10
    for decile in deciles:
        assert abs(decile["observed"] - decile["promised"]) <= 0.1, deciles
    scores = [score for _, score in model.recommend({0: 5.0, 1: 5.0, 2: 4.5}, n=10)]
    assert all(0 <= score <= 10 for score in scores)
    assert scores == sorted(scores, reverse=True)


def test_popularity_scores_are_calibrated_too():
    ratings = timed(planted_taste_groups(seed=8))
    popularity = fit_calibrated(ratings, lambda: [PopularityModel()])[0]
    assert popularity.calibration.fitted
    # Everyone rates the ten popular movies middlingly: few are liked.
    assert all(score < 5 for _, score in popularity.most_popular(10))


def test_too_little_held_out_data_leaves_the_scores_uncalibrated():
    calibration = ScoreCalibration.fit(np.array([0.1, 0.5, 2.0]), np.array([False, True, True]))
    assert not calibration.fitted
    assert calibration.scores(np.array([0.0, 100.0])).tolist() == [0.0, 10.0]


def test_a_corpus_of_users_with_few_ratings_fits_uncalibrated():
    """Nobody has the five ratings a holdout needs: nothing to calibrate on, still a model."""
    ratings = timed(ratings_frame([(user, movie, 4.5) for user in range(10) for movie in range(3)]))
    similarity, popularity = fit_calibrated(ratings, lambda: [ItemSimilarityModel(), PopularityModel()])
    assert not similarity.calibration.fitted and not popularity.calibration.fitted
    assert [movie for movie, _ in similarity.recommend({0: 5.0}, n=5)] in ([1, 2], [2, 1])


def test_the_temporal_split_holds_out_each_users_latest_ratings():
    rows = [(user, movie, 4.0, 100 - movie) for user in range(3) for movie in range(10)]
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    earlier, later = temporal_split(ratings)
    assert sorted(later["movie_id"].unique().tolist()) == [0, 1]  # the latest two of ten
    assert earlier.groupby("user_id")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()


class _Oracle:
    """Recommends exactly the held-out movies a user liked (or nothing at all)."""

    def __init__(self, liked_by_first_movie: dict):
        self.liked_by_first_movie = liked_by_first_movie

    def recommend(self, user_ratings, n=10, exclude=()):
        liked = self.liked_by_first_movie.get(min(user_ratings), [])
        return [(movie, 1.0) for movie in liked[:n]]


def test_evaluation_gives_full_marks_to_a_perfect_list_and_none_to_an_empty_one():
    train = ratings_frame(
        [(1, 10, 4.0), (1, 11, 2.0), (2, 20, 5.0), (3, 12, 3.0), (3, 13, 3.0), (3, 21, 3.0)]
    )
    test = ratings_frame([(1, 12, 5.0), (1, 13, 4.0), (1, 14, 3.0), (2, 21, 4.5), (3, 30, 2.0)])
    perfect = evaluate(_Oracle({10: [12, 13], 20: [21]}), train, test, k=10)
    assert perfect["users"] == 2  # user 3 held out nothing relevant
    assert perfect["ndcg"] == pytest.approx(1.0)
    assert perfect["recall"] == pytest.approx(1.0)
    assert perfect["precision"] == pytest.approx((2 / 10 + 1 / 10) / 2)
    assert perfect["coverage"] == pytest.approx(3 / 6)
    half = evaluate(_Oracle({10: [11, 12], 20: [10, 11, 21]}), train, test, k=10)
    # User 1: hit at rank 2 of 2 relevant; user 2: hit at rank 3 of 1 relevant.
    ideal_two = 1 + 1 / np.log2(3)
    expected = ((1 / np.log2(3)) / ideal_two + (1 / np.log2(4)) / 1) / 2
    assert half["ndcg"] == pytest.approx(expected)
    assert half["recall"] == pytest.approx((1 / 2 + 1) / 2)
    nothing = evaluate(_Oracle({}), train, test, k=10)
    assert nothing["ndcg"] == nothing["recall"] == nothing["coverage"] == 0.0


def test_the_model_package_imports_no_django():
    code = (
        "import sys, movie_module.recommender, movie_module.recommender.evaluation; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr


def test_a_server_starts_without_importing_the_models():
    # pandas, SciPy and scikit-learn double what a server or worker costs to start; they come
    # with the first recommendation (movie_module/recommendations/store.py).
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'scrapbook.settings'; "
        "import scrapbook.asgi, scrapbook.celery; "
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy', 'sklearn'}); "
        "assert not loaded, loaded"
    )
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    finished = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
