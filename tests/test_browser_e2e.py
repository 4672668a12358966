"""The frontend's way in, in a real browser: headless Chromium on a page from the frontend's
origin registers, logs in, adds to the watchlist and chats in a movie room through Axios and
the socket.io-client browser bundle, cross-origin against a real uvicorn (CORS included).

The page and its script are tests/e2e/; tests/e2e/browser_flow.mjs drives Chromium with
playwright-core (installed in tests/js) and prints what the page saw as JSON.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager, suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
import requests
from django.contrib.auth import get_user_model

from chat.models import Message
from chat.tests.conftest import skip_or_fail
from movie_module.models import WatchlistItem
from movie_module.tests.factories import MovieFactory
from tests.servers import free_port, uvicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

BASE_DIR = Path(__file__).resolve().parent.parent
E2E_DIR = BASE_DIR / "tests" / "e2e"
NODE_MODULES = BASE_DIR / "tests" / "js" / "node_modules"
FRONTEND_PORT = 3000  # the Next.js dev server's, and the default CORS_ALLOWED_ORIGINS
DRIVER_TIMEOUT_SECONDS = 60
PASSWORD = "correct-horse-battery-staple-9"

# What the static frontend server serves: the page, its script and the npm packages'
# browser bundles.
STATIC_FILES = {
    "/": (E2E_DIR / "index.html", "text/html; charset=utf-8"),
    "/app.js": (E2E_DIR / "app.js", "text/javascript; charset=utf-8"),
    "/vendor/axios.min.js": (NODE_MODULES / "axios" / "dist" / "axios.min.js", "text/javascript"),
    "/vendor/socket.io.min.js": (
        NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js",
        "text/javascript",
    ),
}


@pytest.fixture(scope="module")
def chromium():
    """The system Chromium, or a skip naming why there is none."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip(
            f"Chromium is not installed at {path}: `make test` installs Debian's chromium "
            "(`make browser`) where it runs as root with apt-get, and says why when it cannot; "
            "set CHROMIUM_PATH to use another Chromium"
        )
    return path


@pytest.fixture(scope="module")
def node():
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is not installed")
    for package in ("playwright-core", "axios", "socket.io-client"):
        if not (NODE_MODULES / package).is_dir():
            skip_or_fail(f"{package} is not installed: run `make test` or `cd tests/js && npm ci`")
    return node


