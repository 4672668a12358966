"""Reads of a user's imports."""

from django.db.models import QuerySet

from your_data.models import Import


def user_imports(*, user) -> QuerySet:
    """The user's imports, newest first."""
    return Import.objects.filter(user=user).order_by("-created_at", "-id")
