"""Read a request's whole body on the event loop before Django takes a thread for it.

Django's ASGI handler reads the body itself, but only once the request already holds one
of the worker's few request threads (scrapbook/handlers.py): eight clients that sent
headers and then trickled their bodies held every thread, and the whole REST API, health
check included, hung for as long as they stayed connected. Here a request waits for its
body as a coroutine, which costs nothing while it waits; the body is bounded in size
(413) and in time (408), and both answers close the connection. Django then receives the
body as one message and never waits on the client.
"""

import asyncio
import json
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_error(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body may still be on its way: never read it as a new request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def body_limits(scope) -> tuple[int, float]:
    """(bytes, seconds) a request's body may have: REQUEST_BODY_MAX_BYTES and
    REQUEST_BODY_TIMEOUT_SECONDS, or more on the paths of REQUEST_BODY_LIMITS_BY_PATH
    (an upload), with or without their trailing slash."""
    path = scope.get("path", "")
    limits = settings.REQUEST_BODY_LIMITS_BY_PATH
    larger = limits.get(path) or limits.get(path + "/")
    if larger:
        return larger
    return settings.REQUEST_BODY_MAX_BYTES, settings.REQUEST_BODY_TIMEOUT_SECONDS


class BodyTooLarge(Exception):
    pass


class BufferedRequestBody:
    """ASGI middleware: the inner app sees a request only once its body has arrived whole.

    REQUEST_BODY_MAX_BYTES bounds the body (413 past it, also when Content-Length announces
    more); REQUEST_BODY_TIMEOUT_SECONDS bounds how long all of it may take (408 past it).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes, timeout = body_limits(scope)
        announced = _content_length(scope)
        if announced is not None and announced > max_bytes:
            return await _send_error(send, 413, f"The request body is larger than {max_bytes} bytes.")
        try:
            async with asyncio.timeout(timeout):
                body = await self._read_body(receive, max_bytes)
        except TimeoutError:
            logger.info("A request body did not arrive in %s s: 408", timeout)
            return await _send_error(send, 408, "The request body did not arrive in time.")
        except BodyTooLarge:
            return await _send_error(send, 413, f"The request body is larger than {max_bytes} bytes.")
        if body is None:
            return  # the client went away before sending all of it: nobody to answer

        delivered = False

        async def replay_body():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # from here on only http.disconnect can come

        await self.app(scope, replay_body, send)

    @staticmethod
    async def _read_body(receive, max_bytes: int) -> bytes | None:
        """The whole body, or None when the client disconnected first. Raises BodyTooLarge."""
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
