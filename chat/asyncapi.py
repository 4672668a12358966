"""The AsyncAPI 3.0 document of the chat's Socket.IO events, served at /api/asyncapi/.

It says what the Chat section of ../shared/API.md says, with the numbers of its rules
imported from the code that enforces them. Events and refusals of the contract that this
server does not implement yet are there too, marked `x-implemented: false`, so that the
document never promises more than the server does (chat/tests/test_asyncapi.py checks it
against the running server).
"""

import functools
import json

from django.conf import settings

from . import models, selectors, services, socket_server

LOBBY = socket_server.LOBBY

# The refusals of the contract (`error` of a negative acknowledgement), in its order.
REFUSALS = {
    "invalid_payload": "not the documented shape: not an object, a missing key, a wrong type, "
    "a bad `client_id`, a message id that is not a positive integer",
    "invalid_room": f"the room name does not match `^{models.ROOM_NAME_PATTERN}$`",
    "unknown_movie": "a `movie:<imdb_id>` room must name a movie of the catalogue or, when the IMDb API "
    "is configured, one the API knows (it is then added to the catalogue); a movie the API cannot be "
    "asked about at the moment (down, slow) is refused too",
    "not_in_room": "the connection has not joined that room",
    "too_many_rooms": f"a connection is in at most {socket_server.MAX_ROOMS_PER_CONNECTION} rooms, "
    f"`{LOBBY}` included",
    "empty_message": "the text is empty after trimming",
    "message_too_long": f"the text is longer than {models.MESSAGE_MAX_LENGTH} characters after trimming",
    "rate_limited": f"more than {services.RATE_LIMIT_MESSAGES} messages in "
    f"{services.RATE_LIMIT_WINDOW_SECONDS} seconds by the user, or a second `typing` in a room "
    f"within {services.TYPING_INTERVAL_SECONDS} s; nothing was sent",
    "not_found": "no such message (never stored, or deleted); for `read`, no message of the room at "
    "or before `last_read_id`",
    "forbidden": "another user's message: only its author edits it, only its author or staff delete it",
    "storage_failed": "the message could not be stored, so nobody received it",
    "server_error": "anything unexpected (logged)",
}
# Refusals of the contract that this server never answers yet, and why (none today).
REFUSALS_PLANNED: dict[str, str] = {}


def ref(*path: str) -> dict:
    return {"$ref": "#/" + "/".join(path)}


def schema(name: str) -> dict:
    return ref("components", "schemas", name)


def record(required: list[str], **properties) -> dict:
    """A JSON object schema: these properties, the `required` ones always present."""
    return {"type": "object", "required": required, "properties": properties}


def planned(thing: dict, note: str | None) -> dict:
    """`thing` (an operation, a message, a property), marked as promised by the contract but not
    served yet when there is a `note` saying what is planned."""
    if note is None:
        return thing
    description = f"{note}. {thing['description']}" if "description" in thing else note
    return {**thing, "description": description, "x-implemented": False}


def success(optional=(), **properties) -> dict:
    """A positive acknowledgement `{ok: true, ...properties}`, all present but the `optional`."""
    required = ["ok", *(name for name in properties if name not in optional)]
    return record(required, ok={"const": True}, **properties)


ROOM_FIELD = schema("RoomName")
IN_ROOM = record(["room"], room=ROOM_FIELD)  # `{room}`, a payload and an acknowledgement's fields
USERNAMES = {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "description": "sorted"}

SCHEMAS = {
    "RoomName": {
        "type": "string",
        "pattern": f"^{models.ROOM_NAME_PATTERN}$",
        "maxLength": models.ROOM_NAME_MAX_LENGTH,
        "description": f"`movie:<imdb_id>` is a movie page's room; every connection joins `{LOBBY}`.",
        "examples": [LOBBY, "movie:tt0133093"],
    },
    "User": record(["id", "username"], id={"type": "integer"}, username={"type": "string"}),
    "Message": {
        **record(
            ["id", "room", "user", "text", "created_at", "edited_at"],
            id={"type": "integer"},
            room=ROOM_FIELD,
            user=schema("User"),
            text={"type": "string", "minLength": 1, "maxLength": models.MESSAGE_MAX_LENGTH},
            created_at={"type": "string", "format": "date-time", "description": "ISO 8601, UTC"},
            edited_at={"type": ["string", "null"], "format": "date-time", "description": "null until edited"},
        ),
        "description": "A stored chat message, as broadcast, acknowledged and listed over REST.",
    },
    "Refusal": {
        **record(
            ["ok", "error"],
            ok={"const": False},
            error={
                "type": "string",
                "enum": list(REFUSALS),
                "description": "\n".join(
                    f"- `{code}`: {meaning}"
                    + (f" ({REFUSALS_PLANNED[code]})" if code in REFUSALS_PLANNED else "")
                    for code, meaning in REFUSALS.items()
                ),
                "x-planned": sorted(REFUSALS_PLANNED),
            },
        ),
        "description": "A negative acknowledgement: the event was refused and changed nothing.",
    },
}

