import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

# `movie:tt0133093` is a movie page's room; `lobby` is the room every connection joins.
ROOM_NAME_PATTERN = r"[a-z0-9][a-z0-9_:-]{0,63}"
ROOM_NAME_REGEX = re.compile(ROOM_NAME_PATTERN)
ROOM_NAME_MAX_LENGTH = 64
MESSAGE_MAX_LENGTH = 2000
# A sender's own id for a message (a UUID, say), which makes resending it harmless.
CLIENT_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
CLIENT_ID_REGEX = re.compile(CLIENT_ID_PATTERN)
CLIENT_ID_MAX_LENGTH = 64

validate_room_name = RegexValidator(
    rf"\A{ROOM_NAME_PATTERN}\Z",
    "A room name is 1 to 64 characters: lowercase letters, digits, '_', ':' and '-', "
    "starting with a letter or a digit.",
)


class Message(models.Model):
    """One chat message, stored before anyone receives it."""

    room = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, validators=[validate_room_name])
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    text = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)  # null until its author edits it
    # NULL rather than "" when the sender gave none, so the unique constraint skips it.
    client_id = models.CharField(max_length=CLIENT_ID_MAX_LENGTH, null=True, blank=True)

    class Meta:
        indexes = [
            # History pages of a room, newest first, and the rooms list's last message.
            models.Index(fields=["room", "-id"], name="chat_message_room_id_idx"),
            # The admin's "edited" filter, newest first: only the few edited messages are in it.
            models.Index(
                fields=["-id"], condition=models.Q(edited_at__isnull=False), name="chat_message_edited_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(room__regex=rf"^{ROOM_NAME_PATTERN}$"),
                name="chat_message_room_name_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    GreaterThanOrEqual(Length("text"), 1), LessThanOrEqual(Length("text"), MESSAGE_MAX_LENGTH)
                ),
                name="chat_message_text_length_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(client_id__isnull=True)
                | models.Q(client_id__regex=rf"^{CLIENT_ID_PATTERN}$"),
                name="chat_message_client_id_valid",
            ),
            # A resent message (same sender, same client_id) is stored once.
            models.UniqueConstraint(
                fields=["user", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="chat_message_user_client_id_unique",
            ),
        ]

    def __str__(self):
        return f"#{self.id} {self.room}"


class RoomRead(models.Model):
    """How far a user has read a room: the newest message they have seen there (by `read` or
    `join`). It never moves backwards; the rooms list counts what came after it as unread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_room_reads"
    )
    room = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, validators=[validate_room_name])
    # A message id, not a foreign key: the message may be deleted later, the position stays.
    last_read_id = models.PositiveBigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The admin's list, most recently read first, and its date filter.
            models.Index(fields=["-updated_at"], name="chat_roomread_updated_idx"),
            # The admin's search by room.
            models.Index(fields=["room"], name="chat_roomread_room_idx"),
        ]
        constraints = [
            # One position per user and room; its index serves the rooms list's lookup.
            models.UniqueConstraint(fields=["user", "room"], name="chat_roomread_user_room_unique"),
            models.CheckConstraint(
                condition=models.Q(room__regex=rf"^{ROOM_NAME_PATTERN}$"),
                name="chat_roomread_room_name_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} read {self.room} to #{self.last_read_id}"
