"""Cached API answers (api/response_cache.py) forget what a write to the catalogue changes.

Signals, not only the services: the admin, cascades (deleting a user deletes their reviews)
and the IMDb sync write these tables too, and every one of them must reach the cache.
Writes that bypass signals (`QuerySet.update`, `bulk_create`) call `invalidate` themselves.
"""

from api.response_cache import invalidate

# What each cached answer is built from.
MOVIES = "movies"
REVIEWS = "reviews"  # also every movie's average rating and review count
WATCHLISTS = "watchlists"  # every movie's watchlist count


def watchlist_generation(user_id) -> str:
    return f"watchlist:{user_id}"


def reviews_generation(user_id) -> str:
    """One user's reviews."""
    return f"reviews-by:{user_id}"


def forget_movie(sender, instance, **kwargs):
    invalidate(MOVIES)


def forget_review(sender, instance, **kwargs):
    invalidate(REVIEWS, reviews_generation(instance.user_id))


def forget_watchlist_item(sender, instance, **kwargs):
    invalidate(WATCHLISTS, watchlist_generation(instance.user_id))
