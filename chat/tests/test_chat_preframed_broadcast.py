"""The pre-framed broadcast (chat/internals/websocket_frames.py) on a real uvicorn: every
client gets every packet once and in the order the server sent them, whether a packet was
written directly or queued by python-engineio, over a websocket or after upgrading from
long-polling; and on uvicorn's default websocket implementation the broadcast's frames are
indeed written directly (the speed-up is not silently off)."""

import asyncio

import pytest
import socketio
import uvicorn

from chat.internals import websocket_frames
from chat.internals.socketio_broadcast import TaskFreeBroadcastManager
from tests.servers import free_port

ROOM = "room"


def chat_like_server(*, preframed: bool) -> socketio.AsyncServer:
    """A Socket.IO server broadcasting as the chat's does, without the database: `shout`
    goes to the room; `burst` alternates broadcasts with packets for its sender alone put on
    python-engineio's queue, as python-socketio queues an ack, with no pause between them."""
    manager = TaskFreeBroadcastManager()
    server = socketio.AsyncServer(async_mode="asgi", client_manager=manager, async_handlers=False)
    if preframed:
        assert websocket_frames.install(server.eio)
        manager.preframed = True

    @server.event
    async def connect(sid, environ, auth=None):
        await server.enter_room(sid, ROOM)

    @server.event
    async def shout(sid, data):
        await server.emit("said", data, room=ROOM)

    @server.event
    async def burst(sid, count):
        eio_sid = server.manager.eio_sid_from_sid(sid, "/")
        for number in range(count):
            await server.emit("said", {"n": f"b{number}"}, room=ROOM)
            queued = server.packet_class(
                socketio.packet.EVENT, namespace="/", data=["said", {"n": f"w{number}"}]
            )
            await server.eio.send(eio_sid, queued.encode())  # queued; its writer has not run yet

    return server


async def serve(app, *, ws: str = "auto"):
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws=ws,
        ws_per_message_deflate=False,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{port}"


async def connect_clients(url: str, transports_per_client: list[list[str]]):
    clients = []
    for transports in transports_per_client:
        client = socketio.AsyncClient(reconnection=False)
        received = []
        client.on("said", lambda data, received=received: received.append(data["n"]))
        await client.connect(url, transports=transports, wait_timeout=10)
        clients.append((client, received))
    if any(transports == ["polling", "websocket"] for transports in transports_per_client):
        await asyncio.sleep(0.5)  # the upgrade to a websocket
    return clients


async def until(condition, seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def frames_written(server: socketio.AsyncServer) -> int:
    targets = (
        getattr(socket, websocket_frames.TARGET_ATTRIBUTE, None) for socket in server.eio.sockets.values()
    )
    return sum(target.frames_written for target in targets if target is not None)


async def broadcasts_and_whispers(*, preframed: bool, ws: str = "auto"):
    sio = chat_like_server(preframed=preframed)
    server, task, url = await serve(socketio.ASGIApp(sio), ws=ws)
    try:
        clients = await connect_clients(url, [["websocket"], ["websocket"], ["polling", "websocket"]])
        (first, first_received), *_ = clients
        for number in range(20):
            await first.emit("shout", {"n": f"s{number}"})
        await first.emit("burst", 30)
        expected_others = [f"s{n}" for n in range(20)] + [f"b{n}" for n in range(30)]
        expected_first = [f"s{n}" for n in range(20)] + [f"{kind}{n}" for n in range(30) for kind in "bw"]
        await until(lambda: all(len(received) >= len(expected_others) for _, received in clients[1:]))
        await until(lambda: len(first_received) >= len(expected_first))
        await asyncio.sleep(0.2)  # anything extra would have arrived by now
        seen = [received for _, received in clients]
        written = frames_written(sio)
        for client, _ in clients:
            await client.disconnect()
    finally:
        server.should_exit = True
        await task
    return seen, expected_first, expected_others, written


@pytest.mark.parametrize("preframed", [True, False], ids=["preframed", "stock"])
def test_each_client_gets_each_packet_once_in_the_order_sent(preframed):
    seen, expected_first, expected_others, _ = asyncio.run(broadcasts_and_whispers(preframed=preframed))
    assert seen[0] == expected_first
    assert seen[1] == expected_others
    assert seen[2] == expected_others  # upgraded from long-polling


def test_broadcast_frames_are_written_directly_on_uvicorns_default_websockets():
    *_, written = asyncio.run(broadcasts_and_whispers(preframed=True))
    # 50 broadcasts to 3 clients: most written directly (a queued packet ahead sends the
    # next broadcast to that client through the queue, which keeps the order).
    assert written >= 50


def test_another_websocket_implementation_takes_python_engineios_own_path():
    seen, expected_first, expected_others, written = asyncio.run(
        broadcasts_and_whispers(preframed=True, ws="wsproto")
    )
    assert (seen[0], seen[1]) == (expected_first, expected_others)
    assert written == 0
