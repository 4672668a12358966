"""Broadcast frames written straight to idle websockets, and python-engineio's writer waiting
without a task per packet.

**Why.** At 500 clients in a room, each delivery of a broadcast took about 20 µs of the
server's CPU against 9 for a bare Node socket.io server (docs/PERFORMANCE.md, "Chat"). A
profile (py-spy, 500 clients, 40 messages/s) put about a fifth of the event loop in
python-engineio's writer task per connection waking up for each packet
(`AsyncSocket.poll`, which wraps every `queue.get()` in `asyncio.wait_for`, a new task
each time), a tenth in the ASGI `websocket.send` and websockets' framing of the same text
for each recipient, and about two fifths in the `send` system call itself, which no
server avoids. Node's socket.io frames a broadcast once and writes that frame to every
socket; this does the same.

**What.** `install(eio_server)` (SOCKETIO_PREFRAMED_BROADCAST, on by default):

- Each websocket connection remembers, on its python-engineio socket, the uvicorn
  connection (`WebSocketsSansIOProtocol`) it is served by; its `poll` waits in the writer's
  own task (`asyncio.timeout`) instead of `asyncio.wait_for`, so a packet the writer has
  taken from the queue is written before any other task runs.
- `FrameWrites.add(eio_server, eio_sid, frame)` takes one pre-built websocket frame for
  that connection, written when the event loop's ready callbacks have run, with any other
  broadcast frames for it of the same iteration in one `write`, when nothing can be ahead
  of it: the socket's queue is empty, its writer is not
  part-way through a send, the connection is open, writable (uvicorn's flow control), not
  closing, with no websocket extension negotiated (compression is off, as `make serve` runs
  uvicorn), and python-engineio would not declare the client gone. Otherwise it returns
  False and the caller queues the packet as python-engineio does (`send_packet`). The
  order of a connection's packets is kept: a frame is taken only when the queue is empty
  and the writer holds no packet, and the writer writes the pending frames before its own.
- `broadcast_frame(text)` builds the frame once per broadcast: a final, unmasked TEXT frame
  of the engine.io packet's text, which is what websockets' `ServerProtocol.send_text`
  writes for each recipient without extensions.

What this relies on, beyond the libraries' documentation (tests/test_library_internals.py
pins each):

- python-engineio: `AsyncServer._async["websocket"]`, the class its ASGI driver serves a
  websocket with (`engineio.async_drivers.asgi.WebSocket`: `handler`, `asgi_send`,
  `send`), called with the environ holding `asgi.send`; the handler is the
  `AsyncSocket._websocket_handler` of the connection's socket; `AsyncSocket.poll()`, its
  `queue` (an `asyncio.Queue` of packets, None to stop), `upgraded`, `upgrading`,
  `closing`, `closed`, `last_ping`; `AsyncServer.sockets`, `ping_interval`,
  `ping_timeout`; `exceptions.QueueEmpty`.
- uvicorn: the `asgi.send` of a websocket is the bound `send` of its
  `WebSocketsSansIOProtocol` (uvicorn's default websocket implementation with websockets
  14+), which has `transport`, `conn` (websockets' `ServerProtocol`), `writable` (an
  `asyncio.Event`, cleared while the transport's buffer is full), `disconnected`,
  `close_sent` and `handshake_complete`, and writes each `websocket.send` at once.
- websockets: `ServerProtocol.state`, `extensions`, `expect_continuation_frame`, and
  `Frame(Opcode.TEXT, data).serialize(mask=False)` being the bytes `send_text` writes.

Written against python-engineio 4.15.1, uvicorn 0.54.0 and websockets 17.4
(`WRITTEN_AGAINST`). With another websocket implementation (`--ws wsproto`, or
websockets' legacy one) no connection is remembered and every packet takes
python-engineio's own path. The stock behaviour, SOCKETIO_PREFRAMED_BROADCAST=0: nothing
installed. docs/UPSTREAM.md has the changes upstream that would retire this module.
"""

import asyncio
import time
from types import MethodType

from engineio import exceptions as engineio_exceptions
from engineio.async_drivers import asgi as engineio_asgi
from engineio.async_socket import AsyncSocket
from websockets.frames import Frame, Opcode
from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # another uvicorn, or none: no connection qualifies
    WebSocketsSansIOProtocol = None

# Distribution name -> the version this module was written against and checked with.
WRITTEN_AGAINST = {"python-engineio": "4.15.1", "uvicorn": "0.54.0", "websockets": "17.4"}

# Where a python-engineio socket keeps its FrameTarget while its websocket is served.
TARGET_ATTRIBUTE = "_scrapbook_frame_target"


