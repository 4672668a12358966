"""Off the event loop: the chat's database thread, and the user a connection's token names."""

from typing import NamedTuple
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import get_md5_hash_password


def database_sync_to_async(function):
    """`function` run in Django's one sync thread, off the event loop.

    All chat handlers share that thread and keep its database connection open between
    calls (opening one per message would cost more than the insert, and on SQLite every
    last close checkpoints the WAL); a connection that has failed is replaced on the
    next call once it proves unusable.
    """

    def with_usable_connections(*args, **kwargs):
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and connection.errors_occurred:
                if connection.is_usable():
                    connection.errors_occurred = False
                else:
                    connection.close()
        return function(*args, **kwargs)

    return sync_to_async(with_usable_connections, thread_sensitive=True)


class TokenUser(NamedTuple):
    user: AbstractBaseUser  # with only `id` and `username` read
    expires_at: float  # when the token stops being good, in seconds since the epoch


@database_sync_to_async
def user_for_access_token(token) -> TokenUser | None:
    """The active user an access token names, and when the token expires; None when the
    token is not good.

    With simplejwt's CHECK_REVOKE_TOKEN, a token issued before the user's password last
    changed is not good either, as on the REST API.
    """
    if not isinstance(token, str) or not token:
        return None
    try:
        validated = AccessToken(token)
    except TokenError:
        return None
    users = get_user_model().objects.filter(
        **{api_settings.USER_ID_FIELD: validated.get(api_settings.USER_ID_CLAIM)}, is_active=True
    )
    expires_at = validated["exp"] + validated.get_token_backend().get_leeway().total_seconds()
    if not api_settings.CHECK_REVOKE_TOKEN:
        user = users.only("id", "username").first()
        return None if user is None else TokenUser(user, expires_at)
    user = users.only("id", "username", "password").first()
    if user is None or validated.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        return None
    del user.password  # deferred again: the connection's session keeps no password hash
    return TokenUser(user, expires_at)


def token_from(environ, auth):
    if isinstance(auth, dict) and auth.get("token"):
        return auth["token"]
    tokens = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return tokens[0] if tokens else None
