"""What a message's text becomes: control characters are stripped, line breaks become "\\n",
and a text that no database can store is refused instead of failing to store."""

import asyncio

import pytest

from chat import services
from chat.models import Message
from chat.tests.clients import connected
from conftest import access_token_for

pytestmark = [pytest.mark.usefixtures("transactional_db")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("hi\x00there", "hithere"),
        ("windows\r\nline\rbreaks\nkept", "windows\nline\nbreaks\nkept"),
        ("\x1b[31mred\x1b[0m\tbell\x07", "[31mred[0m\tbell"),
        ("\x85next line\x9f\x7f", "next line"),
        ("\x00 \x01 padded \x02 ", "padded"),
    ],
)
def test_control_characters_are_stripped_and_the_rest_is_stored_and_broadcast(
    logged_server, user, other_user, sent, stored
):
    tokens = access_token_for(user), access_token_for(other_user)
    mark = logged_server.mark()

    async def scenario():
        async with (
            connected(logged_server.url, tokens[0]) as sender,
            connected(logged_server.url, tokens[1]) as other,
        ):
            ack = await sender.call("message", {"text": sent})
            return ack, await other.message(stored)

    ack, received = asyncio.run(scenario())
    assert ack["ok"] is True
    assert ack["message"]["text"] == stored
    assert received == ack["message"]
    assert list(Message.objects.values_list("text", flat=True)) == [stored]
    assert logged_server.errors_since(mark) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("\x00", "empty_message"),
        ("\x00\x01\r\n\t \x7f\x9f", "empty_message"),
        ("\ud800", "invalid_payload"),
        ("fine until \udfff", "invalid_payload"),
    ],
)
def test_text_with_nothing_storable_is_refused_before_the_database(user, text, error):
    with pytest.raises(services.ChatError) as refusal:
        services.message_post(user=user, room="lobby", text=text)
    assert refusal.value.code == error
    assert not Message.objects.exists()


def test_text_with_a_nul_character_is_stored_without_it(user):
    posted = services.message_post(user=user, room="lobby", text="a\x00b")
    posted.message.refresh_from_db()
    assert posted.message.text == "ab"
