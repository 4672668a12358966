from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import Truncator

from authentication.usernames import username_key

from . import services
from .models import Message, RoomRead


class RoomOrUserSearch:
    """Search by a room name or a username, exactly (see get_search_results)."""

    search_fields = ["=room", "=user__username"]  # see get_search_results
    search_help_text = "A room name (movie:tt0133093) or a username, exactly."

    def get_search_results(self, request, queryset, search_term):
        """Rows of the room, or of the user, named exactly (a username in any case or width:
        usernames.username_key).

        Exact matches that use the index on the room, the user foreign key's index and the
        unique index on the folded username, where Django's `iexact` would scan the table.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        users = get_user_model().objects.filter(username_key=username_key(term)).values("id")
        return queryset.filter(Q(room=term.lower()) | Q(user__in=users)), False


class StaffOnly:
    """Moderating the chat is part of being staff, without a permission to grant first;
    nobody adds or changes its rows by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class EditedFilter(admin.SimpleListFilter):
    """Edited or not: fixed choices (no query to list them), and the edited ones newest first
    come from the partial index chat_message_edited_idx."""

    title = "edited"
    parameter_name = "edited"

    def lookups(self, request, model_admin):
        return [("yes", "Edited"), ("no", "Never edited")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(edited_at__isnull=self.value() == "no")
        return queryset


@admin.register(Message)
class MessageAdmin(RoomOrUserSearch, StaffOnly, admin.ModelAdmin):
    """Moderation: staff find messages by room or author and delete them (each deletion is
    broadcast to the room as `message_deleted`); nobody edits them here."""

    list_display = ["id", "room", "user", "short_text", "created_at", "edited_at"]
    list_display_links = ["id", "short_text"]
    # Fixed choices, no query to list them. The date's choices (today, past 7 days, this month,
    # this year) are recent, so they are found at the start of the newest-first order.
    list_filter = [("created_at", admin.DateFieldListFilter), EditedFilter]
    ordering = ["-id"]
    list_select_related = ["user"]
    list_per_page = 50
    # Counting a big table on every page view is the slow part of a changelist.
    show_full_result_count = False
    fields = ["room", "user", "text", "created_at", "edited_at", "client_id"]
    readonly_fields = fields

    @admin.display(description="text")
    def short_text(self, message):
        return Truncator(message.text).chars(80)

    def delete_model(self, request, obj):
        services.messages_delete_announced(messages=Message.objects.filter(id=obj.id))

    def delete_queryset(self, request, queryset):
        services.messages_delete_announced(messages=queryset)


@admin.register(RoomRead)
class RoomReadAdmin(RoomOrUserSearch, StaffOnly, admin.ModelAdmin):
    """How far each user has read each room: why someone sees a room as unread. Deleting a
    position makes the room unread for that user again."""

    list_display = ["user", "room", "last_read_id", "updated_at"]
    # The date filter and the order are served by the index on updated_at.
    list_filter = [("updated_at", admin.DateFieldListFilter)]
    ordering = ["-updated_at"]
    list_select_related = ["user"]
    list_per_page = 50
    show_full_result_count = False
    fields = ["user", "room", "last_read_id", "updated_at"]
    readonly_fields = fields
