"""Authors edit and delete their messages, staff delete anyone's, in the admin too: the room
sees `message_edited` and `message_deleted`, on one in-memory worker and across two on Redis."""

import asyncio
from datetime import datetime

import pytest
import requests

from authentication.tests.factories import UserFactory
from chat.models import Message
from chat.tests.clients import connected, unique_room
from conftest import access_token_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

STAFF_PASSWORD = "staff-password-for-the-admin"


def test_author_edits_a_message_and_every_tab_in_the_room_sees_it(chat_servers):
    first_url, second_url = chat_servers
    alice, bob = UserFactory(), UserFactory()
    room = unique_room()

    alice_token = access_token_for(alice)
    bob_token = access_token_for(bob)

    async def scenario():
        async with (
            connected(first_url, alice_token) as author,
            connected(second_url, bob_token, transports=None) as reader,
        ):
            for client in (author, reader):
                await client.call("join", {"room": room})
            sent = (await author.call("message", {"room": room, "text": "teh matrix"}))["message"]
            edited = await author.call("edit", {"id": sent["id"], "text": "  the Matrix\r\n "})
            seen = await reader.wait_until(lambda: reader.received["message_edited"], "message_edited")
            await author.wait_until(lambda: author.received["message_edited"], "the author's own copy")
            history = (await reader.call("join", {"room": room}))["history"]
            return sent, edited, seen, history

    sent, edited, seen, history = asyncio.run(scenario())
    assert sent["edited_at"] is None
    assert edited["ok"] is True
    assert seen == [edited["message"]]
    assert edited["message"]["text"] == "the Matrix"
    assert {key: edited["message"][key] for key in ("id", "room", "user", "created_at")} == {
        key: sent[key] for key in ("id", "room", "user", "created_at")
    }
    assert datetime.fromisoformat(edited["message"]["edited_at"]) >= datetime.fromisoformat(
        sent["created_at"]
    )
    assert history == [edited["message"]]
    stored = Message.objects.get(id=sent["id"])
    assert (stored.text, stored.edited_at is not None) == ("the Matrix", True)


def test_author_deletes_a_message_the_room_is_told_and_it_leaves_the_history(chat_servers):
    first_url, second_url = chat_servers
    alice, bob = UserFactory(), UserFactory()
    room = unique_room()

    alice_token = access_token_for(alice)
    bob_token = access_token_for(bob)

    async def scenario():
        async with (
            connected(first_url, alice_token) as author,
            connected(second_url, bob_token) as reader,
        ):
            for client in (author, reader):
                await client.call("join", {"room": room})
            kept = (await author.call("message", {"room": room, "text": "kept"}))["message"]
            gone = (await author.call("message", {"room": room, "text": "regretted"}))["message"]
            deleted = await author.call("delete", {"id": gone["id"]})
            told = await reader.wait_until(lambda: reader.received["message_deleted"], "message_deleted")
            again = await author.call("delete", {"id": gone["id"]})
            edit_after = await author.call("edit", {"id": gone["id"], "text": "too late"})
            history = (await reader.call("join", {"room": room}))["history"]
            return kept, gone, deleted, told, again, edit_after, history

    kept, gone, deleted, told, again, edit_after, history = asyncio.run(scenario())
    assert deleted == {"ok": True, "id": gone["id"], "room": room}
    assert told == [{"id": gone["id"], "room": room}]
    assert again == {"ok": False, "error": "not_found"}
    assert edit_after == {"ok": False, "error": "not_found"}
    assert history == [kept]
    assert list(Message.objects.filter(room=room).values_list("text", flat=True)) == ["kept"]