# Client -> server events: name -> (summary, payload, the positive acknowledgement, planned note).
CLIENT_EVENTS = {
    "join": (
        f"Join a room. Acks the usernames present (sorted, each once, the joiner included) and "
        f"the last {selectors.HISTORY_LENGTH} messages, oldest first. A connection is in at most "
        f"{socket_server.MAX_ROOMS_PER_CONNECTION} rooms. A `movie:<imdb_id>` room must name a "
        "movie of the catalogue, or one the IMDb API knows (`unknown_movie` otherwise). Joining "
        "reads the room up to its newest message (see `read`).",
        IN_ROOM,
        success(
            room=ROOM_FIELD,
            members=USERNAMES,
            history={"type": "array", "items": schema("Message"), "maxItems": selectors.HISTORY_LENGTH},
        ),
        None,
    ),
    "leave": ("Leave a room (also fine when not in it).", IN_ROOM, success(room=ROOM_FIELD), None),
    "message": (
        "Send a message to a room the connection has joined: it is stored, then broadcast to the "
        f"room (`message`), the sender included. At most {services.RATE_LIMIT_MESSAGES} messages "
        f"in {services.RATE_LIMIT_WINDOW_SECONDS} seconds per user, across connections. A resend "
        "with the same `client_id` stores and broadcasts nothing and acks the stored message with "
        "`duplicate: true`. A bare string is the text of a message to the lobby.",
        {
            "oneOf": [
                record(
                    ["text"],
                    room={"anyOf": [ROOM_FIELD, {"type": "null"}], "description": f"default `{LOBBY}`"},
                    text={
                        "type": "string",
                        "description": f"1 to {models.MESSAGE_MAX_LENGTH} characters after trimming",
                    },
                    client_id={
                        "type": ["string", "null"],
                        "pattern": f"^{models.CLIENT_ID_PATTERN}$",
                        "maxLength": models.CLIENT_ID_MAX_LENGTH,
                        "description": "chosen by the client (a UUID, say): resending is safe; null = absent",
                    },
                ),
                {"type": "string", "description": f"the text of a message to `{LOBBY}`"},
            ]
        },
        success(
            ["duplicate"], message=schema("Message"), duplicate={"const": True, "description": "on a resend"}
        ),
        None,
    ),
    "typing": (
        "Tell the room's other connections that the user is typing (`typing`). At most one "
        f"every {services.TYPING_INTERVAL_SECONDS} s per user and room is relayed, across "
        "connections and workers; the others are refused with `rate_limited`.",
        IN_ROOM,
        success(room=ROOM_FIELD),
        None,
    ),
    "edit": (
        "The author changes the text of their message, in any room (joined or not). The text "
        "follows the rules of `message` (cleaned, trimmed, 1 to "
        f"{models.MESSAGE_MAX_LENGTH} characters), and an edit takes one of the user's "
        f"{services.RATE_LIMIT_MESSAGES} message slots, since the room sees it as it sees a message: "
        "`message_edited` (the `Message` with `edited_at`) is broadcast to the message's room.",
        record(
            ["id", "text"],
            id={"type": "integer", "minimum": 1},
            text={"type": "string", "description": "as `message`'s"},
        ),
        success(message=schema("Message")),
        None,
    ),
    "delete": (
        "The author, or staff, deletes a message: it is gone from the history, and `message_deleted` "
        "is broadcast to its room. A deletion in the admin is broadcast too.",
        record(["id"], id={"type": "integer", "minimum": 1}),
        success(id={"type": "integer"}, room=ROOM_FIELD),
        None,
    ),
    "read": (
        "Record how far the caller has read a room (joined or not): the rooms list's `unread_count` "
        "counts the others' messages after it. The position stored is the room's newest message at "
        "or before `last_read_id`, and never moves backwards: the ack says where it stands. "
        "`join` reads the room up to its newest message too.",
        record(["room", "last_read_id"], room=ROOM_FIELD, last_read_id={"type": "integer", "minimum": 1}),
        success(room=ROOM_FIELD, last_read_id={"type": "integer", "description": "the position now stored"}),
        None,
    ),
}

