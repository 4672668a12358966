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
    model, earlier: pd.DataFrame, later: pd.DataFrame, *, list_length: int, max_users: int
) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores of `model`'s recommendations from each user's `earlier` ratings, and
    whether the user then liked each one in `later`, for up to `max_users` users."""
    liked_later = (
        set(
            zip(
                *later.loc[later["rating"] > SEED_THRESHOLD, ["user_id", "movie_id"]].to_numpy().T.tolist(),
                strict=True,
            )
        )
        if len(later)
        else set()
    )
    users = later["user_id"].drop_duplicates()
    if len(users) > max_users:
        users = users.sample(max_users, random_state=0)
    history = earlier[earlier["user_id"].isin(set(users.tolist()))]
    raw, outcomes = [], []
    for user_id, rows in history.groupby("user_id", sort=True):
        user_ratings = dict(zip(rows["movie_id"].tolist(), rows["rating"].tolist(), strict=True))
        for movie_id, score in model.raw_recommend(user_ratings, n=list_length):
            raw.append(score)
            outcomes.append((user_id, movie_id) in liked_later)
    return np.asarray(raw, dtype=np.float64), np.asarray(outcomes, dtype=bool)


def fit_calibrated(
    ratings: pd.DataFrame,
    build_models: Callable[[], list],
    *,
    list_length: int = CALIBRATION_LIST_LENGTH,
    max_users: int = CALIBRATION_USERS,
) -> list:
    """Fit the models that `build_models` makes on `ratings`, each with its calibration.

    Each model needs `fit(ratings)`, `raw_recommend(user_ratings, n)` and a `calibration`
    attribute. The probe fit on the earlier ratings is thrown away after calibrating.
    """
    earlier, later = temporal_split(ratings, fraction=CALIBRATION_HOLDOUT_FRACTION)
    calibrations = []
    for probe in build_models():
        probe.fit(earlier)
        raw, liked = raw_outcomes(probe, earlier, later, list_length=list_length, max_users=max_users)
        calibrations.append(ScoreCalibration.fit(raw, liked))
        del probe
    models = build_models()
    for model, calibration in zip(models, calibrations, strict=True):
        model.fit(ratings)
        model.calibration = calibration
    return models
