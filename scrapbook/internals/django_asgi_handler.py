"""Django's ASGI handler, with the middleware chain run in one hop on a reused request thread.

Django under ASGI builds its middleware chain in async mode. Every view and every built-in
middleware here is synchronous, so each `process_request` / `process_response` and the view
became a `sync_to_async` hop between the event loop and the request's thread: about 15 per
request, which cost 3 ms of CPU on a bare view against 0.25 ms for the same view under WSGI
(docs/PERFORMANCE.md, "Load: realistic mix at 200 clients"). Built in sync mode, the chain
runs as under WSGI, in that one thread, entered once.

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

asgiref's `ThreadSensitiveContext(executor=...)` is public (asgiref 3.13).

Written against Django 5.2.19 and asgiref 3.13.0 (`WRITTEN_AGAINST`). The stock behaviour,
with FAST_REQUEST_THREADS=0: `django.core.asgi.get_asgi_application()`, a thread per request
and a hop per middleware (scrapbook/handlers.py chooses).
"""

import asyncio
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

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
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

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
