"""GET /api/asyncapi/: the AsyncAPI document of the chat's Socket.IO events (chat.asyncapi).

A plain Django view, so drf-spectacular leaves it out of the OpenAPI schema it sits next to.
Public, like /api/schema/, and built once per process.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def asyncapi(request):
    # Imported when first asked for: chat.asyncapi reads the Socket.IO server's rules, and
    # importing that server creates it, which management commands have no use for.
    from chat.asyncapi import document_json

    return HttpResponse(document_json(), content_type="application/json")
