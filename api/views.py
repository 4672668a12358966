"""JSON error pages for the API, so a client never has to parse Django's HTML ones."""

from django.http import JsonResponse
from django.views import defaults
from rest_framework.exceptions import server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def internal_error(request):
    if request.path.startswith("/api/"):
        return server_error(request)
    return defaults.server_error(request)
