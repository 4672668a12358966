"""Writes on accounts that carry a rule."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from scrapbook.background import enqueue

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


def user_delete(*, user: User) -> None:
    """Delete the account and everything it owns, in one transaction: every table that
    points at the user cascades, and its refresh tokens (which simplejwt would keep,
    their user set to null) go too. Its access tokens are refused from then on (their
    user is gone), and its chat connections end once the deletion commits; the rooms it
    wrote in are told `message_deleted` for each of its messages, as for any deletion."""
    from chat.closed_accounts import announce_account_closed
    from chat.models import Message
    from chat.services import messages_delete_announced

    user_id = user.pk
    with transaction.atomic():
        OutstandingToken.objects.filter(user=user).delete()  # their blacklist rows cascade
        messages_delete_announced(messages=Message.objects.filter(user_id=user_id))
        user.delete()
        transaction.on_commit(lambda: announce_account_closed(user_id))


def password_reset_request(*, email: str) -> None:
    """Queue a reset link for each active account with this address; nothing for an unknown
    one. The mail is sent in the background, so that answering takes as long either way."""
    from .tasks import send_password_reset

    for user_id in User.objects.with_email(email).filter(is_active=True).values_list("pk", flat=True):
        enqueue(send_password_reset, user_id)


class InvalidResetLink(Exception):
    """The uid or token of a reset link is wrong, used or expired."""


def password_reset_user(*, uid: str, token: str) -> User:
    """The active account a reset link's uid and token name. The token works once (it signs
    the password hash it is used to change) and for PASSWORD_RESET_TIMEOUT seconds.
    Raises InvalidResetLink."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uid))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        raise InvalidResetLink from None
    if not default_token_generator.check_token(user, token):
        raise InvalidResetLink
    return user


def password_reset_send(*, user_id: int) -> bool:
    """Mail a reset link to the account; False when it is gone or inactive meanwhile."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    link = settings.PASSWORD_RESET_URL.format(
        uid=urlsafe_base64_encode(force_bytes(user.pk)), token=default_token_generator.make_token(user)
    )
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    send_mail(
        subject="Reset your Scrapbook password",
        message=(
            f"Someone (we hope you) asked to reset the password of {user.username} on Scrapbook.\n\n"
            f"Choose a new one here, within {hours} hours; the link works once:\n{link}\n\n"
            "If it was not you, ignore this mail: your password stays as it is.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
