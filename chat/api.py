"""Chat history over REST: the rooms list and a room's messages, page by page."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import error_responses

from . import selectors
from .models import ROOM_NAME_PATTERN
from .serializers import (
    MessagePageQuerySerializer,
    MessagePageSerializer,
    RoomListSerializer,
    RoomPathSerializer,
    messages_data,
)


class RoomListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: RoomListSerializer, **error_responses(401)},
        description=(
            f"The rooms that have messages, most recently active first "
            f"(at most {selectors.ROOM_LIST_LENGTH}), each with the caller's `unread_count`: the "
            f"others' messages after the caller's last `read` or `join` of the room (Socket.IO "
            f"events), all of them in a room the caller never read."
        ),
    )
    def get(self, request):
        return Response(RoomListSerializer({"results": selectors.room_list(user=request.user)}).data)


class RoomMessagesView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "room",
                str,
                OpenApiParameter.PATH,
                pattern=rf"^{ROOM_NAME_PATTERN}$",
                description="A room name, e.g. `movie:tt0133093` or `lobby`.",
            ),
            MessagePageQuerySerializer,
        ],
        responses={200: MessagePageSerializer, **error_responses(400, 401)},
        description="A room's messages, newest first; pass `next_before` as `before` for the next page.",
    )
    def get(self, request, room):
        path = RoomPathSerializer(data={"room": room})
        query = MessagePageQuerySerializer(data=request.query_params)
        errors = {
            **(path.errors if not path.is_valid() else {}),
            **(query.errors if not query.is_valid() else {}),
        }
        if errors:
            raise ValidationError(errors)
        page = selectors.room_message_page(
            room=path.validated_data["room"],
            before=query.validated_data.get("before"),
            limit=query.validated_data["limit"],
        )
        return Response({"results": messages_data(page.results), "next_before": page.next_before})
