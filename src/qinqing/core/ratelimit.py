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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
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
    return hit_many([(scope, identity, limit, window)])[0][0]


Spec = tuple[str, str, int, int]  # scope, identity, limit, window


def hit_many(specs: Sequence[Spec], read: Sequence[str] = ()) -> tuple[list[Decision], list[int | None]]:
    """Count one event for each (scope, identity, limit, window) and read the integer cache keys READ
    (e.g. a generation counter) — on Redis in one pipelined round trip (SET NX EX + INCR per counter,
    GET per read key); on other caches with add/incr/get."""
    now = time.time()
    keys = [(_key(scope, identity, window, now), limit, window) for scope, identity, limit, window in specs]
    backend = caches["default"]
    counts: list[int] = []
    values: list[int | None] = []
    if isinstance(backend, RedisCache):
        raw = [backend.make_and_validate_key(key) for (key, _ends), _limit, _window in keys]
        client = backend._cache.get_client(raw[0] if raw else None, write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        for made, (_k, _limit, window) in zip(raw, keys, strict=True):
            pipe.set(made, 0, ex=window + 1, nx=True)
            pipe.incr(made)
        for key in read:
            pipe.get(backend.make_and_validate_key(key))
        out = pipe.execute()
        counts = [int(out[2 * i + 1]) for i in range(len(keys))]
        values = [None if v is None else int(v) for v in out[2 * len(keys) :]]
    else:
        for (key, _ends), _limit, window in keys:
            if backend.add(key, 1, timeout=window + 1):
                counts.append(1)
                continue
            try:
                counts.append(backend.incr(key))
            except ValueError:  # expired between add and incr
                backend.add(key, 1, timeout=window + 1)
                counts.append(1)
        values = [None if (v := backend.get(key)) is None else int(v) for key in read]
    decisions = []
    for count, ((_, ends), limit, _window) in zip(counts, keys, strict=True):
        allowed = count <= limit
        decisions.append(Decision(allowed, count, limit, 0 if allowed else max(1, math.ceil(ends - now))))
    return decisions, values


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


# Path prefixes whose views count the ``anon:ip`` event themselves, in the same round trip as their own
# limits (``anon_spec`` in a ``hit_many``): AnonymousRateLimitMiddleware leaves them alone.
SELF_COUNTED: set[str] = set()


def counts_itself(path_prefix: str) -> None:
    """Register PATH_PREFIX as self-counted (an app's ``ready``); its views must add ``anon_spec``."""
    SELF_COUNTED.add(path_prefix)


def anon_spec(ip: str) -> list[Spec]:
    """The standing ``anon:ip`` limit as a ``hit_many`` spec for IP (none while limits are off)."""
    if not enabled():
        return []
    limit, window = limit_for("anon:ip")
    return [("anon:ip", ip, limit, window)]


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
