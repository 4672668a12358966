"""simplejwt's authentication, without verifying a token's signature or reading its user on
every request."""

import functools

from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from scrapbook.internals.django_compiled_queries import CompiledQuery
from scrapbook.response_cache import cached_value
from scrapbook.stored_answers import record_token_expiry


@functools.lru_cache(maxsize=4096)
def verified_token(raw_token: bytes):
    """The access token `raw_token` holds, its signature and claims verified once per process.

    The same bytes always verify the same way, except for expiry, which the caller checks
    on every use. simplejwt keeps no blacklist of access tokens. Raises InvalidToken.
    """
    return JWTAuthentication().get_validated_token(raw_token)


@receiver(setting_changed)
def forget_verified_tokens(setting, **kwargs):
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        verified_token.cache_clear()


def _account(*, user_id: int) -> QuerySet:
    User = get_user_model()
    columns = [field.attname for field in User._meta.concrete_fields]
    return User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).values(*columns)


ACCOUNT = CompiledQuery(_account)


def account_or_refusal(user_id: int):
    """The user `user_id` as simplejwt reads them (one query, compiled once per process);
    AuthenticationFailed in simplejwt's words when they are gone or inactive."""
    found = ACCOUNT.rows(values={"user_id": user_id})
    if not found:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    User = get_user_model()
    columns = [field.attname for field in User._meta.concrete_fields]
    user = User.from_db(DEFAULT_DB_ALIAS, columns, [found[0][column] for column in columns])
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    return user


def token_user_id(request) -> int | None:
    """The id of the user whose unexpired access token `request` carries, from the token
    alone: nothing is queried or cached. None when there is no valid token."""
    authentication = CachedUserJWTAuthentication()
    header = authentication.get_header(request)
    try:
        raw_token = None if header is None else authentication.get_raw_token(header)
        if raw_token is None:
            return None
        token = verified_token(raw_token)
        token.check_exp(current_time=aware_utcnow())
    except (AuthenticationFailed, TokenError):  # InvalidToken is an AuthenticationFailed
        return None
    return token.get(api_settings.USER_ID_CLAIM)


class CachedUserJWTAuthentication(JWTAuthentication):
    """JWTAuthentication that remembers verified tokens, and their users until they change.

    Deactivating, deleting or changing the password of a user replaces the user's
    generation, so the next request reads the database again and is refused as before.
    """

    def authenticate(self, request):
        """The user and token, or None: a request whose token is expired, invalid or whose
        user is gone is answered as an anonymous one where that is allowed (public reads);
        the exception handler (api/exceptions.py) gives the token's own 401 elsewhere."""
        try:
            return super().authenticate(request)
        except AuthenticationFailed as error:  # InvalidToken is one too
            request.rejected_token_error = error
            return None

    def get_validated_token(self, raw_token):
        token = verified_token(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError:
            return super().get_validated_token(raw_token)  # refused, in simplejwt's words
        record_token_expiry(token.get("exp"))
        return token

    def get_user(self, validated_token):
        try:
            user_id = int(validated_token.get(api_settings.USER_ID_CLAIM))  # simplejwt writes a str
        except (TypeError, ValueError):
            return super().get_user(validated_token)  # refuses the token, in simplejwt's words
        user = cached_value("auth-user", functools.partial(account_or_refusal, user_id), user_id=user_id)
        # Per token, not per user: checked on every request, as simplejwt does.
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return user


class CachedUserJWTScheme(SimpleJWTScheme):
    """The OpenAPI schema's bearer-token scheme, which drf-spectacular gives simplejwt's class only."""

    target_class = CachedUserJWTAuthentication
