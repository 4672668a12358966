"""Scores that mean what they say: 10 x the chance that the user will like the movie.

A model's raw score only ranks; it says nothing about how likely the user is to enjoy
the movie. `fit_calibrated` therefore fits each model twice: once on every user's earlier
ratings, to see how often its recommendations came true on their later ones (a movie
rated above 3.5 there counts as liked), and then on everything. An isotonic regression
(scikit-learn) of that outcome on the raw score becomes the model's calibration, so a
score of 9.4 means that 94% of such recommendations were liked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from .corpus import SEED_THRESHOLD

# The evaluation holds out each user's latest fifth (bench/recommender_real.py); the
# calibration, which sees only the other four fifths, holds out a quarter of those: as
# many ratings per user, so "the chance of liking it" covers the same stretch of the
# user's future.
HOLDOUT_FRACTION = 0.2
CALIBRATION_HOLDOUT_FRACTION = HOLDOUT_FRACTION / (1 - HOLDOUT_FRACTION)
# Fewer liked outcomes than this and the curve would be noise: keep the fallback.
MINIMUM_POSITIVES = 30
# Recommendations per user that the calibration looks at: the length of a typical list.
CALIBRATION_LIST_LENGTH = 20
CALIBRATION_USERS = 5000
# Held-out ratings up to this share of the corpus: the probe fit is kept as the model.
SINGLE_FIT_SHARE = 0.05


class ScoreCalibration:
    """A monotone map from a model's raw score to 0-10.

    Fitted, it is a piecewise-linear curve through isotonic regression's steps. Unfitted
    (a corpus too small to measure anything), the fallback 10 * (1 - exp(-raw)) keeps
    the order and the range but makes no claim about chances.
    """

    def __init__(self, raw_points: np.ndarray | None = None, chances: np.ndarray | None = None) -> None:
        self.raw_points = np.zeros(0) if raw_points is None else np.asarray(raw_points, dtype=np.float64)
        self.chances = np.zeros(0) if chances is None else np.asarray(chances, dtype=np.float64)

    @classmethod
    def fit(cls, raw_scores: np.ndarray, liked: np.ndarray) -> ScoreCalibration:
        raw_scores = np.asarray(raw_scores, dtype=np.float64)
        liked = np.asarray(liked, dtype=np.float64)
        if liked.sum() < MINIMUM_POSITIVES:
            return cls()
        curve = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        curve.fit(raw_scores, liked)
        return cls(curve.X_thresholds_, curve.y_thresholds_)

    @property
    def fitted(self) -> bool:
        return len(self.raw_points) > 0

    def scores(self, raw_scores: np.ndarray) -> np.ndarray:
        raw_scores = np.asarray(raw_scores, dtype=np.float64)
        if not self.fitted:
            return 10.0 * -np.expm1(-np.maximum(raw_scores, 0.0))
        return 10.0 * np.interp(raw_scores, self.raw_points, self.chances)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"calibration_raw": self.raw_points, "calibration_chance": self.chances}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> ScoreCalibration:
        return cls(arrays.get("calibration_raw"), arrays.get("calibration_chance"))


def temporal_split(
    ratings: pd.DataFrame, fraction: float = HOLDOUT_FRACTION, min_ratings: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(earlier, later): each user's latest `fraction` of ratings (at least one) held out,
    for users with at least `min_ratings`. Order is the `timestamp` column when there is
    one, else the row order; both frames come back in (user, time) order, so a user's
    rows read oldest first, as `recommend` expects them."""
    frame = ratings.reset_index(drop=True)
    keys = ["user_id", "timestamp"] if "timestamp" in frame.columns else ["user_id"]
    frame = frame.sort_values(keys, kind="stable", na_position="first")
    position = frame.groupby("user_id", sort=False).cumcount().to_numpy()
    counts = frame.groupby("user_id", sort=False)["movie_id"].transform("size").to_numpy()
    held_out = np.where(counts >= min_ratings, np.maximum(1, np.floor(fraction * counts + 0.5)), 0)
    later = position >= counts - held_out
    return frame[~later].reset_index(drop=True), frame[later].reset_index(drop=True)


def raw_outcomes(
    model, earlier: pd.DataFrame, later: pd.DataFrame, *, list_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores of `model`'s recommendations from each user's `earlier` ratings, and
    whether the user then liked each one in `later` (the users of `later` only)."""
    liked_pairs = later.loc[later["rating"] > SEED_THRESHOLD, ["user_id", "movie_id"]]
    liked_later = set(zip(liked_pairs["user_id"].tolist(), liked_pairs["movie_id"].tolist(), strict=True))
    history = earlier[earlier["user_id"].isin(later["user_id"].unique())]
    users = history["user_id"].to_numpy()
    movies, ratings = history["movie_id"].tolist(), history["rating"].tolist()
    # `earlier` comes in (user, time) order: each user's rows are one run.
    if len(users) == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    stops = np.r_[starts[1:], len(users)]
    raw, outcomes = [], []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        user_id = users[start]
        user_ratings = dict(zip(movies[start:stop], ratings[start:stop], strict=True))
        for movie_id, score in model.raw_recommend(user_ratings, n=list_length):
            raw.append(score)
            outcomes.append((user_id, movie_id) in liked_later)
    return np.asarray(raw, dtype=np.float64), np.asarray(outcomes, dtype=bool)


def calibration_split(ratings: pd.DataFrame, max_users: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fitting, later): the latest quarter of the ratings of up to `max_users` users,
    chosen at random but always the same for the same users, and everything else."""
    earlier, later = temporal_split(ratings, fraction=CALIBRATION_HOLDOUT_FRACTION)
    users = later["user_id"].drop_duplicates()
    if len(users) <= max_users:
        return earlier, later
    chosen = set(users.sample(max_users, random_state=0).tolist())
    held_out = later["user_id"].isin(chosen)
    fitting = pd.concat([earlier, later[~held_out]], ignore_index=True)
    keys = ["user_id", "timestamp"] if "timestamp" in fitting.columns else ["user_id"]
    # Back in (user, time) order: within a user, the kept later rows follow the earlier.
    fitting = fitting.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
    return fitting, later[held_out].reset_index(drop=True)


def fit_calibrated(
    ratings: pd.DataFrame,
    build_models: Callable[[], list],
    *,
    list_length: int = CALIBRATION_LIST_LENGTH,
    max_users: int = CALIBRATION_USERS,
) -> list:
    """Fit the models that `build_models` makes on `ratings`, each with its calibration.

    Each model needs `fit(ratings)`, `raw_recommend(user_ratings, n)` and a `calibration`
    attribute. A probe fit leaves out the latest ratings of up to `max_users` users and
    is calibrated on them. When those are at most SINGLE_FIT_SHARE of all ratings (large
    corpora, where a fit is expensive) the probe is the final model: it lacks a sliver of
    the ratings until the next fit. Otherwise the models are fitted again on everything.
    """
    fitting, later = calibration_split(ratings, max_users)
    models = build_models()
    for model in models:
        model.fit(fitting)
        raw, liked = raw_outcomes(model, fitting, later, list_length=list_length)
        model.calibration = ScoreCalibration.fit(raw, liked)
    if len(later) <= SINGLE_FIT_SHARE * len(ratings):
        return models
    calibrations = [model.calibration for model in models]
    del models
    final_models = build_models()
    for model, calibration in zip(final_models, calibrations, strict=True):
        model.fit(ratings)
        model.calibration = calibration
    return final_models
