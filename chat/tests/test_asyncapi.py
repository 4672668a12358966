"""The AsyncAPI document of the chat (chat/asyncapi.py, GET /api/asyncapi/): AsyncAPI 3.0 in
shape, complete against the contract (../shared/API.md), honest about what the server does,
and right about what the running server actually sends."""

import asyncio
import re
from datetime import datetime
from pathlib import Path

import pytest
import requests
import socketio
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chat import asyncapi
from chat.socket_server import sio
from chat.tests.clients import ChatClient, connected, unique_room
from conftest import access_token_for

CHAT_SOURCES = sorted(Path(asyncapi.__file__).parent.glob("*.py"))  # chat/*.py, not its tests

# The Chat section of ../shared/API.md.
CONTRACT_CLIENT_EVENTS = {"join", "leave", "message", "typing", "edit", "delete", "read"}
CONTRACT_SERVER_EVENTS = {
    "message",
    "typing",
    "presence",
    "message_edited",
    "message_deleted",
    "session_expired",
}
CONTRACT_REFUSALS = [
    "invalid_payload",
    "invalid_room",
    "unknown_movie",
    "not_in_room",
    "too_many_rooms",
    "empty_message",
    "message_too_long",
    "rate_limited",
    "not_found",
    "forbidden",
    "storage_failed",
    "server_error",
]
CONTRACT_MESSAGE_FIELDS = {"id", "room", "user", "text", "created_at", "edited_at"}

# The part of AsyncAPI 3.0's JSON Schema (github.com/asyncapi/spec-json-schemas, definitions/
# 3.0.0) that covers the objects and fields this document uses. Objects are closed as in the
# specification (only their fields and `x-` extensions), so a misspelt or misplaced field fails.
STRING = {"type": "string"}
TEXTS = {"title": STRING, "summary": STRING, "description": STRING}
REFERENCE = {"type": "object", "required": ["$ref"], "properties": {"$ref": STRING}}
REFERENCES = {"type": "array", "items": REFERENCE}


def closed(required: list[str], **properties) -> dict:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "patternProperties": {r"^x-[\w\d\.\x2d_]+$": {}},
        "additionalProperties": False,
    }


def map_of(value: dict) -> dict:
    return {"type": "object", "propertyNames": {"pattern": r"^[\w\d\.\-_]+$"}, "additionalProperties": value}


ASYNCAPI_3_0 = closed(
    ["asyncapi", "info"],
    asyncapi={"const": "3.0.0"},
    info=closed(["title", "version"], title=STRING, version=STRING, description=STRING),
    defaultContentType=STRING,
    servers=map_of(
        closed(
            ["host", "protocol"],
            host=STRING,
            pathname=STRING,
            protocol=STRING,
            protocolVersion=STRING,
            variables=map_of(closed([], default=STRING, description=STRING)),
            security=REFERENCES,
            **TEXTS,
        )
    ),
    channels=map_of(
        closed(
            [],
            address={"type": ["string", "null"]},
            servers=REFERENCES,
            messages=map_of(REFERENCE),
            **TEXTS,
        )
    ),
    operations=map_of(
        closed(
            ["action", "channel"],
            action={"enum": ["send", "receive"]},
            channel=REFERENCE,
            messages=REFERENCES,
            reply=closed([], channel=REFERENCE, messages=REFERENCES),
            **TEXTS,
        )
    ),
    components=closed(
        [],
        schemas=map_of({"type": ["object", "boolean"]}),
        messages=map_of(
            closed([], name=STRING, payload={"type": "object"}, contentType=STRING, **TEXTS),
        ),
        securitySchemes=map_of(
            closed(
                ["type", "name", "in"],
                type={"const": "httpApiKey"},
                name=STRING,
                description=STRING,
                **{"in": {"enum": ["header", "query", "cookie"]}},
            )
        ),
    ),
)


@pytest.fixture(scope="module")
def document():
    return asyncapi.document()


