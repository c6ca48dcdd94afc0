"""Rate limits: fixed windows counted in the cache (Redis in production, shared by every worker).

    decision = ratelimit.hit("inquiry:ip", client_ip, limit=5, window=3600)
    if not decision.allowed:
        return too_many(decision)          # 429 with Retry-After

A key is SCOPE plus an identity (an address, a phone number, a token id, an account name); identities are
hashed, so no personal data sits in the cache. ``peek`` reads without counting (e.g. to refuse a login
attempt before checking the password). The client address comes from ``qinqing.core.context`` (set by
the middleware, which trusts X-Forwarded-For only from the configured proxy).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def _key(scope: str, identity: str, window: int, now: float) -> tuple[str, int]:
    start = int(now // window) * window
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return f"rl:{scope}:{digest}:{start}", start + window


def hit(scope: str, identity: str, *, limit: int, window: int) -> Decision:
    """Count one event for IDENTITY in SCOPE; allowed while the window's count stays within LIMIT."""
    now = time.time()
    key, ends = _key(scope, identity, window, now)
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 1)
            count = 1
    allowed = count <= limit
    return Decision(allowed, count, limit, 0 if allowed else max(1, math.ceil(ends - now)))


def peek(scope: str, identity: str, *, limit: int, window: int) -> Decision:
    now = time.time()
    key, ends = _key(scope, identity, window, now)
    count = int(cache.get(key) or 0)
    allowed = count < limit
    return Decision(allowed, count, limit, 0 if allowed else max(1, math.ceil(ends - now)))


def reset(scope: str, identity: str, *, window: int) -> None:
    key, _ = _key(scope, identity, window, time.time())
    cache.delete(key)


def too_many(decision: Decision, request: HttpRequest | None = None, message: str = "") -> HttpResponse:
    """429 with Retry-After: JSON for API requests, plain Chinese text otherwise."""
    text = message or f"操作过于频繁，请 {decision.retry_after} 秒后再试"
    wants_json = request is not None and (
        request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    )
    if wants_json:
        response: HttpResponse = JsonResponse({"code": "throttled", "detail": text, "fields": {}}, status=429)
    else:
        response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(decision.retry_after)
    return response


# --- the platform's standing limits (settings RATE_LIMITS, see docs/deploy.md) -----------------------
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    # scope: (limit, window seconds)
    "anon:ip": (300, 60),  # every unauthenticated request, per client address
    "login:ip": (30, 60),  # login and second-factor form posts per address (on top of the lockout)
    "password:user": (10, 3600),  # password change attempts per account (old-password guessing)
    "token:user": (10, 3600),  # API tokens created per account
    "api:token": (600, 60),  # API calls per token
    "api:user": (600, 60),  # API calls per signed-in session user
    "api:anon": (120, 60),  # API calls without credentials, per address
}


def enabled() -> bool:
    """The standing limits below are on unless RATE_LIMITS_ENABLED is false (the test suite turns them
    off and its rate-limit tests back on; ``hit`` itself always counts)."""
    return bool(getattr(settings, "RATE_LIMITS_ENABLED", True))


def limit_for(scope: str) -> tuple[int, int]:
    configured: dict[str, tuple[int, int]] = getattr(settings, "RATE_LIMITS", {}) or {}
    return configured.get(scope) or DEFAULT_LIMITS[scope]


def check(scope: str, identity: str) -> Decision | None:
    """Count one event against a standing limit; the refusing Decision when it is exceeded, else None."""
    if not enabled():
        return None
    limit, window = limit_for(scope)
    decision = hit(scope, identity, limit=limit, window=window)
    return None if decision.allowed else decision


class ApiRateThrottle(BaseThrottle):
    """DRF throttle over the same cache counters: per token, per session user, or per address."""

    def allow_request(self, request: Request, view: Any) -> bool:
        from qinqing.core import context

        auth = request.auth
        user = request.user
        if auth is not None and getattr(auth, "pk", None) is not None:
            scope, identity = "api:token", f"{type(auth).__name__}:{auth.pk}"
        elif user is not None and user.is_authenticated:
            scope, identity = "api:user", str(user.pk)
        else:
            scope, identity = "api:anon", context.current().ip or "-"
        self.decision = check(scope, identity)
        return self.decision is None

    def wait(self) -> float | None:
        decision: Decision | None = getattr(self, "decision", None)
        return float(decision.retry_after) if decision is not None else None
