"""A connection ends when its access token expires: the server sends `session_expired {}`
and disconnects it; the client reconnects with a fresh token."""

import asyncio
import json
import time
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from chat.models import Message
from chat.tests.clients import ChatClient, RawSocket
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

# Long enough to connect over long-polling and send a message, short enough to wait out.
LIFETIME = timedelta(seconds=3)


def short_lived_token(user) -> tuple[str, int]:
    """An access token of `user` that expires in LIFETIME at most, and its `exp`."""
    token = RefreshToken.for_user(user).access_token
    token.set_exp(lifetime=LIFETIME)
    return str(token), token["exp"]


@pytest.mark.parametrize(
    "transports", [["websocket"], ["polling"], None], ids=["websocket", "polling", "polling-then-websocket"]
)
def test_connection_is_sent_session_expired_and_disconnected_when_its_token_expires(
    logged_server, user, transports
):
    token, expires_at = short_lived_token(user)
    mark = logged_server.mark()

    async def scenario():
        client = ChatClient(logged_server.url, token, transports=transports)
        await client.connect()
        try:
            before = await client.call("message", "before expiry")
            expired = await client.wait_until(lambda: client.received["session_expired"], "session_expired")
            expired_seen_at = time.time()
            await client.wait_until(lambda: client.disconnects, "the disconnect")
            return before, list(expired), expired_seen_at, client.client.connected
        finally:
            await client.close()

    before, expired, expired_seen_at, still_connected = asyncio.run(scenario())
    assert before["ok"] is True
    assert expired == [{}]
    assert expired_seen_at >= expires_at
    assert still_connected is False
    assert list(Message.objects.values_list("text", flat=True)) == ["before expiry"]
    assert logged_server.errors_since(mark) == []


def test_events_sent_after_the_expiry_are_ignored_until_a_fresh_token_connects(live_server_url, user):
    """A client that ignores `session_expired` and the disconnect, and keeps its websocket."""
    token, _ = short_lived_token(user)
    fresh_token = access_token_for(user)

    async def scenario():
        raw = await RawSocket.connect(live_server_url, token)
        try:
            expired = await raw.packet('42["session_expired"')
            disconnected = await raw.packet("41")
            await raw.send('42["message","after expiry"]')
            await raw.send('421["message","after expiry, with an ack"]')
            # Packets of one connection are handled in order: once this CONNECT is answered,
            # the two messages before it have been.
            reconnected = await raw.open_namespace(fresh_token)
            after = await raw.call("message", '"with a fresh token"')
            return expired, disconnected, reconnected, after
        finally:
            await raw.close()

    expired, disconnected, reconnected, after = asyncio.run(scenario())
    assert json.loads(expired[2:]) == ["session_expired", {}]
    assert disconnected == "41"
    assert reconnected.startswith("40{")
    assert after[0]["ok"] is True
    assert list(Message.objects.values_list("text", flat=True)) == ["with a fresh token"]
