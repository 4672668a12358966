"""Writes on accounts that carry a rule."""

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from .models import User


class UsernameTaken(Exception):
    pass


def user_create(*, username: str, email: str, password: str) -> User:
    """Create an account. Raises UsernameTaken if the name exists in any case."""
    user = User(username=username, email=email)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Two registrations racing for one name: the constraint settles it.
        raise UsernameTaken(username) from error
    return user


def user_change_password(*, user: User, new_password: str) -> None:
    """Set a new password and sign the account out everywhere (all refresh tokens die)."""
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