# Server -> client events: name -> (summary, payload, planned note).
SERVER_EVENTS = {
    "message": ("A message stored in a room the connection is in.", schema("Message"), None),
    "typing": (
        "Someone else in the room is typing (never sent back to the typing connection).",
        record(["room", "user"], room=ROOM_FIELD, user=schema("User")),
        None,
    ),
    "presence": (
        "Who is in the room, sent when its connections change (join, leave, disconnect); "
        f"coalesced: at most one every {socket_server.PRESENCE_INTERVAL_SECONDS} s per room and "
        "worker (longer in large rooms), always with the latest state.",
        record(["room", "users"], room=ROOM_FIELD, users=USERNAMES),
        None,
    ),
    "message_edited": ("A message of the room was edited by its author.", schema("Message"), None),
    "message_deleted": (
        "A message of the room was deleted, by its author, by staff, or in the admin.",
        record(["id", "room"], id={"type": "integer"}, room=ROOM_FIELD),
        None,
    ),
    "session_expired": (
        "The connection's access token expired: the server disconnects it; reconnect with a fresh token.",
        {"type": "object", "maxProperties": 0},
        None,
    ),
}


def message(name: str, summary: str, payload: dict, note: str | None, title: str | None = None) -> dict:
    return planned({"name": name, "title": title or name, "summary": summary, "payload": payload}, note)


def document() -> dict:
    messages, chat_messages, acks, operations = {}, {}, {}, {}
    for name, (summary, payload, ack, note) in CLIENT_EVENTS.items():
        messages[name] = message(name, summary, payload, note)
        answer = {"oneOf": [ack, schema("Refusal")]}
        title = f"acknowledgement of {name}"
        messages[f"{name}Ack"] = message(f"{name}Ack", f"The {title}.", answer, note, title)
        chat_messages[name] = ref("components", "messages", name)
        acks[f"{name}Ack"] = ref("components", "messages", f"{name}Ack")
        operation = {
            "action": "receive",
            "channel": ref("channels", "chat"),
            "messages": [ref("channels", "chat", "messages", name)],
            "reply": {
                "channel": ref("channels", "acknowledgements"),
                "messages": [ref("channels", "acknowledgements", "messages", f"{name}Ack")],
            },
            "summary": summary,
        }
        operations[name] = planned(operation, note)
    for name, (summary, payload, note) in SERVER_EVENTS.items():
        key = f"{name}Event"
        messages[key] = message(name, summary, payload, note)
        chat_messages[key] = ref("components", "messages", key)
        operation = {
            "action": "send",
            "channel": ref("channels", "chat"),
            "messages": [ref("channels", "chat", "messages", key)],
            "summary": summary,
        }
        operations["send" + name.title().replace("_", "")] = planned(operation, note)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{settings.SPECTACULAR_SETTINGS['TITLE']}: chat (Socket.IO)",
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "description": "The chat's Socket.IO events; the REST API is described at /api/schema/ "
            "and /api/docs/. Operations are the server's: it `receive`s the events a client emits "
            "(each answered by an acknowledgement, the operation's reply: `{ok: true, ...}` or "
            "`{ok: false, error}`) and `send`s the others. A message's `name` is its event name. "
            "Handlers of one connection run in the order its events were sent. Anything marked "
            "`x-implemented: false` is in the contract but not served yet.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "scrapbook": {
                "host": "{host}",
                "pathname": "/socket.io/",
                "protocol": "socket.io",
                "protocolVersion": "5",
                "description": "Socket.IO protocol v5 (socket.io-client 3 and 4) over Engine.IO v4, on both "
                "transports: HTTP long-polling with upgrade (socket.io-client's default) and "
                f"websocket-only. Every connection joins the room `{LOBBY}`.",
                "variables": {"host": {"default": "127.0.0.1:8000", "description": "the API's host:port"}},
                "security": [ref("components", "securitySchemes", "accessToken")],
                "x-transports": ["polling", "websocket"],
            }
        },
        "channels": {
            "chat": {
                "address": "/",
                "description": "Every event travels on the default namespace; rooms are named in payloads.",
                "servers": [ref("servers", "scrapbook")],
                "messages": chat_messages,
            },
            "acknowledgements": {
                "address": None,
                "description": "Socket.IO acknowledgements: the answer to an event, passed to its callback.",
                "servers": [ref("servers", "scrapbook")],
                "messages": acks,
            },
        },
        "operations": operations,
        "components": {
            "schemas": SCHEMAS,
            "messages": messages,
            "securitySchemes": {
                "accessToken": {
                    "type": "httpApiKey",
                    "name": "token",
                    "in": "query",
                    "description": "An access JWT (the `access` of POST /api/auth/login/), sent in the "
                    "Socket.IO handshake's `auth` payload `{token}` (`io(url, {auth: {token}})`, "
                    "preferred) or as the `?token=` query parameter. A missing, invalid or expired "
                    "token is refused: the client gets `connect_error` with the message "
                    f'"{socket_server.AUTHENTICATION_FAILED}".',
                    "x-auth-payload": record(["token"], token={"type": "string"}),
                    "x-connect-error": socket_server.AUTHENTICATION_FAILED,
                }
            },
        },
    }


@functools.cache
def document_json() -> bytes:
    """The document as served; built once per process, since it never changes while it runs."""
    return json.dumps(document(), indent=2).encode()
