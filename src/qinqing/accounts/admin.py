"""Django admin for the system administrator: users are listed and searched here, never edited.

Accounts are created, enabled and disabled on the 用户管理 page and roles are set by the security
administrator there (accounts.services): those paths check scope and 三员分立 and write the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qinqing.accounts.models import User, UserRole


class UserRoleInline(admin.TabularInline[UserRole, User]):
    model = UserRole
    fields = ["role", "granted_at"]
    readonly_fields = ["role", "granted_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


SHOWN = (
    "username",
    "full_name",
    "title",
    "unit",
    "enterprise",
    "is_active",
    "must_change_password",
    "password_changed_at",
    "totp_confirmed_at",
    "last_login",
    "date_joined",
)


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["username", "full_name", "unit", "enterprise", "is_active", "last_login", "date_joined"]
    list_filter = ["is_active"]
    search_fields = ["username", "full_name"]
    list_select_related = ["unit", "enterprise"]
    fields = SHOWN
    readonly_fields = SHOWN
    inlines = [UserRoleInline]
    ordering = ["username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_active and user.can("admin.site")
