"""Django's ASGI handler, with a request's synchronous work run in one hop on a reused thread.

Django under ASGI builds its middleware chain in async mode. Every view and every built-in
middleware here is synchronous, so each `process_request` / `process_response` and the view
became a `sync_to_async` hop between the event loop and the request's thread: about 15 per
request, which cost 3 ms of CPU on a bare view against 0.25 ms for the same view under WSGI
(docs/PERFORMANCE.md, "Load: realistic mix at 200 clients"). Built in sync mode, the chain
runs as under WSGI, in that one thread, entered once. Django's `handle` still made two more
hops around it, for `request_started`'s receivers and for `response.close()`: at about
160 µs of CPU each (a thread wakeup both ways), they were 0.35 ms of a bare view's 0.85.
Here `handle` makes one, and an answer held in memory is closed (`request_finished`) on the
thread before it is sent. It also drops its tasks once they are settled: a task's exception
holds `handle`'s frame in its traceback, and the frame held the tasks, a reference cycle
that kept every request for the garbage collector (BREAK_REQUEST_CYCLES, request_cycles.py).

Django also gives every request a new thread (asgiref's ThreadSensitiveContext), so a
database connection, which belongs to a thread, was opened and closed by every request.
Here a request borrows one of a fixed set of threads instead: its connection outlives the
request (CONN_MAX_AGE), and at most REQUEST_THREADS requests run Django code at once per
worker while the others wait their turn, in the order they came (ThreadLine), rather than
all piling onto the database.

Django's internals used here, and nowhere else (tests/test_library_internals.py pins them):

- `django.core.handlers.asgi.ASGIHandler`, subclassed: Django's public interface is
  `get_asgi_application()`, which returns one.
- `BaseHandler.load_middleware(is_async)`, overridden: `ASGIHandler.__init__` calls it with
  `is_async=True`; here the chain is built with `is_async=False`.
- `BaseHandler._middleware_chain`, replaced by the sync chain wrapped in one `sync_to_async`:
  `ASGIHandler.get_response_async` awaits `self._middleware_chain(request)`.
- `ASGIHandler.__call__` runs each request inside asgiref's `ThreadSensitiveContext()`, which
  the one here, with its own executor, must enclose.
- `ASGIHandler.handle`, overridden by a copy that calls `read_body`, `create_request`,
  `send_response` and `listen_for_disconnect` as Django's does; `_respond` copies
  `BaseHandler.get_response` and `ASGIHandler.run_get_response` (the response's
  `_resource_closers` and `_handler_class`, the handler's `chunk_size`). The tests pin the
  source of the three copied functions.

asgiref's `ThreadSensitiveContext(executor=...)` is public (asgiref 3.13).

Written against Django 5.2.19 and asgiref 3.13.0 (`WRITTEN_AGAINST`). The stock behaviour,
with FAST_REQUEST_THREADS=0: `django.core.asgi.get_asgi_application()`, a thread per request
and a hop per middleware (scrapbook/handlers.py chooses).
"""

import asyncio
import contextlib
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix, set_urlconf
from django.utils.log import log_response

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"Django": "5.2.19", "asgiref": "3.13.0"}


