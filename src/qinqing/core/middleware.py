from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from qinqing.core import context

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _address(value: str | None) -> str | None:
    """VALUE as a normalised IP address, or None when it is not one (nothing else reaches audit rows)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _trusted_proxy(address: str) -> bool:
    networks = getattr(settings, "TRUSTED_PROXIES", ["127.0.0.1", "::1"])
    ip = ipaddress.ip_address(address)
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str | None:
    """The client address. X-Forwarded-For counts only when the connection comes from a configured proxy
    (TRUSTED_PROXIES) and TRUSTED_PROXY_COUNT proxies append to it; otherwise a client could forge it."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0 and remote is not None and _trusted_proxy(remote):
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return _address(forwarded[-proxies]) or remote
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        ip = client_ip(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_ip = ip  # type: ignore[attr-defined]
        token = context.set_current(context.RequestContext(request_id=request_id, ip=ip))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


# Scripts only from our own origin (no inline scripts, no eval); styles may be inline (Bootstrap's and
# ECharts' computed styles, a few style attributes); images may be data: URIs (QR codes, Swagger UI).
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DEFAULT_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), fullscreen=(self)"
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (Django's SecurityMiddleware adds
    HSTS on TLS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy; X-Frame-Options comes from the
    clickjacking middleware). CONTENT_SECURITY_POLICY / PERMISSIONS_POLICY in settings override."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = getattr(settings, "CONTENT_SECURITY_POLICY", "") or DEFAULT_CSP
        self.permissions = getattr(settings, "PERMISSIONS_POLICY", "") or DEFAULT_PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.csp)
        response.setdefault("Permissions-Policy", self.permissions)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class AnonymousRateLimitMiddleware:
    """Every unauthenticated request counts against its client address (``anon:ip``): login pages, public
    portal pages, the public API. 429 with Retry-After beyond the limit. Static files are not counted.
    API calls that present credentials are throttled per token by ``ApiRateThrottle`` instead. Paths
    registered with ``ratelimit.counts_itself`` count the event in their view's own round trip."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from qinqing.core import ratelimit

        path = request.path
        user = getattr(request, "user", None)
        anonymous = user is None or not user.is_authenticated
        credentialed_api = path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META
        if (
            anonymous
            and not credentialed_api
            and not path.startswith(settings.STATIC_URL)
            and not (ratelimit.SELF_COUNTED and path.startswith(tuple(ratelimit.SELF_COUNTED)))
        ):
            refused = ratelimit.check("anon:ip", getattr(request, "client_ip", None) or "-")
            if refused is not None:
                return ratelimit.too_many(refused, request)
        return self.get_response(request)
