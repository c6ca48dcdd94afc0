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

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse


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
