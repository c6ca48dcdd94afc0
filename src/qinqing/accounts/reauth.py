"""Re-authentication ("sudo mode", 确认身份) before sensitive actions.

Role grants and user administration, unmasking personal data, every export of records (Excel, CSV, PDF,
Word) and the minting of credentials (API tokens, recovery codes) need a password — plus the second
factor when the user has enrolled TOTP — confirmed within the last ``REAUTH_MINUTES`` (default 15) in
this session. One decorator declares it, on a page view or on a DRF viewset method::

    @login_required
    @reauth_required("导出诉求")
    def export(request): ...

- A login is a confirmation: ``user_logged_in`` stamps the session, so the window starts at login (the
  password and the code were just given). ``/accounts/confirm/`` stamps it again.
- Refused, a page GET is sent to ``/accounts/confirm/?next=<this URL>``; a POST (which cannot be replayed)
  to the confirm page with next= the page it came from (Referer, or HX-Current-URL for HTMX, which gets
  an ``HX-Redirect`` header instead of a redirect); the API and JSON clients get 403
  ``{"code": "reauth_required", "detail": ...}``.
- API tokens pass: a token cannot confirm interactively, and creating one is itself protected here, so
  every token is minted right after a confirmation by its owner.
- The clock is ``time.time()`` (as the idle timeout's), not ``timezone.now()``: tests that pin the date
  do not age the window; ``_clock`` is what a test moves.
- ``protected_endpoints()`` lists every declared endpoint from the URLconf: the table the tests and
  docs/security.md read, so a new export joins by declaring itself.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions

REAUTH_AT = "qq_reauth_at"
CODE = "reauth_required"
F = TypeVar("F", bound=Callable[..., Any])


def _clock() -> float:
    return time.time()


def window_seconds() -> int:
    return int(settings.REAUTH_MINUTES) * 60


def is_fresh(request: Any) -> bool:
    """Whether the session confirmed its user's identity within the window."""
    session = getattr(request, "session", None)
    stamp = session.get(REAUTH_AT) if session is not None else None
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        return False
    return 0 <= _clock() - stamp <= window_seconds()


def seconds_left(request: Any) -> int:
    session = getattr(request, "session", None)
    stamp = session.get(REAUTH_AT) if session is not None else None
    if not is_fresh(request) or stamp is None:
        return 0
    return max(0, int(stamp + window_seconds() - _clock()))


def stamp(request: HttpRequest) -> None:
    request.session[REAUTH_AT] = int(_clock())


def clear(request: HttpRequest) -> None:
    request.session.pop(REAUTH_AT, None)


@receiver(user_logged_in, dispatch_uid="qinqing.accounts.reauth_on_login")
def _stamp_on_login(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp(request)


def safe_url(request: HttpRequest, candidate: str | None) -> str:
    """CANDIDATE as a path on this site, or "" (open redirects refused: other hosts, //host, schemes)."""
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(candidate)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/") else ""


def confirm_url(back: str) -> str:
    base = reverse("accounts:confirm")
    return f"{base}?{urlencode({'next': back})}" if back else base


class ReauthRequired(exceptions.APIException):
    status_code = 403
    default_code = CODE
    default_detail = "此操作须先确认身份：请在页面 /accounts/confirm/ 重新输入密码（及动态口令）后再试"


def _detail(action: str) -> str:
    return f"{action}须先确认身份：请重新输入密码（已绑定动态口令的还须动态口令）"


def refusal(request: HttpRequest, action: str) -> HttpResponse:
    """The answer to a page request that needs a fresh confirmation."""
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"code": CODE, "detail": _detail(action), "fields": {}}, status=403)
    if request.method in ("GET", "HEAD"):
        back = request.get_full_path()
    else:  # a POST cannot be replayed after the confirmation: come back to the page it was sent from
        back = safe_url(request, request.headers.get("HX-Current-URL")) or safe_url(
            request, request.headers.get("Referer")
        )
    target = confirm_url(back)
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=200)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def reauth_required(action: str) -> Callable[[F], F]:
    """Declare a view (``request`` first) or a DRF viewset method (``self, request``) sensitive."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if args and isinstance(args[0], HttpRequest):
                request = args[0]
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated and not is_fresh(request):
                    return refusal(request, action)
            else:  # a DRF method: (self, request, ...)
                from qinqing.accounts.models import ApiToken

                request = args[1]
                user = getattr(request, "user", None)
                by_token = isinstance(getattr(request, "auth", None), ApiToken)
                if user is not None and user.is_authenticated and not by_token and not is_fresh(request):
                    raise ReauthRequired(_detail(action))
            return view(*args, **kwargs)

        wrapped.reauth_action = action  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


# --- the table of protected endpoints ---------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL name with its namespaces, for reverse()
    route: str  # the URL pattern as written
    action: str  # what the decorator says (Chinese)
    method: str  # "*" for a page view (every method), else the HTTP method of the API action
    api: bool


def _walk(
    patterns: Iterable[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[URLPattern, str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield entry, prefix + str(entry.pattern), namespace


def protected_endpoints() -> list[Endpoint]:
    found: dict[tuple[str, str], Endpoint] = {}
    for entry, route, namespace in _walk(get_resolver().url_patterns):
        if not entry.name:
            continue
        name = namespace + entry.name
        callback = entry.callback
        action = getattr(callback, "reauth_action", None)
        if action is not None:
            found.setdefault((name, "*"), Endpoint(name, route, action, "*", False))
        cls, actions = getattr(callback, "cls", None), getattr(callback, "actions", None)
        if cls is not None and isinstance(actions, dict):
            for method, attr in actions.items():
                action = getattr(getattr(cls, attr, None), "reauth_action", None)
                if action is not None:
                    key = (name, method.upper())
                    found.setdefault(key, Endpoint(name, route, action, method.upper(), True))
    return sorted(found.values(), key=lambda e: (e.api, e.name, e.method))


SAMPLE_VALUES = ("1", "pdf", "xlsx", "x")


def sample_url(endpoint: Endpoint) -> str:
    """A URL of ENDPOINT with placeholder arguments (the check runs before any lookup)."""
    entry = next(e for e, _, ns in _walk(get_resolver().url_patterns) if ns + (e.name or "") == endpoint.name)
    names = sorted(entry.pattern.regex.groupindex)
    for values in itertools.product(SAMPLE_VALUES, repeat=len(names)):
        try:
            return reverse(endpoint.name, kwargs=dict(zip(names, values, strict=True)))
        except NoReverseMatch:
            continue
    raise NoReverseMatch(endpoint.name)
