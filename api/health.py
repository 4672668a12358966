import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def check_cache() -> bool:
    try:
        cache.set("health:probe", "ok", timeout=10)
        return cache.get("health:probe") == "ok"
    except Exception:
        logger.exception("Health check: cache unreachable")
        return False


def check_chat_manager() -> bool:
    if not settings.REDIS_URL:
        return True
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        with client:
            return bool(client.ping())
    except redis.RedisError:
        logger.exception("Health check: Socket.IO's Redis unreachable")
        return False


class HealthView(APIView):
    """Liveness and readiness in one: 200 when every part answers, else 503 naming it."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "cache": serializers.CharField(),
                    "chat_manager": serializers.CharField(),
                },
            ),
            (503, "application/json"): inline_serializer(
                "HealthFailure",
                {
                    "status": serializers.CharField(),
                    "detail": serializers.CharField(),
                    "database": serializers.CharField(),
                    "cache": serializers.CharField(),
                    "chat_manager": serializers.CharField(),
                },
            ),
        }
    )
    def get(self, request):
        manager = "redis" if settings.REDIS_URL else "memory"
        parts = {
            "database": check_database(),
            "cache": check_cache(),
            manager: check_chat_manager(),
        }
        failing = [name for name, healthy in parts.items() if not healthy]
        body = {
            "status": "ok" if not failing else "unavailable",
            "database": "ok" if parts["database"] else "unavailable",
            "cache": "ok" if parts["cache"] else "unavailable",
            "chat_manager": manager,
        }
        if failing:
            body["detail"] = "Unavailable: " + ", ".join(failing) + "."
            return Response(body, status=503)
        return Response(body)
