"""Which Django ASGI handler serves HTTP: Scrapbook's fast one, or Django's stock one.

With FAST_REQUEST_THREADS on (the default), requests run on REQUEST_THREADS reused threads
per worker, the middleware chain entered once per request
(scrapbook/internals/django_asgi_handler.py, which leans on Django's internals). With it
off, Django's own `get_asgi_application()`: a new thread per request and one thread hop per
middleware, as Django ships it.
"""

from django.conf import settings
from django.core.asgi import get_asgi_application

from .internals.django_asgi_handler import SyncChainASGIHandler


def django_asgi_handler():
    """Return the ASGI application that serves Django's HTTP requests, as settings choose."""
    if settings.FAST_REQUEST_THREADS:
        return SyncChainASGIHandler()
    return get_asgi_application()
