"""Behind ASGI, Django runs its middleware chain and the view in one hop to the request's thread."""

import asyncio

import pytest
from asgiref.sync import SyncToAsync

from scrapbook.asgi import django_application

pytestmark = pytest.mark.usefixtures("transactional_db")


def asgi_get(path: str) -> tuple[int, dict]:
    """Run one GET through the ASGI application in this process: (status, headers)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    started = {}

    async def receive():
        if not started.get("body_sent"):
            started["body_sent"] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is built

    async def send(message):
        if message["type"] == "http.response.start":
            started["status"] = message["status"]
            started["headers"] = {name.decode().lower(): value.decode() for name, value in message["headers"]}

    asyncio.run(django_application(scope, receive, send))
    return started["status"], started["headers"]


def test_a_request_crosses_to_its_thread_a_few_times_not_once_per_middleware(monkeypatch):
    hops = []
    original_call = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original_call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    status, headers = asgi_get("/api/health/")

    assert status == 200
    # Every middleware still ran: the outermost and the innermost ones set these headers.
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    # request_started's receivers, the whole chain with the view, and response.close():
    # in async mode each middleware's process_request/process_response was a hop (~15).
    assert len(hops) <= 3, hops
