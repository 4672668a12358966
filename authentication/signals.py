"""Cached answers (api/response_cache.py) forget a user who is saved or deleted.

A signal, not the services: the admin and `manage.py` change users too.
"""

from api.response_cache import invalidate

from .authentication import user_generation

# Shown beside every review: a rename must reach the cached review lists.
USERNAMES = "usernames"


def forget_saved_user(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or "username" in update_fields:
        invalidate(user_generation(instance.pk), USERNAMES)
    else:
        invalidate(user_generation(instance.pk))


def forget_deleted_user(sender, instance, **kwargs):
    invalidate(user_generation(instance.pk), USERNAMES)
