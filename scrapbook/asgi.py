"""The one ASGI application: Django for HTTP, Socket.IO for /socket.io/ on both transports.

socket.io-client starts with HTTP long-polling and then upgrades to a websocket, so the
router sends /socket.io/ over HTTP to Socket.IO too, not only websocket traffic.
"""

import os

import django

from .handlers import SyncChainASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before the imports below
django_application = SyncChainASGIHandler()

from chat.socket_server import socketio_app  # noqa: E402
from movie_module.scheduler import start_refit_scheduler, stop_refit_scheduler  # noqa: E402

from .routing import LifespanApp, PathPrefixRouter, ProtocolTypeRouter  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": PathPrefixRouter({"/socket.io/": socketio_app}, default=django_application),
        "websocket": PathPrefixRouter({"/socket.io/": socketio_app}),
        "lifespan": LifespanApp(on_startup=[start_refit_scheduler], on_shutdown=[stop_refit_scheduler]),
    }
)
