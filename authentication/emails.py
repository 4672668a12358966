"""E-mail addresses: one rule that keeps their uniqueness the same on every database."""

from django.core.exceptions import ValidationError


def validate_ascii_local_part(email: str) -> None:
    """Refuse an address whose part before the "@" is not ASCII.

    Django's EmailValidator means to allow only ASCII there, but its case-insensitive pattern
    also lets the Kelvin sign, the long s and the Turkish dotted and dotless i through. The
    database compares addresses with LOWER(), which lowers those on PostgreSQL and not on
    SQLite: refused, "Kim@" (Kelvin sign) and "kim@" are one address on every database.
    Raises ValidationError.
    """
    local_part = email.rpartition("@")[0]
    if not local_part.isascii():
        raise ValidationError("Enter a valid email address.", code="invalid")
