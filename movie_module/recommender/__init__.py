"""Movie recommendation models: pure pandas/numpy/scipy, no Django.

model = ItemSimilarityModel().fit(ratings)  # columns user_id, movie_id, rating
model.recommend({movie_id: rating, ...}, n=10, exclude=())  # [(movie_id, score), ...]
"""

from .calibration import ScoreCalibration, fit_calibrated, temporal_split
from .corpus import SEED_THRESHOLD
from .popularity import PopularityModel
from .similarity import ItemSimilarityModel
from .storage import ModelFileError

__all__ = [
    "SEED_THRESHOLD",
    "ItemSimilarityModel",
    "ModelFileError",
    "PopularityModel",
    "ScoreCalibration",
    "fit_calibrated",
    "temporal_split",
]