def test_others_messages_are_refused_to_users_and_staff_may_delete_them(live_server_url):
    alice, bob, moderator = UserFactory(), UserFactory(), UserFactory(is_staff=True)
    message = Message.objects.create(room="lobby", user=alice, text="alice's words")

    bob_token = access_token_for(bob)
    moderator_token = access_token_for(moderator)

    async def scenario():
        async with (
            connected(live_server_url, bob_token) as bob_client,
            connected(live_server_url, moderator_token) as moderator_client,
        ):
            edit = await bob_client.call("edit", {"id": message.id, "text": "bob's words"})
            delete = await bob_client.call("delete", {"id": message.id})
            moderator_edit = await moderator_client.call("edit", {"id": message.id, "text": "staff words"})
            unchanged = [m["text"] for m in (await bob_client.call("join", {"room": "lobby"}))["history"]]
            moderated = await moderator_client.call("delete", {"id": message.id})
            told = await bob_client.wait_until(
                lambda: bob_client.received["message_deleted"], "message_deleted"
            )
            return edit, delete, moderator_edit, unchanged, moderated, told

    edit, delete, moderator_edit, unchanged, moderated, told = asyncio.run(scenario())
    assert edit == delete == moderator_edit == {"ok": False, "error": "forbidden"}
    assert unchanged == ["alice's words"]
    assert moderated == {"ok": True, "id": message.id, "room": "lobby"}
    assert told == [{"id": message.id, "room": "lobby"}]
    assert not Message.objects.filter(id=message.id).exists()


@pytest.mark.parametrize(
    ("event", "payload", "error"),
    [
        ("edit", {"id": 999_999_999, "text": "hi"}, "not_found"),
        ("delete", {"id": 999_999_999}, "not_found"),
        ("edit", {"text": "no id"}, "invalid_payload"),
        ("edit", {"id": "MINE AS TEXT", "text": "hi"}, "invalid_payload"),
        ("edit", {"id": True, "text": "hi"}, "invalid_payload"),
        ("edit", {"id": 0, "text": "hi"}, "invalid_payload"),
        ("edit", {"id": "MINE"}, "invalid_payload"),
        ("edit", {"id": "MINE", "text": 42}, "invalid_payload"),
        ("edit", {"id": "MINE", "text": "\ud800"}, "invalid_payload"),
        ("edit", {"id": "MINE", "text": "  \n "}, "empty_message"),
        ("edit", {"id": "MINE", "text": "x" * 2001}, "message_too_long"),
        ("edit", ["MINE", "text"], "invalid_payload"),
        ("delete", {}, "invalid_payload"),
        ("delete", {"id": 1.5}, "invalid_payload"),
        ("delete", "MINE", "invalid_payload"),
    ],
)
def test_bad_edits_and_deletions_are_refused_and_change_nothing(live_server_url, event, payload, error):
    alice = UserFactory()
    mine = Message.objects.create(room="lobby", user=alice, text="original")

    def with_my_id(value):
        if value == "MINE":
            return mine.id
        if value == "MINE AS TEXT":
            return str(mine.id)
        if isinstance(value, dict):
            return {key: with_my_id(item) for key, item in value.items()}
        if isinstance(value, list):
            return [with_my_id(item) for item in value]
        return value

    alice_token = access_token_for(alice)

    async def scenario():
        async with connected(live_server_url, alice_token) as client:
            refusal = await client.call(event, with_my_id(payload))
            barrier = await client.call("message", "barrier")  # any broadcast would be there by now
            await client.message("barrier")
            return refusal, barrier, client.received

    refusal, barrier, received = asyncio.run(scenario())
    assert refusal == {"ok": False, "error": error}
    assert barrier["ok"] is True
    assert received["message_edited"] == received["message_deleted"] == []
    mine.refresh_from_db()
    assert (mine.text, mine.edited_at) == ("original", None)


