"""The frontend's JavaScript socket.io-client, unchanged, against the real server."""

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from chat.models import Message, RoomRead
from chat.tests.clients import connected, unique_room
from chat.tests.conftest import skip_or_fail
from conftest import access_token_for
from movie_module.tests.factories import MovieFactory

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

JS_DIR = Path(__file__).resolve().parents[2] / "tests" / "js"
MOVIE_ROOM = "movie:tt0133093"


@pytest.fixture(scope="module")
def node():
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is not installed")
    if not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        skip_or_fail("socket.io-client is not installed: run `make test` or `cd tests/js && npm ci`")
    return node


async def run_js_client(node, *args, script="chat_client.mjs") -> dict:
    process = await asyncio.create_subprocess_exec(
        node, str(JS_DIR / script), *args, stdout=asyncio.subprocess.PIPE, stderr=sys.stderr
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stdout
    return json.loads(stdout)


def test_js_client_upgrades_joins_a_movie_room_and_talks_with_a_python_client(
    live_server_url, node, user, other_user
):
    MovieFactory(imdb_id="tt0133093", title="The Matrix")
    js_token, python_token = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with connected(live_server_url, python_token) as python_client:
            await python_client.call("join", {"room": MOVIE_ROOM})
            js_run = asyncio.create_task(
                run_js_client(
                    node, live_server_url, js_token, MOVIE_ROOM, "hello from js", "hello from python"
                )
            )
            from_js = await python_client.message("hello from js")
            reply = await python_client.call("message", {"room": MOVIE_ROOM, "text": "hello from python"})
            return from_js, reply, await js_run

    from_js, reply, js = asyncio.run(scenario())
    assert js["connected"] is True
    assert js["first_transport"] == "polling"
    assert js["transport"] == "websocket"
    assert js["join"]["ok"] is True
    assert js["join"]["room"] == MOVIE_ROOM
    assert js["join"]["members"] == sorted([user.username, other_user.username])
    assert js["sent"] == {"ok": True, "message": from_js}
    assert from_js["user"] == {"id": user.id, "username": user.username}
    assert js["received"] == reply["message"]


@pytest.mark.parametrize("token", ["not-a-jwt", ""])
def test_js_client_with_a_bad_token_gets_authentication_failed(live_server_url, node, token):
    result = asyncio.run(run_js_client(node, live_server_url, token))
    assert result == {"connected": False, "error": "authentication failed"}


def test_js_client_edits_reads_and_deletes_and_a_python_client_in_the_room_sees_it(
    chat_servers, node, user, other_user
):
    first_url, second_url = chat_servers
    room = unique_room()
    js_token, python_token = access_token_for(user), access_token_for(other_user)

    async def scenario():
        async with connected(second_url, python_token) as python_client:
            await python_client.call("join", {"room": room})
            js = await run_js_client(
                node, first_url, js_token, room, "movie:tt0000001", script="chat_changes.mjs"
            )
            await python_client.wait_until(
                lambda: python_client.received["message_deleted"], "message_deleted"
            )
            return js, python_client.received

    js, python_received = asyncio.run(scenario())
    sent = js["sent"]["message"]
    assert js["edit"]["ok"] is True
    assert js["edit"]["message"]["text"] == "fixed from js"
    assert js["message_edited"] == js["edit"]["message"] == python_received["message_edited"][0]
    assert js["read"] == {"ok": True, "room": room, "last_read_id": sent["id"]}
    assert js["delete"] == {"ok": True, "id": sent["id"], "room": room}
    assert js["message_deleted"] == {"id": sent["id"], "room": room} == python_received["message_deleted"][0]
    assert js["unknown_movie"] == {"ok": False, "error": "unknown_movie"}
    assert not Message.objects.filter(room=room).exists()
    assert RoomRead.objects.get(user=user, room=room).last_read_id == sent["id"]
