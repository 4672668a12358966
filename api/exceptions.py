"""Translate domain errors into DRF's error shapes, once, at the API edge."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "A service this request needs is unavailable, try again later."
    default_code = "service_unavailable"


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError as a 400 with the fields named."""
    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(serializers.as_serializer_error(exc))
    return drf_exception_handler(exc, context)
