"""The one ASGI application: Django for HTTP, Socket.IO for /socket.io/ on both transports.

socket.io-client starts with HTTP long-polling and then upgrades to a websocket, so the
router sends /socket.io/ over HTTP to Socket.IO too, not only websocket traffic.
"""

import gc
import os

import django
import django.urls

from .handlers import django_asgi_handler
from .log_filters import install_credential_redaction
from .request_body import BufferedRequestBody
from .stored_answers import StoredAnswers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before the imports below
django_application = django_asgi_handler()
# Import every view now, not on this process's first request: with several workers, the
# first request each one serves would otherwise wait seconds for the URLconf's imports
# (pandas, scipy, scikit-learn behind the recommender's views).
django.urls.get_resolver().url_patterns  # noqa: B018

from chat.socket_server import socketio_app  # noqa: E402
from movie_module.recommendations.store import load_in_background  # noqa: E402

from .background import start_periodic_tasks, stop_periodic_tasks  # noqa: E402
from .routing import LifespanApp, PathPrefixRouter, ProtocolTypeRouter  # noqa: E402

# With hundreds of connections open, CPython's default thresholds (700, 10, 10) run a full
# collection every few seconds, each a 100-200 ms pause of every broadcast in the server
# (bench/chat.py, measured with gc.callbacks): that pause was the p99. Collecting the young
# generation after 50,000 allocations instead of 700 lets the short-lived objects of
# message handling die of reference counting first; full collections became rare.
GARBAGE_COLLECTION_THRESHOLDS = (50_000, 20, 100)
gc.set_threshold(*GARBAGE_COLLECTION_THRESHOLDS)

# Whoever starts uvicorn, its access log must not carry the `?token=` of a Socket.IO URL.
install_credential_redaction("uvicorn.access", "uvicorn.error")

application = ProtocolTypeRouter(
    {
        # A GET answered before is answered again from here, while still current; any other
        # request reaches Django, and takes one of its threads, once its body is all there.
        "http": PathPrefixRouter(
            {"/socket.io/": socketio_app},
            default=StoredAnswers(BufferedRequestBody(django_application)),
        ),
        "websocket": PathPrefixRouter({"/socket.io/": socketio_app}),
        "lifespan": LifespanApp(
            on_startup=[start_periodic_tasks, load_in_background], on_shutdown=[stop_periodic_tasks]
        ),
    }
)