def references(node, where="#"):
    """Every `$ref` in `node`, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from references(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from references(value, f"{where}/{index}")


def resolve(document, reference: str):
    """What a local reference (`#/a/b`) points at, following references to references."""
    assert reference.startswith("#/"), reference
    node = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return resolve(document, node["$ref"]) if isinstance(node, dict) and "$ref" in node else node


def validator(document, pointer: str) -> Draft202012Validator:
    """A validator of the schema at `pointer` in the document, its `$ref`s resolved."""
    uri = "urn:scrapbook:asyncapi"
    registry = Registry().with_resource(
        uri, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def operations(document, action: str):
    """(event name, operation) of every operation with this action."""
    for operation in document["operations"].values():
        if operation["action"] == action:
            for reference in operation["messages"]:
                yield resolve(document, reference["$ref"])["name"], operation


def implemented(document, action: str) -> set[str]:
    return {name for name, operation in operations(document, action) if operation.get("x-implemented", True)}


def test_the_document_has_the_shape_of_asyncapi_3(document):
    Draft202012Validator(ASYNCAPI_3_0).validate(document)
    for where, reference in references(document):
        assert resolve(document, reference) is not None, where
    for name, operation in document["operations"].items():
        channel = operation["channel"]["$ref"]
        assert all(m["$ref"].startswith(f"{channel}/messages/") for m in operation["messages"]), name
        if "reply" in operation:
            reply = operation["reply"]["channel"]["$ref"]
            assert all(m["$ref"].startswith(f"{reply}/messages/") for m in operation["reply"]["messages"]), (
                name
            )
    server = document["servers"]["scrapbook"]
    assert (server["protocol"], server["protocolVersion"], server["pathname"]) == (
        "socket.io",
        "5",
        "/socket.io/",
    )


def test_every_payload_schema_is_a_json_schema(document):
    components = document["components"]
    schemas = [*components["schemas"].values(), *(m["payload"] for m in components["messages"].values())]
    for schema in schemas:
        Draft202012Validator.check_schema(schema)
        Draft7Validator.check_schema(schema)  # AsyncAPI's own schema format is draft 7's superset
    assert len(schemas) == len(components["schemas"]) + len(components["messages"])


def test_every_event_of_the_contract_is_documented(document):
    assert {name for name, _ in operations(document, "receive")} == CONTRACT_CLIENT_EVENTS
    assert {name for name, _ in operations(document, "send")} == CONTRACT_SERVER_EVENTS
    for name, operation in operations(document, "receive"):
        assert len(operation["reply"]["messages"]) == 1, name  # every client event is acknowledged
    message = document["components"]["schemas"]["Message"]
    assert set(message["properties"]) == CONTRACT_MESSAGE_FIELDS


def test_events_are_marked_implemented_exactly_when_the_server_handles_or_sends_them(document):
    handled = set(sio.handlers["/"]) - {"connect", "disconnect"}
    emitted = {name for path in CHAT_SOURCES for name in re.findall(r'emit\(\s*"(\w+)"', path.read_text())}
    assert implemented(document, "receive") == handled
    assert implemented(document, "send") == emitted
    for name, operation in [*operations(document, "receive"), *operations(document, "send")]:
        if not operation.get("x-implemented", True):
            assert operation["description"].startswith("planned"), name


def test_every_refusal_the_code_answers_is_documented(document):
    error = document["components"]["schemas"]["Refusal"]["properties"]["error"]
    sources = "".join(path.read_text() for path in CHAT_SOURCES)
    answered = set(re.findall(r'ChatError\("(\w+)"\)', sources)) | set(
        re.findall(r'"error": "(\w+)"', sources)
    )
    assert answered, "the search for refusal codes finds none: has the code changed shape?"
    assert answered <= set(error["enum"]), f"undocumented: {answered - set(error['enum'])}"
    assert error["enum"] == CONTRACT_REFUSALS
    assert not answered & set(error["x-planned"]), "answered by the server, yet documented as planned"


def test_the_rules_numbers_come_from_the_code(document):
    from chat import models, services

    schemas = document["components"]["schemas"]
    assert schemas["RoomName"]["pattern"] == f"^{models.ROOM_NAME_PATTERN}$"
    assert schemas["Message"]["properties"]["text"]["maxLength"] == models.MESSAGE_MAX_LENGTH
    summary = document["operations"]["message"]["summary"]
    assert (
        f"At most {services.RATE_LIMIT_MESSAGES} messages in {services.RATE_LIMIT_WINDOW_SECONDS} seconds"
        in summary
    )
    room = validator(document, "/components/schemas/RoomName")
    assert room.is_valid("movie:tt0133093") and room.is_valid("lobby")
    assert not room.is_valid("Lobby") and not room.is_valid("a" * 65) and not room.is_valid(":x")


def test_asyncapi_is_served_as_public_json_next_to_the_schema(client, document):
    response = client.get("/api/asyncapi/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == document
    assert client.head("/api/asyncapi/").status_code == 200
    refused = client.post("/api/asyncapi/")
    assert refused.status_code == 405
    assert refused.json() == {"detail": "Method Not Allowed."}
    openapi = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert not any("asyncapi" in path for path in openapi["paths"])


def test_api_docs_link_to_asyncapi(client):
    openapi = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "](/api/asyncapi/)" in openapi["info"]["description"]  # Swagger UI renders it atop /api/docs/
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "/api/schema/" in docs.content.decode()  # the page shows that schema, description included


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_the_documented_schemas_hold_what_the_running_server_sends(live_server_url, user, other_user):
    document = requests.get(f"{live_server_url}/api/asyncapi/", timeout=10).json()
    room = unique_room()
    alice_token, bob_token = access_token_for(user), access_token_for(other_user)

    async def scenario():
        acks = {}
        async with (
            connected(live_server_url, alice_token) as alice,
            connected(live_server_url, bob_token) as bob,
        ):
            acks["join"] = [await alice.call("join", {"room": room}), await bob.call("join", {"room": room})]
            await alice.presence(room, sorted([user.username, other_user.username]))
            message = {"room": room, "text": "  as documented  ", "client_id": "asyncapi-test-1"}
            acks["message"] = [await alice.call("message", message), await alice.call("message", message)]
            acks["message"].append(await alice.call("message", "a bare string to the lobby"))
            broadcast = await bob.message("as documented")
            acks["typing"] = [await alice.call("typing", {"room": room})]
            typing = await bob.wait_until(lambda: bob.received["typing"][-1:], "typing")
            acks["join"].append(await bob.call("join", {"room": room}))  # its history holds the message
            acks["read"] = [await bob.call("read", {"room": room, "last_read_id": broadcast["id"]})]
            spare = (await alice.call("message", {"room": room, "text": "to edit, then delete"}))["message"]
            acks["edit"] = [await alice.call("edit", {"id": spare["id"], "text": "edited"})]
            edited = await bob.wait_until(lambda: bob.received["message_edited"][-1:], "message_edited")
            acks["delete"] = [await alice.call("delete", {"id": spare["id"]})]
            deleted = await bob.wait_until(lambda: bob.received["message_deleted"][-1:], "message_deleted")
            acks["leave"] = [await alice.call("leave", {"room": room})]
            refusals = [
                await alice.call("message", {"room": unique_room(), "text": "nobody hears this"}),
                await alice.call("join", {"room": "Not a room"}),
                await alice.call("typing", ["not", "an", "object"]),
                await alice.call("join", {"room": "movie:tt0000001"}),
                await alice.call("delete", {"id": spare["id"]}),
                await bob.call("edit", {"id": broadcast["id"], "text": "not bob's"}),
            ]
            changes = {"message_edited": edited[0], "message_deleted": deleted[0]}
            return acks, broadcast, typing[0], bob.received["presence"], refusals, changes

    acks, broadcast, typing, presence, refusals, changes = asyncio.run(scenario())

    message = validator(document, "/components/schemas/Message")
    message.validate(broadcast)
    assert set(broadcast) <= set(document["components"]["schemas"]["Message"]["properties"])
    datetime.fromisoformat(broadcast["created_at"])  # jsonschema checks no format without extras
    validator(document, "/components/messages/messageEvent/payload").validate(broadcast)
    validator(document, "/components/messages/typingEvent/payload").validate(typing)
    for event in presence:
        validator(document, "/components/messages/presenceEvent/payload").validate(event)
    for event, answers in acks.items():
        for answer in answers:
            assert answer["ok"] is True, (event, answer)
            validator(document, f"/components/messages/{event}Ack/payload").validate(answer)
    assert acks["message"][1]["duplicate"] is True
    assert acks["message"][0]["message"] == broadcast
    assert broadcast in acks["join"][2]["history"]
    for event, payload in changes.items():
        validator(document, f"/components/messages/{event}Event/payload").validate(payload)
    assert changes["message_edited"] == acks["edit"][0]["message"]
    assert changes["message_edited"]["edited_at"] is not None
    assert changes["message_deleted"] == {"id": acks["edit"][0]["message"]["id"], "room": room}
    assert [refusal["error"] for refusal in refusals] == [
        "not_in_room",
        "invalid_room",
        "invalid_payload",
        "unknown_movie",
        "not_found",
        "forbidden",
    ]
    for event, refusal in zip(["message", "join", "typing", "join", "delete", "edit"], refusals, strict=True):
        validator(document, f"/components/messages/{event}Ack/payload").validate(refusal)
        validator(document, "/components/schemas/Refusal").validate(refusal)


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_a_refused_connection_gets_the_documented_connect_error(live_server_url):
    document = requests.get(f"{live_server_url}/api/asyncapi/", timeout=10).json()
    documented = document["components"]["securitySchemes"]["accessToken"]["x-connect-error"]

    async def refusal():
        client = ChatClient(live_server_url, "not a token", transports=["websocket"])
        errors = []
        client.client.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect()
        return errors[0]["message"]

    assert asyncio.run(refusal()) == documented == "authentication failed"