class StaticFrontend(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path not in STATIC_FILES:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        file, content_type = STATIC_FILES[path]
        body = file.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def nothing_listens_on_ipv6_loopback(port: int) -> bool:
    # The browser tries ::1 for `localhost` too; another server there would answer instead.
    with socket.socket(socket.AF_INET6) as probe, suppress(OSError):
        probe.settimeout(0.5)
        probe.connect(("::1", port))
        return False
    return True


@contextmanager
def static_frontend():
    """Serve tests/e2e on port 3000 (another free port when 3000 is taken); yield the port."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", FRONTEND_PORT), StaticFrontend)
        if not nothing_listens_on_ipv6_loopback(FRONTEND_PORT):
            server.server_close()
            raise OSError(f"[::1]:{FRONTEND_PORT} is in use")
    except OSError as error:
        print(f"\nport {FRONTEND_PORT} is taken ({error}); the page gets another port", file=sys.stderr)
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), StaticFrontend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def api_server(frontend_origin: str):
    """A real uvicorn whose CORS allows the frontend's origin; with REDIS_URL set, its keys
    and pub/sub channel are this test's own and are deleted afterwards."""
    env = {}
    if frontend_origin != f"http://localhost:{FRONTEND_PORT}" or "CORS_ALLOWED_ORIGINS" in os.environ:
        env["CORS_ALLOWED_ORIGINS"] = frontend_origin
    redis_url = os.environ.get("REDIS_URL")
    namespace = f"scrapbook-e2e-{uuid.uuid4().hex[:10]}"
    if redis_url:
        env.update(CACHE_KEY_PREFIX=namespace, SOCKETIO_CHANNEL=namespace)
    try:
        with uvicorn_server(extra_env=env) as url:
            yield url
    finally:
        if redis_url:
            with redis.Redis.from_url(redis_url) as client:
                keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
                if keys:
                    client.delete(*keys)


def preflight(api_url: str, origin: str) -> requests.Response:
    """The CORS preflight a browser sends before Axios's JSON POST with a bearer token."""
    return requests.options(
        api_url + "/api/watchlist/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=5,
    )


def run_browser_flow(node: str, chromium: str, config: dict) -> dict:
    try:
        finished = subprocess.run(
            [node, str(E2E_DIR / "browser_flow.mjs"), json.dumps(config)],
            capture_output=True,
            text=True,
            timeout=DRIVER_TIMEOUT_SECONDS,
            env={**os.environ, "CHROMIUM_PATH": chromium},
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the browser flow did not finish in {DRIVER_TIMEOUT_SECONDS} s: {error.stderr}")
    assert finished.returncode == 0, f"stdout: {finished.stdout}\nstderr: {finished.stderr}"
    report = json.loads(finished.stdout)
    print(json.dumps(report, indent=1))  # shown when an assertion below fails
    return report


def test_frontend_page_registers_logs_in_adds_to_watchlist_and_chats_across_two_browsers(chromium, node):
    movie = MovieFactory(title="The Browser Test")
    room = f"movie:{movie.imdb_id}"
    alice, bob = (
        {"username": f"e2e_{name}", "email": f"{name}@example.com", "password": PASSWORD}
        for name in ("alice", "bob")
    )

    with static_frontend() as frontend_port:
        frontend_origin = f"http://localhost:{frontend_port}"
        unlisted_origin = f"http://127.0.0.1:{frontend_port}"
        with api_server(frontend_origin) as api_url:
            allowed, refused = preflight(api_url, frontend_origin), preflight(api_url, unlisted_origin)
            assert allowed.status_code == 200
            assert allowed.headers["Access-Control-Allow-Origin"] == frontend_origin
            assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
            assert "Access-Control-Allow-Origin" not in refused.headers

            report = run_browser_flow(
                node,
                chromium,
                {
                    "pageUrl": frontend_origin + "/",
                    "unlistedPageUrl": unlisted_origin + "/",
                    "apiOrigin": api_url,
                    "imdbId": movie.imdb_id,
                    "room": room,
                    "users": [alice, bob],
                },
            )

    assert report["page_errors"] == []
    # Only the page on the unlisted origin may see errors (CORS refusals), and the page with
    # the bad token a 400: after refusing the handshake the server forgets the session, and a
    # polling request already on its way is answered "Bad Request".
    expected = ("unlisted:", "refused: Failed to load resource: the server responded with a status of 400")
    assert [line for line in report["console_errors"] if not line.startswith(expected)] == []
    a, b = report["a"], report["b"]
    everyone = sorted([alice["username"], bob["username"]])

    # REST through Axios, cross-origin, with the bearer token.
    for user, seen in ((alice, a), (bob, b)):
        assert seen["register"]["status"] == 201
        assert seen["register"]["data"]["username"] == user["username"]
        assert seen["login"] == {"status": 200, "keys": ["access", "refresh"]}
        assert seen["me"]["status"] == 200
        assert seen["me"]["data"]["username"] == user["username"]
    assert a["add_to_watchlist"]["status"] == 201
    assert a["add_to_watchlist"]["data"]["movie"]["imdb_id"] == movie.imdb_id
    assert a["add_again"]["status"] == 200
    assert a["add_again"]["data"]["id"] == a["add_to_watchlist"]["data"]["id"]
    assert a["watchlist"]["status"] == 200
    assert a["watchlist"]["data"]["count"] == 1
    [item] = a["watchlist"]["data"]["results"]
    assert item["movie"]["imdb_id"] == movie.imdb_id
    assert item["movie"]["title"] == "The Browser Test"
    assert item["watched"] is False

    # Socket.IO: A with the defaults (polling, then the upgrade), B over websocket only.
    # (The upgrade may finish before or after the connect event, so its transport varies.)
    assert a["connect"]["connected"] is True
    assert a["connect"]["first_transport"] == "polling"
    assert a["upgraded_to"] == "websocket"
    assert a["upgrades"] == ["websocket"]
    assert a["transport_at_end"] == "websocket"
    assert b["connect"] == {"connected": True, "first_transport": "websocket", "transport": "websocket"}
    assert b["upgrades"] == []
    assert b["transport_at_end"] == "websocket"

    assert a["join"]["ok"] is True
    assert a["join"]["room"] == room
    assert a["join"]["members"] == [alice["username"]]
    assert a["join"]["history"] == []
    assert b["join"]["ok"] is True
    assert b["join"]["members"] == everyone
    assert a["presence"] == {"room": room, "users": everyone}
    assert b["presence"] == {"room": room, "users": everyone}

    assert a["sent"]["ok"] is True
    assert b["received"] == a["sent"]["message"]
    assert b["received"]["text"] == f"hello from {alice['username']} over websocket"
    assert b["received"]["user"]["username"] == alice["username"]
    assert b["sent"]["ok"] is True
    assert a["received"] == b["sent"]["message"]
    assert a["received"]["text"] == f"hello from {bob['username']} over websocket"
    assert b["typing"] == {"ok": True, "room": room}
    assert a["typing"]["room"] == room
    assert a["typing"]["user"]["username"] == bob["username"]

    # Refusals: a bad token on both transports, and a page on an origin the API does not list.
    assert report["bad_token"]["default"] == {"connected": False, "error": "authentication failed"}
    assert report["bad_token"]["websocket"] == {"connected": False, "error": "authentication failed"}
    stranger = report["unlisted_origin"]
    assert stranger["origin"] == unlisted_origin
    assert stranger["register"] == {"status": None, "error": "ERR_NETWORK"}
    assert stranger["connect"]["connected"] is False

    # What the browsers did is stored, once.
    users = get_user_model().objects.filter(username__startswith="e2e_")
    assert sorted(users.values_list("username", flat=True)) == everyone
    assert not get_user_model().objects.filter(username="stranger").exists()
    assert list(WatchlistItem.objects.values_list("user__username", "movie__imdb_id")) == [
        (alice["username"], movie.imdb_id)
    ]
    assert list(Message.objects.order_by("id").values_list("room", "user__username", "text")) == [
        (room, alice["username"], b["received"]["text"]),
        (room, bob["username"], a["received"]["text"]),
    ]