class SyncChainASGIHandler(ASGIHandler):
    """ASGIHandler whose middleware chain and views run synchronously on a reused thread.

    Each request still has one thread of its own for all its synchronous work, as under
    Django's handler, so thread-locals and connections behave as they did; the thread is
    taken from a fixed set and given back when the request ends. An async view would still
    work: Django's sync path runs it with `async_to_sync`.
    """

    def __init__(self, *, threads: int | None = None):
        super().__init__()
        self.thread_count = threads or settings.REQUEST_THREADS
        # One single-thread executor per thread, so a request's calls all land on its thread.
        self.threads = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-request-{number}")
            for number in range(self.thread_count)
        ]
        # Free threads per event loop: an asyncio.Queue belongs to the loop that waits on it.
        self._free_threads = weakref.WeakKeyDictionary()

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._sync_chain = self._middleware_chain
        self._middleware_chain = sync_to_async(self._sync_chain, thread_sensitive=True)

    async def handle(self, scope, receive, send):
        """Django's `ASGIHandler.handle`, with a request's synchronous work in one hop to its
        thread instead of three: `request_started`'s receivers, the middleware chain with the
        view, and, for an answer held in memory, `response.close()` (`request_finished`'s
        receivers, which give the database connection back) before it is sent rather than
        after. A streamed answer is closed after it is sent, as Django does."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            await signals.request_started.asend(sender=self.__class__, scope=scope)
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return
        closed_in_thread = []
        respond = sync_to_async(self._respond, thread_sensitive=True)

        async def process_request(request, send):
            response = await respond(request, scope, closed_in_thread)
            with contextlib.suppress(asyncio.CancelledError):  # the client left as it was sent
                await self.send_response(response, send)
            return response

        # As Django does: a client that disconnects while its answer is made cancels it.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done():
                    try:
                        task.result()
                    except RequestAborted:
                        pass
                    except AssertionError:
                        body_file.close()
                        raise
                else:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            try:
                response = tasks[1].result()
            except asyncio.CancelledError:
                # After the view's hop, on the same thread: request_finished, unless it closed.
                await sync_to_async(self._finish_unless_closed, thread_sensitive=True)(closed_in_thread)
            else:
                if not closed_in_thread:
                    await sync_to_async(response.close)()
            body_file.close()
        finally:
            if settings.BREAK_REQUEST_CYCLES:
                # A task's exception (the client's disconnect, a cancellation) holds this
                # frame in its traceback, and this frame the tasks: a cycle per request that
                # kept the request for the garbage collector (request_cycles.py).
                tasks.clear()
                task = None

    def _respond(self, request, scope, closed_in_thread: list):
        """On the request's thread: what Django's handle awaits in three hops, in one."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        # BaseHandler.get_response, with the synchronous chain.
        set_urlconf(settings.ROOT_URLCONF)
        response = self._sync_chain(request)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        # ASGIHandler.run_get_response.
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
            closed_in_thread.append(True)
        return response

    def _finish_unless_closed(self, closed_in_thread: list) -> None:
        if not closed_in_thread:
            signals.request_finished.send(sender=self.__class__)

    async def __call__(self, scope, receive, send):
        free_threads = self._free_threads_of_running_loop()
        thread = await free_threads.take()
        try:
            # Django's own ThreadSensitiveContext, inside this one, keeps this thread.
            async with ThreadSensitiveContext(executor=thread):
                await super().__call__(scope, receive, send)
        finally:
            free_threads.give_back(thread)

    def _free_threads_of_running_loop(self) -> "ThreadLine":
        loop = asyncio.get_running_loop()
        free_threads = self._free_threads.get(loop)
        if free_threads is None:
            free_threads = self._free_threads[loop] = ThreadLine(self.threads, loop)
        return free_threads


class ThreadLine:
    """The free threads of one event loop, handed to the requests waiting for one in the
    order they came. asyncio.Queue is not fair: a request arriving just as a thread is freed
    takes it before the longest waiter, woken for it, can, and that waiter goes back to the
    end of the line; under load, one request in a hundred waited twice the median."""

    def __init__(self, threads, loop: asyncio.AbstractEventLoop):
        self.free = deque(threads)
        self.waiting: deque[asyncio.Future] = deque()
        self.loop = loop

    async def take(self):
        if self.free and not self.waiting:
            return self.free.popleft()
        handed = self.loop.create_future()
        self.waiting.append(handed)
        try:
            return await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self.give_back(handed.result())  # handed over as the request was cancelled
            raise

    def give_back(self, thread) -> None:
        while self.waiting:
            handed = self.waiting.popleft()
            if not handed.done():  # a cancelled request's place is skipped
                handed.set_result(thread)
                return
        self.free.append(thread)
