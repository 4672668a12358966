"""Behind ASGI, Django runs its middleware chain and the view in one hop to the request's
thread, one of a fixed set."""

import asyncio
import threading
import time

import pytest
from asgiref.sync import SyncToAsync
from django.core.signals import request_finished
from django.db import connection, connections
from django.http import JsonResponse, StreamingHttpResponse
from django.urls import path

from scrapbook.internals.django_asgi_handler import SyncChainASGIHandler, ThreadLine
from tests.servers import http_get_scope

pytestmark = pytest.mark.usefixtures("transactional_db")


def asgi_get(path: str) -> tuple[int, dict]:
    """Run one GET through a SyncChainASGIHandler in this process: (status, headers)."""
    application = SyncChainASGIHandler(threads=1)
    try:
        return asyncio.run(asgi_get_async(path, application))
    finally:
        handler_threads_stop(application)


def handler_threads_stop(application: SyncChainASGIHandler) -> None:
    for thread in application.threads:
        thread.submit(connections.close_all).result()
        thread.shutdown()


async def asgi_get_async(path: str, application) -> tuple[int, dict]:
    scope = http_get_scope(path, [])
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

    await application(scope, receive, send)
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
    # request_started's receivers, the whole chain with the view and response.close(), all
    # in one: Django's handler made three hops, and in async mode each middleware's
    # process_request/process_response was one more (~15).
    assert hops == ["SyncChainASGIHandler._respond"]


# A view that notes which thread ran it, how many ran at once, and its database connection.
running = {"now": 0, "most": 0, "threads": set(), "connections": set()}
running_lock = threading.Lock()


def note_and_wait(request):
    with running_lock:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        running["threads"].add(threading.get_ident())
    connection.ensure_connection()
    running["connections"].add(id(connection.connection))
    time.sleep(0.05)
    with running_lock:
        running["now"] -= 1
    return JsonResponse({})


def slow(request):
    time.sleep(0.3)
    return JsonResponse({})


def streamed(request):
    async def parts():
        yield b"first "
        yield b"second"

    return StreamingHttpResponse(parts())


urlpatterns = [path("note/", note_and_wait), path("slow/", slow), path("streamed/", streamed)]


@pytest.mark.urls(__name__)
def test_requests_take_turns_on_a_fixed_set_of_threads_that_keep_their_connections(monkeypatch):
    pooled = bool(connection.settings_dict["OPTIONS"].get("pool"))  # PostgreSQL's pool hands out its own
    if not pooled:  # kept connections, as with FAST_REQUEST_THREADS on (its 0 makes them 0)
        monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    application = SyncChainASGIHandler(threads=2)

    async def twelve_at_once():
        return await asyncio.gather(*(asgi_get_async("/note/", application) for _ in range(12)))

    try:
        answers = asyncio.run(twelve_at_once())
    finally:
        handler_threads_stop(application)
    assert [status for status, _ in answers] == [200] * 12
    assert running["most"] == 2  # the other requests waited for a free thread
    assert len(running["threads"]) == 2
    if not pooled:
        assert len(running["connections"]) == 2  # one per thread, not one per request


async def take_in_turn(line: ThreadLine, name: str, order: list) -> None:
    thread = await line.take()
    order.append(name)
    await asyncio.sleep(0)  # the request's work
    line.give_back(thread)


def test_waiting_requests_get_a_thread_in_the_order_they_came():
    async def scenario():
        line = ThreadLine(["the one thread"], asyncio.get_running_loop())
        order = []
        held = await line.take()
        waiting = [asyncio.create_task(take_in_turn(line, name, order)) for name in ("first", "second")]
        await asyncio.sleep(0)  # both are in line
        # A request arriving as the thread is freed runs before the longest waiter wakes:
        # it must not take the thread from under it.
        late = asyncio.create_task(take_in_turn(line, "late", order))
        line.give_back(held)
        await asyncio.gather(*waiting, late)
        return order, list(line.free)

    order, free = asyncio.run(scenario())
    assert order == ["first", "second", "late"]
    assert free == ["the one thread"]


def test_a_request_cancelled_in_line_loses_no_thread():
    async def scenario():
        line = ThreadLine(["the one thread"], asyncio.get_running_loop())
        order = []
        held = await line.take()
        gone_while_waiting = asyncio.create_task(take_in_turn(line, "gone while waiting", order))
        gone_when_handed = asyncio.create_task(take_in_turn(line, "gone when handed", order))
        await asyncio.sleep(0)
        gone_while_waiting.cancel()
        await asyncio.sleep(0)
        line.give_back(held)  # skips the first, hands the thread to the second...
        gone_when_handed.cancel()  # ...which is cancelled before it runs
        await asyncio.gather(gone_while_waiting, gone_when_handed, return_exceptions=True)
        await asyncio.wait_for(take_in_turn(line, "next", order), timeout=1)
        return order, list(line.free)

    order, free = asyncio.run(scenario())
    assert order == ["next"]
    assert free == ["the one thread"]


async def asgi_exchange(application, path: str, *, leave_after: float | None = None) -> list:
    """The messages a GET of `path` sends, with "finished" where request_finished fired; the
    client disconnects `leave_after` seconds after its request when given."""
    messages = []

    def note_finished(sender, **kwargs):
        messages.append("finished")

    async def receive():
        if not messages or messages[0] != "asked":
            messages.insert(0, "asked")
            return {"type": "http.request", "body": b"", "more_body": False}
        if leave_after is not None:
            await asyncio.sleep(leave_after)
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()

    async def send(message):
        messages.append(
            message["type"].removeprefix("http.response.") + ":" + message.get("body", b"").decode()
        )

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip
    request_finished.connect(note_finished)
    try:
        await application(scope, receive, send)
    finally:
        request_finished.disconnect(note_finished)
    return messages[1:]


def exchange(path: str, **kwargs) -> list:
    application = SyncChainASGIHandler(threads=1)
    try:
        return asyncio.run(asgi_exchange(application, path, **kwargs))
    finally:
        handler_threads_stop(application)


@pytest.mark.urls(__name__)
def test_an_answer_in_memory_is_closed_once_before_it_is_sent():
    assert exchange("/note/") == ["finished", "start:", "body:{}"]


@pytest.mark.urls(__name__)
def test_a_streamed_answer_is_closed_once_after_its_last_part():
    messages = exchange("/streamed/")
    assert messages[0] == "start:" and messages[-1] == "finished"
    assert "".join(message.removeprefix("body:") for message in messages[1:-1]) == "first second"


@pytest.mark.urls(__name__)
def test_a_client_leaving_before_its_answer_gets_none_and_the_request_finishes_once():
    assert exchange("/slow/", leave_after=0.05) == ["finished"]
