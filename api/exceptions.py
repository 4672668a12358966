"""Translate domain errors into DRF's error shapes, once, at the API edge."""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def exception_handler(exc, context):
    """DRF's handler, plus:

    - Django's ValidationError as a 400 with the fields named;
    - Django's refusals of a request body (too large: 413; too many fields: 400) as JSON;
    - "credentials not provided" on a request whose token was set aside as stale
      (authentication.authentication) as the token's own refusal, so the client learns
      that its token, not the endpoint, is the problem.
    """
    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "Bad request.")
    elif isinstance(exc, exceptions.NotAuthenticated):
        rejected = getattr(context.get("request"), "rejected_token_error", None)
        if rejected is not None:
            rejected.auth_header = getattr(exc, "auth_header", None)
            exc = rejected
    return drf_exception_handler(exc, context)


# The error shapes above, for the OpenAPI schema: every view lists the ones it can answer,
# so clients (and the fuzz test, tests/test_fuzz_api.py) know every status they may get.
class ErrorDetailSerializer(serializers.Serializer):
    """`{"detail": "..."}`: 401, 403, 404, 405, 429 and 503 (simplejwt may add `code`)."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class ValidationErrorSerializer(serializers.Serializer):
    """400: the fields named, each with its messages; a body that is not JSON gets `detail`."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    """The 400 body has one key per invalid field, which a serializer cannot declare."""

    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "description": "Each invalid field with its messages; `non_field_errors` for the whole.",
            "properties": {"detail": {"type": "string"}, "non_field_errors": messages},
            "additionalProperties": messages,
        }


ERROR_DESCRIPTIONS = {
    400: "Invalid input: the fields named, with their messages.",
    401: "A missing, invalid or expired access token; at login, wrong credentials.",
    403: "Signed in, but not allowed to do this.",
    404: "No such object, or it is not the caller's.",
    413: "The request body, or the file it carries, is larger than this endpoint accepts.",
    429: "Too many requests from this client; try again later.",
    503: "A service this request needs is unavailable.",
}


def error_responses(*status_codes: int) -> dict:
    """`@extend_schema(responses=...)` entries for the error statuses a view can answer."""
    return {
        code: OpenApiResponse(
            ValidationErrorSerializer if code == 400 else ErrorDetailSerializer,
            description=ERROR_DESCRIPTIONS[code],
        )
        for code in status_codes
    }
