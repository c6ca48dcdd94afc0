from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


def restrict_admin_site(site: AdminSite) -> None:
    """Django admin is for the system administrator only (not for the security or audit administrator)."""

    def has_permission(request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_authenticated and user.can("admin.site"))

    site.has_permission = has_permission  # type: ignore[method-assign]

    def login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
        """No login form of its own: admins sign in through accounts:login (lockout, TOTP, audit)."""
        if request.user.is_authenticated:
            raise PermissionDenied("无权访问系统管理")
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))

    site.login = login  # type: ignore[method-assign]
    site.site_header = "亲清平台 系统管理"
    site.site_title = "亲清平台"
    site.index_title = "系统管理"
