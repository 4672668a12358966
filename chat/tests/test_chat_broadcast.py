"""The direct broadcast: one encoded packet queued on each recipient's engine.io socket."""

import asyncio
import json
from types import SimpleNamespace

import pytest
import socketio
from engineio import packet as engineio_packet

from chat.broadcast import MemoryManager


class StubSocket:
    def __init__(self, closed=False):
        self.closed = closed
        self.queue = asyncio.Queue()

    def events(self):
        packets = []
        while not self.queue.empty():
            packet = self.queue.get_nowait()
            assert packet.packet_type == engineio_packet.MESSAGE
            packets.append(json.loads(packet.data[1:]))  # "2" is socket.io's EVENT
        return packets


@pytest.fixture
def manager_and_sockets(monkeypatch):
    async def python_socketio_path(*args, **kwargs):
        raise AssertionError("a plain broadcast took python-socketio's task-per-recipient path")

    monkeypatch.setattr(socketio.AsyncManager, "emit", python_socketio_path)
    sockets = {
        "eio-a": StubSocket(),
        "eio-b": StubSocket(),
        "eio-c": StubSocket(),
        "eio-gone": StubSocket(True),
    }
    server = SimpleNamespace(packet_class=socketio.packet.Packet, eio=SimpleNamespace(sockets=sockets))
    manager = MemoryManager()
    manager.set_server(server)
    manager.initialize()
    for sid, eio_sid in [("a", "eio-a"), ("b", "eio-b"), ("gone", "eio-gone")]:
        manager.basic_enter_room(sid, "/", None, eio_sid=eio_sid)
        manager.basic_enter_room(sid, "/", "movie:tt0133093")
    manager.basic_enter_room("c", "/", None, eio_sid="eio-c")
    return manager, sockets


def test_broadcast_reaches_each_open_socket_in_the_room_once(manager_and_sockets):
    manager, sockets = manager_and_sockets
    asyncio.run(manager.emit("message", {"text": "hi"}, "/", room="movie:tt0133093", ignore_queue=False))
    assert sockets["eio-a"].events() == [["message", {"text": "hi"}]]
    assert sockets["eio-b"].events() == [["message", {"text": "hi"}]]
    assert sockets["eio-c"].events() == []
    assert sockets["eio-gone"].events() == []


def test_broadcast_skips_the_sender(manager_and_sockets):
    manager, sockets = manager_and_sockets
    asyncio.run(manager.emit("typing", {"room": "movie:tt0133093"}, "/", to="movie:tt0133093", skip_sid="a"))
    assert sockets["eio-a"].events() == []
    assert sockets["eio-b"].events() == [["typing", {"room": "movie:tt0133093"}]]
