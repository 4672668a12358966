"""The Socket.IO server of Scrapbook's chat, mounted in the one ASGI application.

With REDIS_URL set, python-socketio's AsyncRedisManager carries every emit to all
workers and hosts, so they behave as one server.
"""

import logging
from urllib.parse import parse_qs

import socketio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

logger = logging.getLogger(__name__)

AUTHENTICATION_FAILED = "authentication failed"
LOBBY = "lobby"


def make_client_manager():
    if settings.REDIS_URL:
        return socketio.AsyncRedisManager(settings.REDIS_URL, channel=settings.SOCKETIO_CHANNEL)
    return None  # python-socketio's in-memory manager


sio = socketio.AsyncServer(
    async_mode="asgi",
    client_manager=make_client_manager(),
    cors_allowed_origins=settings.CORS_ALLOWED_ORIGINS,
    logger=False,
    engineio_logger=False,
)


@sync_to_async
def user_for_access_token(token):
    """The active user an access token names, or None when the token is not good."""
    if not isinstance(token, str) or not token:
        return None
    try:
        validated = AccessToken(token)
    except TokenError:
        return None
    user_id = validated.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
    user_model = get_user_model()
    return user_model.objects.filter(pk=user_id, is_active=True).only("id", "username").first()


def token_from(environ, auth):
    if isinstance(auth, dict) and auth.get("token"):
        return auth["token"]
    tokens = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return tokens[0] if tokens else None


@sio.event
async def connect(sid, environ, auth=None):
    user = await user_for_access_token(token_from(environ, auth))
    if user is None:
        raise socketio.exceptions.ConnectionRefusedError(AUTHENTICATION_FAILED)
    await sio.save_session(sid, {"user_id": user.id, "username": user.username})
    await sio.enter_room(sid, LOBBY)


@sio.event
async def message(sid, data):
    session = await sio.get_session(sid)
    user = {"id": session["user_id"], "username": session["username"]}
    await sio.emit("message", {"user": user, "text": data})


socketio_app = socketio.ASGIApp(sio, socketio_path="socket.io")
