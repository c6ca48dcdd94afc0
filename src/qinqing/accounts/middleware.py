from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record

LAST_SEEN = "qq_last_seen"
TOTP_PENDING = "qq_totp_pending"
TOUCH_EVERY = 60  # seconds: refresh the idle clock at most once a minute (one session write)


class IdleTimeoutMiddleware:
    """Ends a session idle for IDLE_TIMEOUT_MINUTES (等保: typically 30)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - int(last) > settings.IDLE_TIMEOUT_MINUTES * 60:
                record(AuditAction.SESSION_TIMEOUT, actor=user, detail="空闲超时")
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect(f"{reverse('accounts:login')}?timeout=1")
            if last is None or now - int(last) >= TOUCH_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """While a login waits for its TOTP code, the session may only reach the second-factor pages."""

    ALLOWED_PREFIXES = ("/accounts/totp/", "/accounts/logout/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(TOTP_PENDING)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            return redirect("accounts:totp")
        return self.get_response(request)


class PasswordExpiryMiddleware:
    """A signed-in user whose password expired (PASSWORD_MAX_AGE_DAYS) or must be changed (a new account)
    may only reach the change-password page until they change it; session API calls answer 403."""

    ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from qinqing.accounts.services import password_expired

        user = getattr(request, "user", None)
        if user is not None and not request.path.startswith(self.ALLOWED_PREFIXES) and password_expired(user):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "password_expired", "detail": "密码已过期，请先修改密码"}, status=403
                )
            return redirect("accounts:password")
        return self.get_response(request)
