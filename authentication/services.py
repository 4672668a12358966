"""Writes on accounts that carry a rule."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from .models import EMAIL_TAKEN, User


class UsernameTaken(Exception):
    pass


class EmailTaken(ValidationError):
    """Another account has this e-mail address, in some case.

    A ValidationError on `email`, which the API edge (api/exceptions.py) answers as a 400.
    """

    def __init__(self):
        super().__init__({"email": [ValidationError(EMAIL_TAKEN, code="unique")]})


def user_create(*, username: str, email: str, password: str) -> User:
    """Create an account; the username is stored NFKC-normalised, the e-mail domain in lower case.

    Raises UsernameTaken if another account's name folds to the same key
    (usernames.username_key), EmailTaken if another account has the address in some case,
    ValidationError for a weak password.
    """
    user = User(username=User.normalize_username(username), email=User.objects.normalize_email(email))
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Two registrations racing for one name or address: the constraints settle it.
        if User.objects.with_username(user.username).exists():
            raise UsernameTaken(username) from error
        if user.email and User.objects.with_email(user.email).exists():
            raise EmailTaken from error
        raise
    return user


def user_change_email(*, user: User, email: str) -> User:
    """Give `user` the address `email`, its domain in lower case; another case of the user's
    own address is fine. Raises EmailTaken if another account has it in some case."""
    previous, user.email = user.email, User.objects.normalize_email(email)
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError as error:
        user.email = previous
        raise EmailTaken from error
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
