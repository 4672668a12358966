from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import User


@admin.register(User)
class ScrapbookUserAdmin(UserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "date_joined"]

    # Staff delete an account as its owner does (services.user_delete): its refresh tokens go
    # too, its chat connections end, and the rooms it wrote in drop its messages live.
    def delete_model(self, request, obj):
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user)
