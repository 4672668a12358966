"""`python -m scrapbook.serve --workers N`: the connections shared evenly by the workers."""

import os
import socket
import time
from pathlib import Path

import pytest

from scrapbook.internals import uvicorn_reuse_port
from tests.servers import free_port, uvicorn_process

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BURST = 200


def workers_of(supervisor: int) -> list[int]:
    """The uvicorn worker processes (multiprocessing's spawned children) of `supervisor`."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


ESTABLISHED, LISTENING = "01", "0A"  # TCP states as /proc/net/tcp writes them


def socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets in `state` whose local port is `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def wait_until_each_listens(workers: list[int], port: int) -> None:
    """The server answers once one worker listens; the other may still be starting."""
    deadline = time.monotonic() + 30
    while not all(connections_held(worker, socket_inodes(port, LISTENING)) for worker in workers):
        assert time.monotonic() < deadline, "a worker never listened"
        time.sleep(0.05)


def connections_held(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


def burst_of_connections(port: int) -> list[socket.socket]:
    """BURST clients connecting at once, each answered once over its kept-alive connection."""
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(BURST)]
    for client in clients:
        client.sendall(b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    for client in clients:
        assert client.recv(65536).startswith(b"HTTP/1.1 ")
    return clients


def test_two_workers_share_a_burst_of_connections_evenly():
    port = free_port()
    with uvicorn_process(port=port, workers=2) as supervisor:
        workers = workers_of(supervisor.pid)
        assert len(workers) == 2
        wait_until_each_listens(workers, port)
        # With one shared socket, a burst went mostly to the worker that woke first: 33 and
        # 167, 40 and 160, sometimes 100 and 100. With a socket each, 97 to 103 each.
        for _ in range(3):
            clients = burst_of_connections(port)
            try:
                inodes = socket_inodes(port, ESTABLISHED)
                held = sorted(connections_held(worker, inodes) for worker in workers)
                assert sum(held) == BURST
                assert held[0] >= 0.35 * BURST, held
            finally:
                for client in clients:
                    client.close()


def test_the_setting_at_0_keeps_uvicorns_one_shared_socket():
    assert uvicorn_reuse_port.wanted({"SERVE_REUSE_PORT": "0"}) is False
    assert uvicorn_reuse_port.wanted({}) is uvicorn_reuse_port.supported()


@pytest.mark.parametrize("workers, per_worker", [(2, True), (1, False)])
def test_only_several_workers_get_a_socket_each(monkeypatch, workers, per_worker):
    from uvicorn.config import Config

    monkeypatch.setattr(Config, "bind_socket", Config.bind_socket)  # undone after the test
    assert uvicorn_reuse_port.install({}) is uvicorn_reuse_port.supported()
    assert uvicorn_reuse_port.install({}) is False  # once
    config = Config("scrapbook.asgi:application", host="127.0.0.1", port=0, workers=workers)
    sock = config.bind_socket()
    try:
        assert isinstance(sock, uvicorn_reuse_port.SocketPerWorker) is (
            per_worker and uvicorn_reuse_port.supported()
        )
    finally:
        sock.close()
