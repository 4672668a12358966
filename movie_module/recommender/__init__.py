"""Movie recommendation models: pure pandas/numpy/scipy, no Django.

model = ItemSimilarityModel().fit(ratings)  # columns user_id, movie_id, rating
model.recommend({movie_id: rating, ...}, n=10, exclude=())  # [(movie_id, score), ...]
"""

from .popularity import PopularityModel
from .similarity import SEED_THRESHOLD, ItemSimilarityModel
from .storage import ModelFileError

__all__ = ["SEED_THRESHOLD", "ItemSimilarityModel", "ModelFileError", "PopularityModel"]
