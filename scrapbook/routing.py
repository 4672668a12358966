"""A few lines of ASGI routing, in the shape of Channels' ProtocolTypeRouter.

Scrapbook needs no Channels: Socket.IO is python-socketio's ASGI app, everything else
is Django, and these routers only choose between them.
"""


class ProtocolTypeRouter:
    """Dispatch on the scope's type: http, websocket or lifespan."""

    def __init__(self, routes):
        self.routes = routes

    async def __call__(self, scope, receive, send):
        try:
            app = self.routes[scope["type"]]
        except KeyError:
            raise ValueError(f"No route for ASGI scope type {scope['type']!r}") from None
        await app(scope, receive, send)


class PathPrefixRouter:
    """Dispatch on the path's prefix; without a match, the default app or a refusal."""

    def __init__(self, prefixes, default=None):
        self.prefixes = prefixes
        self.default = default

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        for prefix, app in self.prefixes.items():
            if path == prefix.rstrip("/") or path.startswith(prefix):
                return await app(scope, receive, send)
        if self.default is not None:
            return await self.default(scope, receive, send)
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4404})
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class LifespanApp:
    """Answer the lifespan protocol, so uvicorn starts and stops cleanly."""

    def __init__(self, on_startup=(), on_shutdown=()):
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)

    async def __call__(self, scope, receive, send):
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await self._run(self.on_startup, send, "startup")
            elif event["type"] == "lifespan.shutdown":
                await self._run(self.on_shutdown, send, "shutdown")
                return

    @staticmethod
    async def _run(handlers, send, phase):
        try:
            for handler in handlers:
                await handler()
        except Exception as error:
            await send({"type": f"lifespan.{phase}.failed", "message": str(error)})
            raise
        await send({"type": f"lifespan.{phase}.complete"})
