"""Background work: the one place that decides where a task runs.

`enqueue(task, *args)` runs a Celery task off the request path, once the current
transaction commits, so the task sees what the request wrote:

- with a broker (`CELERY_BROKER_URL`, which defaults to `REDIS_URL`), on a Celery worker
  (`make worker`); celery beat there runs the periodic tasks (`CELERY_BEAT_SCHEDULE`);
- without one, on a few daemon threads of this process (`BACKGROUND_THREADS`), and each
  server process runs the periodic tasks itself (`start_periodic_tasks`, from the ASGI
  lifespan), so `make run` needs no other service.

Tasks are thin and idempotent: each calls one service, which may run twice.
"""

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from functools import partial

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# How tasks retry what may pass by itself: exponential backoff with jitter, 1 s to 10 minutes.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_POLICY = {"retry_backoff": True, "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}

# Without a broker, at most this many tasks wait for a thread; past it, a task is dropped.
MAX_WAITING_TASKS = 100
# After the broker refused a task, tasks are dropped this long before trying it again, so an
# outage costs a request one connection timeout every few seconds, not one per request.
BROKER_RETRY_AFTER_SECONDS = 5.0


def enqueue(task: Task, *args, **kwargs) -> None:
    """Run `task(*args, **kwargs)` in the background once the current transaction commits.

    Never raises and never waits for the task: a task the broker or the threads cannot
    take is logged and dropped (what queues background work queues it again later).
    """
    job = partial(_dispatch, task, args, kwargs)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(job, robust=True)
    else:
        job()  # what on_commit does outside a transaction, without opening a connection


def wait_for_tasks(timeout: float | None = None) -> bool:
    """Wait until the tasks run by this process's threads are done; True if they were in time.

    For tests: the tasks a broker took are the worker's.
    """
    return _threads.wait_until_idle(timeout)


def _dispatch(task: Task, args: tuple, kwargs: dict) -> None:
    if settings.BACKGROUND_TASKS_IN_PROCESS:
        if not _threads.submit(partial(_run_here, task, args, kwargs)):
            logger.warning("%d background tasks are waiting: %s dropped", MAX_WAITING_TASKS, task.name)
        return
    _broker.publish(task, args, kwargs)


def _run_here(task: Task, args: tuple, kwargs: dict) -> None:
    try:
        task(*args, **kwargs)
    except getattr(task, "autoretry_for", ()) as error:
        # A worker would retry it later; here the next periodic run or page view does.
        logger.warning("Background task %s failed: %s", task.name, error)
    except Exception:
        logger.exception("Background task %s failed", task.name)
    finally:
        connections.close_all()  # this thread's connections, opened by the task


class _Broker:
    def __init__(self):
        self._lock = threading.Lock()
        self._down_until = 0.0

    def publish(self, task: Task, args: tuple, kwargs: dict) -> None:
        if self._down_until > time.monotonic():
            logger.info("Broker unreachable: %s dropped", task.name)
            return
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception as error:
            with self._lock:
                already_down = self._down_until > time.monotonic()
                self._down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
            if not already_down:
                logger.warning("Broker unreachable, %s dropped: %s", task.name, error)


class _Threads:
    """A few daemon threads that run background tasks one at a time each, without a broker.

    Daemon threads, so that a task never holds up the end of the process.
    """

    def __init__(self):
        self._waiting: queue.Queue[Callable[[], None]] = queue.Queue(maxsize=MAX_WAITING_TASKS)
        self._started = False
        self._unfinished = 0
        self._condition = threading.Condition()

    def submit(self, job: Callable[[], None]) -> bool:
        with self._condition:
            if not self._started:
                for number in range(max(1, settings.BACKGROUND_THREADS)):
                    threading.Thread(target=self._work, name=f"background-{number}", daemon=True).start()
                self._started = True
            try:
                self._waiting.put_nowait(job)
            except queue.Full:
                return False
            self._unfinished += 1
            return True

    def wait_until_idle(self, timeout: float | None) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self._unfinished == 0, timeout)

    def _work(self) -> None:
        while True:
            job = self._waiting.get()
            try:
                job()
            finally:
                with self._condition:
                    self._unfinished -= 1
                    self._condition.notify_all()


_broker = _Broker()
_threads = _Threads()


# Periodic tasks without a broker

_periodic: list[asyncio.Task] = []


async def start_periodic_tasks() -> None:
    """Without a broker, queue each task of CELERY_BEAT_SCHEDULE at its interval, from now on.

    With a broker celery beat does it, once for the deployment, and the server does not.
    """
    if not settings.BACKGROUND_TASKS_IN_PROCESS or _periodic:
        return
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = import_string(entry["task"])
        _periodic.append(asyncio.create_task(_every(float(entry["schedule"]), task), name=name))


async def stop_periodic_tasks() -> None:
    while _periodic:
        periodic = _periodic.pop()
        periodic.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await periodic


async def _every(seconds: float, task: Task) -> None:
    while True:
        await asyncio.to_thread(enqueue, task)
        await asyncio.sleep(seconds)
