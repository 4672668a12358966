"""A request's reference cycles broken once its answer is made, so that its objects die by
reference counting instead of waiting for the garbage collector.

Every request left about a hundred objects in reference cycles (the bare view; 170 for a
DRF list): the request and everything it holds, its session, its user, the view, its
querysets and rows. They were freed only by a young-generation collection, which under the
load mix came every few seconds per worker, held the GIL 60 to 370 ms (145 on average) and
spent 2 µs on each object: 0.2 ms per bare request, 0.3 per API request, paid in pauses
that stop every request of the worker (docs/PERFORMANCE.md, "Garbage"). The cycles:

- Django's messages: `MessageMiddleware` sets `request._messages`, a storage that holds
  `request` back (`BaseStorage.request`); `AuthenticationMiddleware` sets `request.user`,
  a lazy object, and `request.auser`, a partial, both holding the request;
- DRF: `APIView.dispatch` keeps the request and the answer on the view (`view.request`,
  `view.response`), and `ViewSetMixin.as_view` its handlers as bound methods (`view.get`);
  the request's `parser_context` and the answer's `renderer_context` hold the view, and
  the answer's `renderer_context` the answer itself, the request's `parser_context` the
  request itself. (A DRF serializer and its bound fields hold each other too; those are
  left to the collector.)

`RequestCyclesBroken`, the outermost middleware, cuts them on the way out, after every
middleware and the rendering of the answer are done with them: it takes the messages'
storage and the lazy user off the request, empties the answer's `renderer_context`, the
request's `parser_context` and the view's attributes.
Nothing reads them once the answer is rendered (Django sends `response.content`). The third
cycle, the tasks of Django's ASGI `handle`, is cut in scrapbook/internals/django_asgi_handler.py.

Private names used here, and nowhere else (tests/test_library_internals.py pins them and
the cycles): `request._messages`, set by `MessageMiddleware`; DRF's `renderer_context` on
its `Response` (read by renderers, set by `APIView.finalize_response`) holding "view" and
"request", and `Request.parser_context` (read by parsers).

Written against Django 5.2.19 and djangorestframework 3.18.3 (`WRITTEN_AGAINST`). The stock
behaviour, with BREAK_REQUEST_CYCLES=0: the cycles are left to the garbage collector.
"""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"Django": "5.2.19", "djangorestframework": "3.18.3"}


def break_cycles(request, response) -> None:
    """Cut the reference cycles of `request` and its answer `response`, both done with."""
    attributes = vars(request)
    attributes.pop("_messages", None)  # the storage holds the request
    # AuthenticationMiddleware's lazy user and `auser` close over the request (DRF replaces
    # the lazy user with the one it authenticated, which holds nothing back).
    attributes.pop("auser", None)
    if isinstance(attributes.get("user"), SimpleLazyObject):
        del attributes["user"]
    context = getattr(response, "renderer_context", None)
    if isinstance(context, dict):
        view = context.get("view")
        context.clear()  # holds the view, the request and the answer itself
        if view is not None:
            break_view_cycles(view)


def break_view_cycles(view) -> None:
    """Cut the cycles of a DRF view done with its request: for a view that answers with a
    plain HttpResponse (no `renderer_context` leads to it), once `dispatch` returns."""
    if not settings.BREAK_REQUEST_CYCLES:
        return
    drf_request = vars(view).get("request")
    vars(view).clear()  # the request, the answer, handlers bound to the view
    if isinstance(getattr(drf_request, "parser_context", None), dict):
        drf_request.parser_context.clear()  # holds the view and the DRF request itself


class RequestCyclesBroken:
    """The outermost middleware: `break_cycles` once the answer has passed every other one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.BREAK_REQUEST_CYCLES:
            break_cycles(request, response)
        return response
