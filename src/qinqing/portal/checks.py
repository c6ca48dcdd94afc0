"""System checks of the portal's host-name setup (``qinqing check``; hosts.py explains the design)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from qinqing.portal.hosts import portal_host


def _covers(cookie_domain: str, host: str) -> bool:
    domain = cookie_domain.lower().lstrip(".")
    return host == domain or host.endswith("." + domain)


@register()
def portal_host_checks(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    host = portal_host()
    if not host:
        return []
    errors = []
    for name in ("SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN"):
        value = getattr(settings, name, None)
        if value and _covers(value, host):
            errors.append(
                Error(
                    f"{name}={value!r} covers PORTAL_HOST {host!r}: the staff cookies would reach the public host.",
                    hint=f"Leave {name} unset (host-only cookies).",
                    id="portal.E001",
                )
            )
    if "*" not in settings.ALLOWED_HOSTS and host not in [h.lower() for h in settings.ALLOWED_HOSTS]:
        errors.append(Error(f"PORTAL_HOST {host!r} is not in ALLOWED_HOSTS.", id="portal.E002"))
    if not [h for h in settings.ALLOWED_HOSTS if h.lower() != host]:
        errors.append(
            Error(
                "ALLOWED_HOSTS holds only PORTAL_HOST: the staff side has no host name.",
                hint="List the staff host name in ALLOWED_HOSTS as well.",
                id="portal.E003",
            )
        )
    return errors
