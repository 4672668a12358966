"""What django-axes counts failed logins by, and how a locked-out login is answered.

Axes is configured in settings (AXES_*): it counts failures per client address and per
username, for the API's login and the admin's alike.
"""

from django.http import JsonResponse
from rest_framework import status

from .usernames import username_key

LOCKED_OUT_DETAIL = "Too many failed login attempts. Try again later."


def client_address(request) -> str:
    """The socket's peer. Behind trusted proxies the server has already put the client's
    address there (TRUSTED_PROXIES); a header the client sent never counts."""
    return request.META.get("REMOTE_ADDR", "")


def login_username(request, credentials) -> str:
    """The attempted username, folded as accounts are, so `Alice` and `ａｌｉｃｅ` share a count."""
    username = (credentials or {}).get("username")
    if not isinstance(username, str):
        return ""
    return username_key(username)


def lockout_response(request, original_response=None, credentials=None):
    """429 in the API's error shape; the admin's login form gets the same status."""
    return JsonResponse({"detail": LOCKED_OUT_DETAIL}, status=status.HTTP_429_TOO_MANY_REQUESTS)
