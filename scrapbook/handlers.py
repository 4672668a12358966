"""Django's ASGI handler, with the middleware chain and the view run in one thread hop.

Django under ASGI builds its middleware chain in async mode. Every view and every built-in
middleware here is synchronous, so each `process_request` / `process_response` and the view
became a `sync_to_async` hop between the event loop and the request's thread: about 15 per
request, which cost 3 ms of CPU on a bare view against 0.25 ms for the same view under WSGI
(docs/PERFORMANCE.md, "Load: realistic mix at 200 clients"). Built in sync mode, the chain
runs as under WSGI, in that one thread, entered once.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    """ASGIHandler whose middleware chain and views run synchronously in the request's thread.

    The request's thread is still asgiref's thread-sensitive one (one per request, as
    before), so database connections and thread-locals behave exactly as they did. An async
    view would still work: Django's sync path runs it with `async_to_sync`.
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
