"""simplejwt's authentication, with the user read from the cache instead of on every request."""

import functools

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from api.response_cache import cached_value


def user_generation(user_id) -> str:
    """The generation every save or deletion of the user replaces (authentication/signals.py)."""
    return f"user:{user_id}"


class CachedUserJWTAuthentication(JWTAuthentication):
    """JWTAuthentication whose user lookup is cached until the user is saved or deleted.

    Deactivating, deleting or changing the password of a user replaces the user's
    generation, so the next request reads the database again and is refused as before.
    """

    def get_user(self, validated_token):
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        look_up = functools.partial(super().get_user, validated_token)
        if user_id is None:
            return look_up()  # refuses the token
        user = cached_value(f"auth-user:{user_id}", [user_generation(user_id)], look_up)
        # Per token, not per user: checked on every request, as simplejwt does.
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return user


class CachedUserJWTScheme(SimpleJWTScheme):
    """The OpenAPI schema's bearer-token scheme, which drf-spectacular gives simplejwt's class only."""

    target_class = CachedUserJWTAuthentication
