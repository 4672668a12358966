"""A broadcast reaches each recipient in the room once, through python-engineio's
send_packet, with the task-free broadcast (SOCKETIO_FAST_BROADCAST) and without it."""

import asyncio
import json

import pytest
import socketio
from engineio import packet as engineio_packet

from chat.internals.socketio_broadcast import TaskFreeBroadcastManager

ROOM = "movie:tt0133093"


class RecordingEngineIO:
    """python-engineio's server, as far as a broadcast sees it: `send_packet`."""

    def __init__(self, failing=()):
        self.sent: dict[str, list] = {}
        self.failing = set(failing)

    async def send_packet(self, eio_sid, packet):
        if eio_sid in self.failing:
            raise RuntimeError("this recipient's socket broke")
        assert packet.packet_type == engineio_packet.MESSAGE
        self.sent.setdefault(eio_sid, []).append(json.loads(packet.data[1:]))  # "2": EVENT

    def events(self, eio_sid):
        return self.sent.get(eio_sid, [])


def server_with(manager, engineio=None):
    server = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    server.eio = engineio or RecordingEngineIO()
    for sid, eio_sid in [("a", "eio-a"), ("b", "eio-b"), ("broken", "eio-broken")]:
        manager.basic_enter_room(sid, "/", None, eio_sid=eio_sid)
        manager.basic_enter_room(sid, "/", ROOM)
    manager.basic_enter_room("c", "/", None, eio_sid="eio-c")
    return server


@pytest.fixture(params=[TaskFreeBroadcastManager, socketio.AsyncManager], ids=["task-free", "stock"])
def manager(request):
    return request.param()


def test_broadcast_reaches_each_socket_in_the_room_once(manager):
    server = server_with(manager)
    asyncio.run(manager.emit("message", {"text": "hi"}, "/", room=ROOM, ignore_queue=False))
    assert server.eio.events("eio-a") == [["message", {"text": "hi"}]]
    assert server.eio.events("eio-b") == [["message", {"text": "hi"}]]
    assert server.eio.events("eio-c") == []


def test_broadcast_skips_the_sender(manager):
    server = server_with(manager)
    asyncio.run(manager.emit("typing", {"room": ROOM}, "/", to=ROOM, skip_sid="a"))
    assert server.eio.events("eio-a") == []
    assert server.eio.events("eio-b") == [["typing", {"room": ROOM}]]


def test_one_broken_recipient_does_not_keep_the_broadcast_from_the_others(manager):
    server = server_with(manager, RecordingEngineIO(failing={"eio-a"}))
    asyncio.run(manager.emit("message", {"text": "hi"}, "/", room=ROOM))
    assert server.eio.events("eio-b") == [["message", {"text": "hi"}]]
    assert server.eio.events("eio-broken") == [["message", {"text": "hi"}]]


def test_the_task_free_broadcast_starts_no_task(monkeypatch):
    manager = TaskFreeBroadcastManager()
    server = server_with(manager)

    def no_task(*args, **kwargs):
        raise AssertionError("a plain broadcast started a task")

    async def broadcast():
        monkeypatch.setattr(asyncio, "create_task", no_task)
        await manager.emit("message", {"text": "hi"}, "/", room=ROOM)

    asyncio.run(broadcast())
    assert server.eio.events("eio-a") == [["message", {"text": "hi"}]]
