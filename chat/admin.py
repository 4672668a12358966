from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import Truncator

from authentication.usernames import username_key

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Moderation: staff find messages by room or author and delete them; nobody edits them."""

    list_display = ["id", "room", "user", "short_text", "created_at"]
    list_display_links = ["id", "short_text"]
    search_fields = ["=room", "=user__username"]  # see get_search_results
    search_help_text = "A room name (movie:tt0133093) or a username, exactly."
    ordering = ["-id"]
    list_select_related = ["user"]
    list_per_page = 50
    # Counting a big table on every page view is the slow part of a changelist.
    show_full_result_count = False
    fields = ["room", "user", "text", "created_at", "client_id"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """Messages of the room, or of the user, named exactly (a username in any case or
        width: usernames.username_key).

        Exact matches that use the (room, -id) index, the user foreign key's index and the
        unique index on the folded username, where Django's `iexact` would scan the table.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        authors = get_user_model().objects.filter(username_key=username_key(term)).values("id")
        return queryset.filter(Q(room=term.lower()) | Q(user__in=authors)), False

    @admin.display(description="text")
    def short_text(self, message):
        return Truncator(message.text).chars(80)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Moderating the chat is part of being staff, without a permission to grant first.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
