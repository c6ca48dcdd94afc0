"""The portal on its own host name (``PORTAL_HOST``, e.g. ``invest.urumqi.gov.cn``).

Unset (the default), one host serves everything, as before. Set:

- **On the portal host** the request is resolved with ``settings.PORTAL_URLCONF`` (``qinqing.urls_portal``):
  the public pages under ``/portal/`` and ``/portal/en/``, the images, the mini-program API under
  ``/api/public/`` and ``/healthz``; ``/`` redirects to ``/portal/``. Everything else — the staff pages
  (``/portal/staff/…``), login, the staff API, the Django admin, ``/metrics`` — does not exist there (404).
  The paths are the same as on the staff host, so links, printed QR codes (``PortalSettings.base_url`` +
  ``/portal/…``), ETags and the per-process page cache stay the same.
- **Cookies are separated**: the session and CSRF cookies are host-only (``SESSION_COOKIE_DOMAIN`` and
  ``CSRF_COOKIE_DOMAIN`` unset; checks.py refuses a domain that covers the portal host), so a browser
  never sends the staff session to the portal host. As a second line, this middleware drops both cookies
  from requests to the portal host (nothing there can act as a signed-in user) and strips any Set-Cookie
  from its answers (visitors never get a cookie).
- **On the staff host** the public portal paths (``/portal/`` except ``/portal/staff/``, and
  ``/api/public/``) answer a permanent redirect to the same path and query on the portal host — 301 for
  GET/HEAD, 308 (method and body kept) otherwise — so the public has one address, and the staff host can be
  kept off the internet. ``/portal/staff/`` stays on the staff host.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.request import split_domain_port

STAFF_PREFIX = "/portal/staff/"


def portal_host() -> str:
    """The configured portal host name (lower case, without port), or ''."""
    domain, _ = split_domain_port(getattr(settings, "PORTAL_HOST", "") or "")
    return domain.lower()


def is_public_path(path: str) -> bool:
    if path.startswith("/api/public/"):
        return True
    return path.startswith("/portal/") and not path.startswith(STAFF_PREFIX)


def on_portal_host(request: HttpRequest) -> bool:
    return bool(getattr(request, "portal_host", False))


class PermanentRedirect308(HttpResponsePermanentRedirect):
    status_code = 308


class PortalHostMiddleware:
    """Routes the portal host to its own URLconf; see the module docstring. Placed before sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = portal_host()
        if not host:
            return self.get_response(request)
        domain, _ = split_domain_port(request.get_host())  # DisallowedHost (400) for unknown hosts
        if domain.lower() == host:
            request.portal_host = True  # type: ignore[attr-defined]
            request.urlconf = settings.PORTAL_URLCONF  # type: ignore[attr-defined]
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                request.COOKIES.pop(name, None)
            response = self.get_response(request)
            response.cookies.clear()
            return response
        if is_public_path(request.path):
            port = getattr(settings, "PORTAL_HOST", "").partition(":")[2]
            target = f"{request.scheme}://{host}{':' + port if port else ''}{request.get_full_path()}"
            if request.method in ("GET", "HEAD"):
                return HttpResponsePermanentRedirect(target)
            return PermanentRedirect308(target)
        return self.get_response(request)
