"""The chat's wire shapes (../shared/API.md): `Message`, the rooms list, a history page."""

from rest_framework import serializers

from api.serializers import ApiModelSerializer
from api.shapes import FastOutput, compiled_row_output

from .models import ROOM_NAME_MAX_LENGTH, Message, validate_room_name
from .selectors import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX


class MessageUserSerializer(FastOutput, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class MessageSerializer(FastOutput, ApiModelSerializer):
    """`Message` = `{id, room, user: {id, username}, text, created_at, edited_at}`, on REST and
    Socket.IO (`edited_at` null until edited)."""

    user = MessageUserSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "room", "user", "text", "created_at", "edited_at"]
        read_only_fields = fields


def message_data(message: Message) -> dict:
    """A message as the plain dict that Socket.IO emits and acknowledgements carry."""
    return dict(MessageSerializer(message).data)


def messages_data(rows: list[dict]) -> list[dict]:
    """Messages read as rows (chat.selectors) as plain dicts, as MessageSerializer shows them."""
    shown = compiled_row_output(MessageSerializer)
    return [shown(row) for row in rows]


class RoomSummarySerializer(serializers.Serializer):
    room = serializers.CharField()
    last_message = MessageSerializer(allow_null=True)
    message_count = serializers.IntegerField()
    unread_count = serializers.IntegerField(
        help_text="Others' messages after the caller's last `read` or `join` of the room "
        "(all of them in a room the caller never read)."
    )


class RoomListSerializer(serializers.Serializer):
    results = RoomSummarySerializer(many=True)


class MessagePageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class RoomPathSerializer(serializers.Serializer):
    """The room named in a URL path."""

    room = serializers.CharField(
        max_length=ROOM_NAME_MAX_LENGTH, trim_whitespace=False, validators=[validate_room_name]
    )


class MessagePageQuerySerializer(serializers.Serializer):
    """The query of a history page."""

    before = serializers.IntegerField(
        min_value=1, required=False, help_text="Only messages older than this message id."
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=PAGE_LIMIT_MAX,
        default=PAGE_LIMIT_DEFAULT,
        help_text=f"Messages per page, 1 to {PAGE_LIMIT_MAX}.",
    )