def install(eio_server) -> bool:
    """Serve this python-engineio server's websockets with FrameTarget; False, and nothing
    changed, when its driver is not the ASGI one this was written against."""
    drivers = getattr(eio_server, "_async", None)
    if not isinstance(drivers, dict) or drivers.get("websocket") is not engineio_asgi.WebSocket:
        return False
    # A copy: the driver's module-level table stays as shipped for any other server.
    eio_server._async = {**drivers, "websocket": FrameTarget}
    return True


class FrameTarget(engineio_asgi.WebSocket):
    """python-engineio's ASGI websocket, which its socket remembers while it is served."""

    protocol = None  # the uvicorn connection, when it is one frames can be written to
    sending = 0  # sends python-engineio's writer has started and not finished
    pending = None  # broadcast frames waiting for FrameWrites.flush, oldest first
    frames_written = 0  # broadcast frames written directly, bypassing the writer

    async def __call__(self, environ):
        socket = getattr(self.handler, "__self__", None)
        protocol = getattr(environ.get("asgi.send"), "__self__", None)
        remembered = (
            isinstance(socket, AsyncSocket)
            and WebSocketsSansIOProtocol is not None
            and type(protocol) is WebSocketsSansIOProtocol
        )
        if remembered:
            self.protocol = protocol
            socket.poll = MethodType(poll_in_own_task, socket)
            setattr(socket, TARGET_ATTRIBUTE, self)
        try:
            return await super().__call__(environ)
        finally:
            if remembered:
                setattr(socket, TARGET_ATTRIBUTE, None)

    def flush(self) -> None:
        """Write the pending frames, unless the connection has closed since (python-engineio
        loses what is still queued for a closed socket alike)."""
        frames, self.pending = self.pending, None
        if not frames:
            return
        protocol = self.protocol
        if protocol.disconnected or protocol.close_sent or protocol.transport.is_closing():
            return
        protocol.transport.write(frames[0] if len(frames) == 1 else b"".join(frames))
        self.frames_written += len(frames)

    async def send(self, message):
        # What python-engineio's writer sends was queued after the frames pending here.
        if self.pending:
            self.flush()
        self.sending += 1
        try:
            await super().send(message)
        finally:
            self.sending -= 1


async def poll_in_own_task(self):
    """`AsyncSocket.poll`, waiting for the first packet in the caller's task: the same
    packets, the same QueueEmpty on a timeout or cancellation, no task per packet."""
    queue = self.queue
    try:
        if queue.empty():
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                packets = [await queue.get()]
        else:
            packets = [queue.get_nowait()]
        queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise engineio_exceptions.QueueEmpty() from None
    if packets == [None]:
        return []
    while True:
        try:
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is None:
                queue.put_nowait(None)
                break
            packets.append(pkt)
        except asyncio.QueueEmpty:
            break
    return packets


def broadcast_frame(text: str) -> bytes:
    """The websocket frame a server sends for `text`, without extensions: built once and
    written to every recipient."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class FrameWrites:
    """The broadcast frames of one event loop iteration, written with one `write` per
    connection when the iteration's ready callbacks have run (`loop.call_soon`): a
    connection that several broadcasts reach at once gets them in one TCP segment, as the
    bare Node server's do when it is busy, which costs both ends a fraction of one each."""

    def __init__(self):
        self.waiting: list[FrameTarget] = []
        self.flush_scheduled = False

    def add(self, eio_server, eio_sid: str, frame: bytes) -> bool:
        """Queue `frame` for the websocket of the python-engineio socket `eio_sid`, if
        nothing can be ahead of it and the connection takes it as it is; else False, and
        the caller queues the packet with python-engineio (`send_packet`)."""
        socket = eio_server.sockets.get(eio_sid)
        target = getattr(socket, TARGET_ATTRIBUTE, None)
        if target is None or target.sending or not socket.queue.empty():
            return False
        if socket.closing or socket.closed or not socket.upgraded or socket.upgrading:
            return False
        last_ping = socket.last_ping
        if last_ping and time.time() - last_ping > socket.server.ping_timeout:
            return False  # python-engineio's send closes the socket of a client that is gone
        protocol = target.protocol
        connection = protocol.conn
        if (
            protocol.disconnected
            or protocol.close_sent
            or not protocol.handshake_complete
            or not protocol.writable.is_set()
            or connection.state is not State.OPEN
            or connection.extensions
            or connection.expect_continuation_frame
            or protocol.transport.is_closing()
        ):
            return False
        if target.pending is None:
            target.pending = [frame]
            self.waiting.append(target)
        else:
            target.pending.append(frame)
        if not self.flush_scheduled:
            asyncio.get_running_loop().call_soon(self.flush)
            self.flush_scheduled = True
        return True

    def flush(self) -> None:
        self.flush_scheduled = False
        waiting, self.waiting = self.waiting, []
        for target in waiting:
            target.flush()
