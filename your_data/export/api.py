"""GET /api/me/export/: the caller's data as a ZIP, streamed as it is written."""

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from api.exceptions import error_responses

from .exporters import export_files
from .zipstream import zip_stream


async def in_request_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The chunks of a synchronous iterator, each made on the request's own thread (its
    database connection) and sent before the next is made. Django's ASGI handler would
    otherwise read a synchronous iterator whole before sending any of it."""
    step = sync_to_async(next, thread_sensitive=True)
    while (chunk := await step(chunks, None)) is not None:
        yield chunk


class ExportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **error_responses(401)},
        description="Everything the caller owns, as a ZIP: Letterboxd-style CSVs and scrapbook.json.",
    )
    def get(self, request):
        user = request.user
        filename = f"scrapbook-{user.username}-{timezone.now():%Y-%m-%d}.zip"
        response = StreamingHttpResponse(
            in_request_thread(zip_stream(export_files(user=user))), content_type="application/zip"
        )
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        response["Cache-Control"] = "no-store"
        return response
