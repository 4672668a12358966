"""One log line per request (issue #13).

uvicorn's access line is the one line of a request: Django's own line for a 4xx is dropped
(scrapbook/log_filters.py), a 5xx keeps it, with the traceback, once.
"""

import io
import logging
import subprocess
from contextlib import contextmanager

import pytest
import requests
from django.test import Client
from django.urls import path

from scrapbook.urls import urlpatterns as scrapbook_urlpatterns
from tests.servers import free_port, uvicorn_process

# (method, path, body, status): one request of each kind the issue names.
REQUESTS = [
    ("GET", "/api/movies/", None, 200),
    ("GET", "/api/no-such-thing/", None, 404),
    ("POST", "/api/auth/login/", "{", 400),  # a JSON body cut short
    ("GET", "/api/watchlist/", None, 401),  # no token
]


def send(url: str, method: str, path: str, body: str | None) -> int:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return requests.request(method, url + path, data=body, headers=headers, timeout=10).status_code


@contextmanager
def logging_server(tmp_path, *, workers: int = 1):
    """A server logging as `make serve` does (access log on, uvicorn at INFO): yield its
    URL, then, once it stopped, everything it wrote to stdout and stderr is in the file."""
    port = free_port()
    log_path = tmp_path / "server.log"
    with (
        open(log_path, "wb") as log,
        uvicorn_process(
            port=port,
            workers=workers,
            quiet=False,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
    ):
        yield f"http://127.0.0.1:{port}", log_path


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_a_request_is_one_log_line(tmp_path):
    with logging_server(tmp_path) as (url, log_path):
        for method, path, body, status in REQUESTS:
            assert send(url, method, path, body) == status
    lines = log_path.read_text().splitlines()
    for method, path, _, status in REQUESTS:
        # Django's "Not Found: /api/no-such-thing/" would name the path too.
        about_it = [line for line in lines if path in line]
        assert len(about_it) == 1, (path, lines)
        assert f'"{method} {path} HTTP/1.1" {status}' in about_it[0]
    assert not [line for line in lines if "django.request" in line], lines


def boom(request):
    raise RuntimeError("the view broke")


urlpatterns = [path("api/boom/", boom), *scrapbook_urlpatterns]


@contextmanager
def console_output(formatter: logging.Formatter | None = None):
    """What the console handler of settings.LOGGING writes, while the block runs."""
    (console,) = [handler for handler in logging.getLogger().handlers if handler.get_name() == "console"]
    output = io.StringIO()
    previous_stream, previous_formatter = console.setStream(output), console.formatter
    if formatter is not None:
        console.setFormatter(formatter)
    try:
        yield output
    finally:
        console.setStream(previous_stream)
        console.setFormatter(previous_formatter)


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug_mode(request, settings):
    settings.DEBUG = request.param


@pytest.mark.urls(__name__)
@pytest.mark.usefixtures("db", "debug_mode")
def test_django_logs_a_server_error_once_with_its_traceback_and_no_client_error():
    client = Client(raise_request_exception=False)
    with console_output() as output:
        assert client.get("/api/boom/").status_code == 500
        assert client.get("/api/no-such-thing/").status_code == 404
        assert client.get("/api/watchlist/").status_code == 401
        assert client.post("/api/auth/login/", "{", content_type="application/json").status_code == 400
        assert client.get("/api/health/", HTTP_HOST="evil.example").status_code == 400  # django.security
    text = output.getvalue()
    assert text.count("ERROR django.request: Internal Server Error: /api/boom/") == 1
    assert text.count("Traceback (most recent call last)") == 1
    assert text.rstrip().endswith("RuntimeError: the view broke")
    assert text.count(" WARNING ") == 0
    assert text.count(" ERROR ") == 1  # not the bad Host header's django.security line
