"""With `--workers N`, each uvicorn worker listens on a socket of its own (SO_REUSEPORT), so
that the kernel spreads new connections evenly over the workers.

Stock uvicorn binds one socket in its supervisor and every worker accepts from it. A burst
of connections (200 clients arriving together, a proxy opening its keep-alive pool) goes
mostly to whichever worker wakes first, since uvloop accepts every pending connection at
once: 141 of 200 on one of two workers in bench/load.py. Keep-alive connections then stay
where they landed, and that worker's clients wait twice as long as the other's. With a
socket each, bound to the same address with SO_REUSEPORT, the kernel hashes each new
connection to one of the listening sockets (Linux 3.9+). Only a process of the same
user can bind beside them: Linux keeps a SO_REUSEPORT group to one effective user id.

uvicorn's internals used here, and nowhere else (tests/test_library_internals.py pins them):

- `uvicorn.main.run`, given `workers > 1`, calls `Config.bind_socket()` once in the
  supervisor and hands the socket to `Multiprocess`, which passes it to each worker it
  spawns by pickling it (multiprocessing's spawn context).
- The supervisor never listens on that socket; each worker's server does.

The wrapped `bind_socket` lets uvicorn bind (its messages and its exit on a taken port
stay), then swaps the socket for one with SO_REUSEPORT at the same address, which the
supervisor keeps (the port stays reserved, and no connection is queued to it, since it
never listens) and which each worker, unpickling it, replaces with a socket of its own
bound there too. A Unix socket, `--fd`, one worker, or a system without SO_REUSEPORT keep
the stock socket. A worker that dies drops the connections still waiting in its own
queue, which a shared socket would have kept for the others.

uvicorn's own option for this is proposed in pull request Kludex/uvicorn#2472 (open),
which pickles the socket the same way (docs/UPSTREAM.md).

Written against uvicorn 0.54.0 (`WRITTEN_AGAINST`). The stock behaviour, with
SERVE_REUSE_PORT=0: one socket that every worker accepts from.
"""

import os
import socket
import sys

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"uvicorn": "0.54.0"}

SETTING = "SERVE_REUSE_PORT"


def supported() -> bool:
    """Linux balances connections over SO_REUSEPORT sockets; other systems (macOS, the BSDs)
    accept the option but give every connection to one socket."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def wanted(environ=os.environ) -> bool:
    return environ.get(SETTING, "1").strip().lower() not in {"0", "false", "no", "off"} and supported()


def bind_reuse_port(family: int, address: tuple) -> socket.socket:
    """A TCP socket bound to `address` beside the others bound there with SO_REUSEPORT."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


class SocketPerWorker(socket.socket):
    """The supervisor's socket: reserves the address; pickled into a worker, it becomes
    a new socket bound there, which that worker alone listens on."""

    def __reduce__(self):
        return bind_reuse_port, (self.family, self.getsockname())


def per_worker(stock: socket.socket) -> socket.socket:
    """The supervisor's SocketPerWorker at the address uvicorn bound `stock` to."""
    family, address = stock.family, stock.getsockname()
    stock.close()
    sock = SocketPerWorker(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def install(environ=os.environ) -> bool:
    """Wrap uvicorn's Config.bind_socket, once; True when installed."""
    from uvicorn.config import Config

    stock_bind_socket = Config.bind_socket
    if not wanted(environ) or getattr(stock_bind_socket, "per_worker", False):
        return False

    def bind_socket(config):
        sock = stock_bind_socket(config)
        one_address = config.uds is None and config.fd is None
        if config.workers > 1 and one_address and sock.family in (socket.AF_INET, socket.AF_INET6):
            return per_worker(sock)
        return sock

    bind_socket.per_worker = True
    Config.bind_socket = bind_socket
    return True
