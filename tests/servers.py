"""Real servers for tests: uvicorn processes serving Scrapbook against the test database."""

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_environment() -> dict[str, str]:
    """Environment that points a child process at the database the tests are using."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": name}
    parts = urlsplit(settings.DATABASE_URL)
    return {"DATABASE_URL": urlunsplit(parts._replace(path="/" + name))}


def test_server_environment() -> dict[str, str]:
    """Environment of a server or worker the tests start: the test database, and the tests'
    settings (tests/server_settings.py)."""
    return {**test_database_environment(), "DJANGO_SETTINGS_MODULE": "tests.server_settings"}


def wait_until_serving(
    url: str, process: subprocess.Popen, path: str = "/api/health/", deadline_seconds: float = 30
) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with code {process.returncode}")
        try:
            requests.get(url + path, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered at {url} in {deadline_seconds} s")


@contextmanager
def serving(command: list[str], *, env: dict, url: str, ready_path: str = "/api/health/", **popen):
    """Run a server process until the block ends, once `url + ready_path` answers."""
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, **popen)
    try:
        wait_until_serving(url, process, ready_path)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def uvicorn_command(*, port: int, workers: int = 1, quiet: bool = True) -> list[str]:
    """uvicorn serving Scrapbook on 127.0.0.1:`port`; `quiet`: uvicorn logs warnings only,
    with no access log, else as `make serve` does."""
    logs = ["--log-level", "warning", "--no-access-log"] if quiet else []
    return [
        sys.executable, "-m", "scrapbook.serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), *logs, "--timeout-graceful-shutdown", "3",
    ]  # fmt: skip


@contextmanager
def uvicorn_server(*, port: int | None = None, workers: int = 1, extra_env: dict | None = None):
    """Run `uvicorn scrapbook.asgi:application` in a child process; yield its base URL."""
    port = port or free_port()
    with uvicorn_process(port=port, workers=workers, extra_env=extra_env):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def uvicorn_process(
    *, port: int, workers: int = 1, extra_env: dict | None = None, quiet: bool = True, **popen
):
    """Run `uvicorn scrapbook.asgi:application` on `port`; yield its subprocess.Popen, which
    is the server itself with one worker (a test may kill it). `quiet` as uvicorn_command's;
    `popen` goes to Popen."""
    # A model folder of its own: a folder named after the port alone could hold what an
    # earlier server on that port, in this run or another, left there.
    with tempfile.TemporaryDirectory(prefix=f"scrapbook-test-model-{port}-") as model_dir:
        env = {
            **os.environ,
            **test_server_environment(),
            "AUTH_THROTTLE_RATE": "10000/minute",
            "RECOMMENDER_AUTO_REFIT": "0",
            "RECOMMENDER_MODEL_DIR": model_dir,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        command = uvicorn_command(port=port, workers=workers, quiet=quiet)
        with serving(command, env=env, url=f"http://127.0.0.1:{port}", **popen) as process:
            yield process


class CeleryWorker:
    """A Celery worker process the tests started, and what it logged."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, *, count: int = 1, deadline_seconds: float = 30) -> None:
        """Wait until the worker logged `text` at least `count` times."""
        deadline = time.monotonic() + deadline_seconds
        while self.log().count(text) < count:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with code {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not log {text!r} {count} times in time:\n{self.log()}")
            time.sleep(0.05)

    def results(self, task_name: str) -> list[str]:
        """What each successful run of this task returned, in order, as the worker logged it."""
        pattern = rf"Task {re.escape(task_name)}\[[^\]]+\] succeeded in \S+s: (.*)"
        return re.findall(pattern, self.log())

    def wait_for_results(self, task_name: str, *, count: int, deadline_seconds: float = 30) -> list[str]:
        """Wait until this task succeeded `count` times; return what it returned."""
        deadline = time.monotonic() + deadline_seconds
        while len(results := self.results(task_name)) < count:
            if "Received unregistered task" in self.log() or "raised unexpected" in self.log():
                raise RuntimeError(f"a task failed:\n{self.log()}")
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with code {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{task_name} did not succeed {count} times in time:\n{self.log()}")
            time.sleep(0.05)
        return results

    def pool_processes(self) -> list[int]:
        """The pids of the prefork pool's processes, the worker's children."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def kill(self) -> None:
        """SIGKILL the worker and every process it started: a crash, nothing cleaned up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def celery_worker_command(*, pool: str = "solo", beat: bool = False) -> list[str]:
    """`make worker`'s command, one task at a time, without the chatter between workers."""
    command = [
        sys.executable, "-m", "celery", "-A", "scrapbook", "worker", "--loglevel=INFO",
        f"--pool={pool}", "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
        f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
    ]  # fmt: skip
    return [*command, "--beat"] if beat else command


@contextmanager
def celery_worker(*, log_path: Path, pool: str = "solo", beat: bool = False, extra_env: dict | None = None):
    """Run a Celery worker on the test database and the environment's broker until the block
    ends; yield a CeleryWorker once it is consuming."""
    env = {
        **os.environ,
        **test_server_environment(),
        "RECOMMENDER_AUTO_REFIT": "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            celery_worker_command(pool=pool, beat=beat),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, pool and beat included
        )
    worker = CeleryWorker(process, log_path)
    try:
        worker.wait_for_log(" ready.")
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()  # a warm shutdown: the task at hand finishes
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        worker.kill()


def http_get_scope(
    url: str, headers: list[tuple[bytes, bytes]], *, host: str = "testserver", method: str = "GET"
) -> dict:
    """The ASGI scope of a GET (or `method`) of `url` (a path and query) sent with `headers`."""
    parts = urlsplit(url)
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", host.encode()), *headers],
        "client": ("127.0.0.1", 40000),
        "server": (host, 80),
    }


async def asgi_get(
    application, url: str, token: str | None = None, *, host: str = "testserver", stays: bool = False
) -> tuple[int, bytes]:
    """One GET of `url` through the ASGI `application` in this process: (status, body). The
    client leaves once answered, as a client of uvicorn appears to Django then (`receive`
    says http.disconnect), unless it `stays` connected."""
    return await asgi_request(application, "GET", url, token, host=host, stays=stays)


async def asgi_request(
    application,
    method: str,
    url: str,
    token: str | None = None,
    body: bytes = b"",
    *,
    host: str = "testserver",
    stays: bool = False,
) -> tuple[int, bytes]:
    """One request through the ASGI `application` in this process, `body` sent as JSON:
    (status, answer), as `asgi_get`."""
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    sent, answered, asked = [], asyncio.Event(), []

    async def receive():
        if not asked:
            asked.append(True)
            return {"type": "http.request", "body": body, "more_body": False}
        if stays:
            await asyncio.Event().wait()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    await application(http_get_scope(url, headers, host=host, method=method), receive, send)
    status = next(message["status"] for message in sent if message["type"] == "http.response.start")
    answer = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return status, answer
