"""API token authentication: ``Authorization: Bearer qq_...``; only the digest is stored."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from qinqing.accounts.models import ApiToken, hash_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if not parts or parts[0] != self.keyword:
            return None
        if len(parts) != 2 or not parts[1].startswith(ApiToken.PREFIX):
            raise exceptions.AuthenticationFailed("令牌格式错误")
        token = (
            ApiToken.objects.live()
            .select_related("user", "user__unit")
            .filter(key_hash=hash_token(parts[1]))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效、已过期或已吊销")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str | None:
        """401 with ``WWW-Authenticate: Bearer`` when a token was presented and refused; requests without
        one keep DRF's 403 for "not signed in" (the session is the other way in)."""
        header = authentication.get_authorization_header(request).decode("latin-1")
        return self.keyword if header.split()[:1] == [self.keyword] else None
