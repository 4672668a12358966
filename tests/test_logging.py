"""One log line per request, and LOG_FORMAT=json (issue #13).

uvicorn's access line is the one line of a request: Django's own line for a 4xx is dropped
(scrapbook/log_filters.py), a 5xx keeps it, with the traceback, once. With LOG_FORMAT=json
every line a server writes, uvicorn's own included, is one JSON object.
"""

import io
import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
import requests
from django.test import Client
from django.urls import path

from scrapbook.log_format import JsonFormatter, log_format
from scrapbook.serve import uvicorn_arguments
from scrapbook.urls import urlpatterns as scrapbook_urlpatterns
from tests.servers import BASE_DIR, free_port, uvicorn_process

SECRET = "eyJhbGciOiJIUzI1NiJ9.secret-token-never-logged.sig"

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
def logging_server(tmp_path, *, workers: int = 1, log_format: str = "plain"):
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
            extra_env={"LOG_FORMAT": log_format},
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


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_json_logs_are_one_object_a_line_from_every_process(tmp_path):
    """Two workers: the supervisor's lines are uvicorn's alone, never Django's."""
    with logging_server(tmp_path, workers=2, log_format="json") as (url, log_path):
        for method, path, body, status in REQUESTS:
            assert send(url, method, path, body) == status
        assert send(url, "GET", f"/api/movies/?token={SECRET}&page=1", None) == 200
    text = log_path.read_text()
    assert SECRET not in text
    records = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    for record in records:
        assert {"time", "level", "logger", "message", "pid"} <= record.keys()
    assert {record["logger"] for record in records} == {"uvicorn.error", "uvicorn.access"}
    assert {record["level"] for record in records} == {"INFO"}
    assert len({record["pid"] for record in records}) == 3  # the supervisor and two workers
    access = [record for record in records if record["logger"] == "uvicorn.access"]
    # The first is the readiness check of uvicorn_process, then one per request.
    assert sorted((r["method"], r["path"], r["status"]) for r in access) == sorted(
        [("GET", "/api/health/", 200)]
        + [(method, path, status) for method, path, _, status in REQUESTS]
        + [("GET", "/api/movies/?token=[redacted]&page=1", 200)]
    )
    for record in access:
        assert record["client"].startswith("127.0.0.1:")
        assert record["http_version"] == "1.1"


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


@pytest.mark.urls(__name__)
@pytest.mark.usefixtures("db")
def test_a_server_error_in_json_is_one_line_with_its_traceback():
    client = Client(raise_request_exception=False)
    with console_output(JsonFormatter()) as output:
        assert client.get("/api/boom/?token=" + SECRET).status_code == 500
    (line,) = output.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR"
    assert record["logger"] == "django.request"
    assert record["message"] == "Internal Server Error: /api/boom/"
    assert (record["status"], record["method"], record["path"]) == (500, "GET", "/api/boom/")
    assert record["exception"].startswith("Traceback (most recent call last)")
    assert record["exception"].endswith("RuntimeError: the view broke")
    assert SECRET not in line


def test_json_access_fields_redact_credentials_even_without_the_filter():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5000", "GET", f"/socket.io/?EIO=4&transport=polling&token={SECRET}", "1.1", 200),
        None,
    )  # fmt: skip
    record = json.loads(JsonFormatter().format(record))
    assert record["path"] == "/socket.io/?EIO=4&transport=polling&token=[redacted]"
    assert record["message"] == (
        '10.0.0.7:5000 - "GET /socket.io/?EIO=4&transport=polling&token=[redacted] HTTP/1.1" 200'
    )
    assert (record["client"], record["method"], record["status"]) == ("10.0.0.7:5000", "GET", 200)


def test_json_format_hands_uvicorn_the_json_log_config_unless_given_one():
    assert "--log-config" not in uvicorn_arguments([], environ={})
    assert "--log-config" not in uvicorn_arguments([], environ={"LOG_FORMAT": "plain"})
    arguments = uvicorn_arguments([], environ={"LOG_FORMAT": "JSON"})
    assert arguments[arguments.index("--log-config") + 1].endswith("scrapbook/uvicorn_json_logging.json")
    arguments = uvicorn_arguments(["--log-config", "mine.json"], environ={"LOG_FORMAT": "json"})
    assert arguments.count("--log-config") == 1 and arguments[-1] == "mine.json"


def test_an_unknown_log_format_stops_the_server_and_manage_py():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of plain, json"):
        log_format({"LOG_FORMAT": "xml"})
    env = {**os.environ, "LOG_FORMAT": "xml"}
    for command in (["-m", "scrapbook.serve"], ["manage.py", "check"]):
        result = subprocess.run(
            [sys.executable, *command], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode != 0
        assert "LOG_FORMAT must be one of plain, json, not 'xml'." in result.stderr
