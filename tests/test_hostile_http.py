"""What a hostile HTTP client tries against a real server, and what it gets (issue #12).

Each test runs against uvicorn as `make run` starts it (scrapbook/serve.py), with one
worker and with two, on whichever database and cache the suite runs on.
"""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from authentication.tests.factories import PASSWORD, UserFactory
from tests import servers
from tests.servers import BASE_DIR, free_port, uvicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

WORKERS = [1, 2]


def stalled_post(port: int, path: str = "/api/auth/login/") -> socket.socket:
    """A connection that sent a POST's headers, announcing 100,000 bytes, and one byte of body."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100000\r\n\r\n{".encode()
    )
    return connection


def read_response(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize("workers", WORKERS)
def test_stalled_request_bodies_do_not_take_the_api_down(workers):
    with uvicorn_server(workers=workers, extra_env={"REQUEST_BODY_TIMEOUT_SECONDS": "60"}) as url:
        port = int(url.rsplit(":", 1)[1])
        stalled = [stalled_post(port) for _ in range(16)]
        try:
            time.sleep(0.5)  # let every stalled request reach the application
            for _ in range(5):
                started = time.monotonic()
                response = requests.get(f"{url}/api/health/", timeout=5)
                assert response.status_code == 200
                assert time.monotonic() - started < 1.0
            assert requests.get(f"{url}/api/movies/", timeout=5).status_code == 200
        finally:
            for connection in stalled:
                connection.close()


def test_a_body_that_does_not_arrive_in_time_is_a_408_and_the_connection_closes():
    with uvicorn_server(extra_env={"REQUEST_BODY_TIMEOUT_SECONDS": "1"}) as url:
        connection = stalled_post(int(url.rsplit(":", 1)[1]))
        started = time.monotonic()
        answer = read_response(connection)  # returns only once the server closes
        connection.close()
    assert time.monotonic() - started < 10
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert b"application/json" in head
    assert body == b'{"detail": "The request body did not arrive in time."}'


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_a_413_in_json(announced):
    user_count = UserFactory._meta.model.objects.count()
    body = b'{"username": "' + b"a" * 3_000_000 + b'", "email": "a@example.com", "password": "x"}'
    with uvicorn_server() as url:
        payload = body if announced else iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
        response = requests.post(
            f"{url}/api/auth/register/",
            data=payload,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    assert response.status_code == 413
    assert response.json() == {"detail": f"The request body is larger than {2_621_440} bytes."}
    assert UserFactory._meta.model.objects.count() == user_count


@pytest.mark.parametrize("workers", WORKERS)
def test_x_forwarded_for_does_not_reset_the_login_throttle(workers):
    user = UserFactory()
    env = {"AUTH_THROTTLE_RATE": "1000/minute", "LOGIN_FAILURE_LIMIT": "10"}
    with uvicorn_server(workers=workers, extra_env=env) as url:
        statuses = [
            requests.post(
                f"{url}/api/auth/login/",
                json={"username": user.username, "password": "wrong"},
                headers={"X-Forwarded-For": f"203.0.113.{attempt}", "X-Real-IP": f"198.51.100.{attempt}"},
                timeout=10,
            ).status_code
            for attempt in range(30)
        ]
        right = requests.post(
            f"{url}/api/auth/login/",
            json={"username": user.username, "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.77"},
            timeout=10,
        )
    assert statuses[:9] == [401] * 9
    assert set(statuses[10:]) == {429}
    assert right.status_code == 429
    assert right.json() == {"detail": "Too many failed login attempts. Try again later."}
    assert "access" not in right.json()


def test_trusted_proxies_setting_reaches_uvicorn():
    from scrapbook.serve import uvicorn_arguments

    assert "--no-proxy-headers" in uvicorn_arguments([], environ={})
    arguments = uvicorn_arguments([], environ={"TRUSTED_PROXIES": "10.0.0.5"})
    assert "--no-proxy-headers" not in arguments
    assert arguments[arguments.index("--forwarded-allow-ips") + 1] == "10.0.0.5"


def test_the_access_log_never_shows_a_token(tmp_path):
    port = free_port()
    log_path = tmp_path / "server.log"
    command = [sys.executable, "-m", "scrapbook.serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, **servers.test_server_environment(), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/api/health/", timeout=2)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.05)
            secret = "eyJhbGciOiJIUzI1NiJ9.secret-token-never-logged.sig"
            requests.get(
                f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling&token={secret}", timeout=5
            )
            requests.get(f"http://127.0.0.1:{port}/api/movies/?token={secret}&page=1", timeout=5)
        finally:
            process.terminate()
            process.wait(timeout=10)
    log_text = log_path.read_text()
    assert "/socket.io/?EIO=4&transport=polling&token=[redacted]" in log_text
    assert "secret-token-never-logged" not in log_text


def test_production_refuses_the_development_signing_key():
    from scrapbook.settings import DEVELOPMENT_SECRET_KEY

    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "p" * 60,
        "DJANGO_ALLOWED_HOSTS": "scrapbook.example.com",
        "JWT_SIGNING_KEY": DEVELOPMENT_SECRET_KEY,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be 50+ characters, and not the development key" in result.stderr
    env["DJANGO_SECRET_KEY"] = DEVELOPMENT_SECRET_KEY + "x" * 20
    env.pop("JWT_SIGNING_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "not the development key" in result.stderr


def test_many_slow_clients_and_a_flood_leave_health_answering():
    """Stalled bodies, then 400 quick requests from 16 threads: every request is answered."""
    with uvicorn_server(extra_env={"REQUEST_BODY_TIMEOUT_SECONDS": "60"}) as url:
        port = int(url.rsplit(":", 1)[1])
        stalled = [stalled_post(port, "/api/watchlist/") for _ in range(16)]
        try:
            with ThreadPoolExecutor(16) as pool:
                statuses = list(
                    pool.map(lambda _: requests.get(f"{url}/api/health/", timeout=10).status_code, range(400))
                )
        finally:
            for connection in stalled:
                connection.close()
    assert statuses == [200] * 400
