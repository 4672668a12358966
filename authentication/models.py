from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower

from scrapbook.change_announcements import AnnouncingQuerySet

from .emails import validate_ascii_local_part
from .usernames import username_key, validate_one_alphabet

USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that e-mail address already exists."


class UserQuerySet(AnnouncingQuerySet):
    def with_username(self, username: str):
        """The account whose username is `username` once folded (see usernames.username_key)."""
        return self.filter(username_key=username_key(username))

    def with_email(self, email: str):
        """Accounts with the address `email` in any case, compared as the database's unique
        constraint compares them."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(email)))

    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(), where every other write sets the key.
        objs = list(objs)
        for user in objs:
            user.username_key = username_key(user.username)
        return super().bulk_create(objs, *args, **kwargs)


class CaseInsensitiveUserManager(UserManager.from_queryset(UserQuerySet)):
    def get_by_natural_key(self, username):
        # Log in as "Alice", "ALICE" or "ａｌｉｃｅ": all name the one account.
        return self.get(username_key=username_key(username))


class User(AbstractUser):
    """Scrapbook's user. Usernames are unique once folded (usernames.username_key), e-mail
    addresses whatever their case."""

    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
        validators=[UnicodeUsernameValidator(), validate_one_alphabet],
        error_messages={"unique": USERNAME_TAKEN},
    )
    # Derived from username on every save; unique, and the index every lookup by name uses.
    username_key = models.TextField(editable=False)
    email = models.EmailField("email address", blank=True, validators=[validate_ascii_local_part])

    objects = CaseInsensitiveUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["username_key"],
                name="user_username_key_unique",
                violation_error_message=USERNAME_TAKEN,
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_email_ci_unique",
                violation_error_message=EMAIL_TAKEN,
            ),
        ]

    def save(self, *args, **kwargs):
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    def clean(self):
        """Normalise the username (NFKC) and e-mail address as Django does, then refuse a name
        or address another account has, on the field a form shows (the admin's)."""
        super().clean()
        if not isinstance(self.username, str):
            return  # the form has already refused it
        self.username_key = username_key(self.username)
        others = User._default_manager.exclude(pk=self.pk)
        errors = {}
        if others.filter(username_key=self.username_key).exists():
            errors["username"] = ValidationError(USERNAME_TAKEN, code="unique")
        if self.email and others.with_email(self.email).exists():
            errors["email"] = ValidationError(EMAIL_TAKEN, code="unique")
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        # clean() checks these two and names the field to correct; the constraints' own
        # check would repeat it on `username_key`, which no form has, or on the whole form.
        super().validate_constraints(exclude={*(exclude or ()), "username_key", "email"})