def admin_session(url: str, staff) -> requests.Session:
    """A browser session of `staff`, logged in to the admin of the server at `url`."""
    session = requests.Session()
    session.get(f"{url}/admin/login/", timeout=10)
    response = session.post(
        f"{url}/admin/login/?next=/admin/",
        data={
            "username": staff.username,
            "password": STAFF_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def staff_with_password():
    # Hashed as the test servers hash (tests/server_settings.py).
    staff = UserFactory(is_staff=True)
    staff.set_password(STAFF_PASSWORD)
    staff.save(update_fields=["password"])
    return staff


def admin_post(session: requests.Session, url: str, path: str, data: dict) -> requests.Response:
    data = {**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(f"{url}{path}", data=data, allow_redirects=False, timeout=10)


def test_deletions_in_the_admin_are_broadcast_to_the_room(chat_servers):
    first_url, second_url = chat_servers
    alice, bob = UserFactory(), UserFactory()
    staff = staff_with_password()
    room = unique_room()
    one, two, three = (Message.objects.create(room=room, user=alice, text=f"spam {n}") for n in range(3))
    elsewhere = Message.objects.create(room="lobby", user=alice, text="elsewhere")

    alice_token = access_token_for(alice)
    bob_token = access_token_for(bob)

    async def scenario():
        session = await asyncio.to_thread(admin_session, first_url, staff)
        async with (
            connected(first_url, bob_token) as on_first,
            connected(second_url, alice_token, transports=None) as on_second,
        ):
            for client in (on_first, on_second):
                await client.call("join", {"room": room})
            single = await asyncio.to_thread(
                admin_post, session, first_url, f"/admin/chat/message/{one.id}/delete/", {"post": "yes"}
            )
            bulk = await asyncio.to_thread(
                admin_post,
                session,
                first_url,
                "/admin/chat/message/",
                {"action": "delete_selected", "post": "yes", "_selected_action": [two.id, three.id]},
            )
            for client in (on_first, on_second):
                await client.wait_until(
                    lambda c=client: len(c.received["message_deleted"]) == 3, "three deletions"
                )
            return single.status_code, bulk.status_code, on_first.received, on_second.received

    single, bulk, on_first, on_second = asyncio.run(scenario())
    assert (single, bulk) == (302, 302)
    expected = [{"id": message.id, "room": room} for message in (one, two, three)]
    for received in (on_first, on_second):
        assert sorted(received["message_deleted"], key=lambda event: event["id"]) == expected
    assert list(Message.objects.values_list("id", flat=True)) == [elsewhere.id]


def test_a_refused_admin_deletion_is_not_broadcast(one_process_server):
    alice = UserFactory()
    staff = staff_with_password()
    room = unique_room()
    message = Message.objects.create(room=room, user=alice, text="stays")

    alice_token = access_token_for(alice)

    async def scenario():
        session = await asyncio.to_thread(admin_session, one_process_server, staff)
        async with connected(one_process_server, alice_token) as client:
            await client.call("join", {"room": room})
            refused = await asyncio.to_thread(
                session.post,
                f"{one_process_server}/admin/chat/message/{message.id}/delete/",
                data={"post": "yes", "csrfmiddlewaretoken": "forged" * 6},  # not the session's token
                allow_redirects=False,
                timeout=10,
            )
            await client.call("message", {"room": room, "text": "barrier"})
            await client.message("barrier")
            return refused.status_code, client.received["message_deleted"]

    status, deleted = asyncio.run(scenario())
    assert status == 403
    assert deleted == []
    assert Message.objects.filter(id=message.id).exists()


def test_an_edit_takes_a_message_slot_so_edits_cannot_flood_a_room(live_server_url):
    alice = UserFactory()
    alice_token = access_token_for(alice)

    async def scenario():
        async with connected(live_server_url, alice_token) as client:
            sent = [await client.call("message", f"message {n}") for n in range(10)]
            return sent, await client.call("edit", {"id": sent[0]["message"]["id"], "text": "one too many"})

    sent, edit = asyncio.run(scenario())
    assert all(ack["ok"] for ack in sent)
    assert edit == {"ok": False, "error": "rate_limited"}
    assert Message.objects.get(id=sent[0]["message"]["id"]).text == "message 0"
