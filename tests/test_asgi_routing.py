"""One uvicorn process serves Django and Socket.IO on the same port, on both transports."""

import asyncio

import pytest
import requests
import socketio

from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]


async def connect_and_report(url, *, transports=None, auth=None, query_token=None):
    """Connect, wait for any upgrade, round-trip a message; return the transport in use."""
    client = socketio.AsyncClient(reconnection=False)
    echoed = asyncio.get_running_loop().create_future()
    client.on("message", lambda data: echoed.done() or echoed.set_result(data))
    target = f"{url}?token={query_token}" if query_token else url
    await client.connect(target, auth=auth, transports=transports, wait_timeout=10)
    try:
        if transports is None:
            deadline = asyncio.get_running_loop().time() + 10
            while client.transport() != "websocket" and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
        await client.emit("message", "ping")
        assert (await asyncio.wait_for(echoed, timeout=10))["text"] == "ping"
        return client.transport()
    finally:
        if client.transport() == "polling":
            # python-socketio's client otherwise waits out its pending long-poll request.
            await client.eio.disconnect(abort=True)
        await client.disconnect()


async def refused_with(url, **connect_options):
    """The message of the `connect_error` the server answers, as socket.io clients see it."""
    client = socketio.AsyncClient(reconnection=False)
    errors = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, wait_timeout=10, **connect_options)
    return errors[0]["message"] if errors and isinstance(errors[0], dict) else errors


def test_default_transport_starts_with_polling_and_upgrades(live_server_url, user):
    transport = asyncio.run(connect_and_report(live_server_url, auth={"token": access_token_for(user)}))
    assert transport == "websocket"


def test_polling_only_client_connects(live_server_url, user):
    transport = asyncio.run(
        connect_and_report(live_server_url, transports=["polling"], auth={"token": access_token_for(user)})
    )
    assert transport == "polling"


def test_websocket_only_client_connects(live_server_url, user):
    transport = asyncio.run(
        connect_and_report(live_server_url, transports=["websocket"], auth={"token": access_token_for(user)})
    )
    assert transport == "websocket"


def test_token_in_the_query_string_is_accepted(live_server_url, user):
    transport = asyncio.run(
        connect_and_report(live_server_url, transports=["websocket"], query_token=access_token_for(user))
    )
    assert transport == "websocket"


@pytest.mark.parametrize("transports", [None, ["websocket"]])
@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": "garbage"}, {"token": 42}])
def test_connection_without_a_good_token_is_refused(live_server_url, transports, auth):
    message = asyncio.run(refused_with(live_server_url, auth=auth, transports=transports))
    assert message == "authentication failed"


def test_connection_of_a_deleted_user_is_refused(live_server_url, user):
    token = access_token_for(user)
    user.delete()
    message = asyncio.run(refused_with(live_server_url, auth={"token": token}))
    assert message == "authentication failed"


def test_a_message_is_broadcast_to_every_connection(live_server_url, user, other_user):
    sender_token, receiver_token = access_token_for(user), access_token_for(other_user)

    async def scenario():
        sender = socketio.AsyncClient(reconnection=False)
        receiver = socketio.AsyncClient(reconnection=False)
        received = asyncio.get_running_loop().create_future()
        receiver.on("message", lambda data: received.done() or received.set_result(data))
        await receiver.connect(live_server_url, auth={"token": receiver_token})
        await sender.connect(live_server_url, auth={"token": sender_token})
        try:
            await sender.emit("message", "hello everyone")
            return await asyncio.wait_for(received, timeout=10)
        finally:
            await sender.disconnect()
            await receiver.disconnect()

    data = asyncio.run(scenario())
    # A bare string goes to `lobby`, which every connection joins, as a stored Message.
    assert set(data) == {"id", "room", "user", "text", "created_at", "edited_at"}
    assert data["room"] == "lobby"
    assert data["text"] == "hello everyone"
    assert data["user"] == {"id": user.id, "username": user.username}


def test_http_on_the_same_port_still_reaches_django(live_server_url, user):
    health = requests.get(f"{live_server_url}/api/health/", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    me = requests.get(
        f"{live_server_url}/api/auth/me/",
        headers={"Authorization": f"Bearer {access_token_for(user)}"},
        timeout=10,
    )
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_unknown_paths_are_djangos_404(live_server_url):
    response = requests.get(f"{live_server_url}/api/nothing-here/", timeout=10)
    assert response.status_code == 404


def test_admin_static_files_are_served(live_server_url):
    response = requests.get(f"{live_server_url}/static/admin/css/base.css", timeout=10)
    assert response.status_code == 200
    assert "text/css" in response.headers["Content-Type"]
