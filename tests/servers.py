"""Real servers for tests: uvicorn processes serving Scrapbook against the test database."""

import os
import socket
import subprocess
import sys
import tempfile
import time
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
    env = {
        **os.environ,
        **test_database_environment(),
        "AUTH_THROTTLE_RATE": "10000/minute",
        "RECOMMENDER_AUTO_REFIT": "0",
        "RECOMMENDER_MODEL_DIR": str(Path(tempfile.gettempdir()) / f"scrapbook-test-model-{port}"),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = uvicorn_command(port=port, workers=workers, quiet=quiet)
    with serving(command, env=env, url=f"http://127.0.0.1:{port}", **popen) as process:
        yield process
