"""Re-authentication before sensitive actions: the window, the confirm page, and every protected endpoint.

The table of protected endpoints is ``reauth.protected_endpoints()``, read from the URLconf: an endpoint
joins it by declaring ``@reauth_required(...)``, and the parametrised tests below cover it at once. The
guard test makes every export-like URL either declare itself or be listed in EXEMPT with the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pyotp
import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from qinqing.accounts import reauth, recovery, services
from qinqing.accounts.models import LoginFailure, User, UserRole
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from tests.accounts.conftest import page_text
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

WINDOW = 15 * 60
ENDPOINTS = reauth.protected_endpoints()
PAGES = [e for e in ENDPOINTS if not e.api]
APIS = [e for e in ENDPOINTS if e.api]

# Export-like URLs that need no re-authentication, and why. A new export must either declare
# @reauth_required or be added here with its reason.
EXEMPT = {
    "investment:import_template": "blank import template: headers only, no records",
    "chambers:roster_template": "blank import template: headers only, no records",
    "surveys:questionnaire_export": "a questionnaire definition (questions), no answers or personal data",
    "evaluation:system_export": "an indicator system definition, no records",
    "api:survey-questionnaire-export": "a questionnaire definition (questions), no answers or personal data",
    "api:evaluation-system-export": "an indicator system definition, no records",
    "portal:edition_file": "a publication for investors, compiled from published content only",
    "portal:pub_policy_file": "a public policy document on the portal",
    "portal:en_pub_policy_file": "a public policy document on the portal",
    "portal:content_file": "uploads an attachment to portal content (not a download)",
    "liaison:visit-file": "one uploaded photo of a visit, served under the visit's scope: not an export",
    "kpi:trend": "the chart data of one indicator on its page",
    "api:enterprise-import-file": "an upload (import), not an export",
}
EXPORTISH = re.compile(r"\.(xlsx|csv|pdf|docx|json)|\.<str:fmt>|export|print|[-_]file\b|file\.", re.I)


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    """Holds every staff capability (the roles are set directly: 三员分立 is the role service's rule), so
    each endpoint's capability check passes and the re-authentication check is what answers."""
    user = make_user("reauth_officer", unit_name="昌吉州营商环境服务中心")
    roles = set(Role) - {Role.ENTERPRISE, Role.ORG_MEMBER}
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in sorted(roles)])
    return User.objects.get(pk=user.pk)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Re-authentication's clock, frozen at a whole second; ``later(s)`` moves it S seconds past that."""
    start = float(int(reauth._clock()))
    monkeypatch.setattr(reauth, "_clock", lambda: start)

    def move(seconds: float) -> None:
        monkeypatch.setattr(reauth, "_clock", lambda: start + seconds)

    return move


def _refused(response: Any) -> bool:
    if response.status_code == 302 and response["Location"].startswith("/accounts/confirm/"):
        return True
    if "HX-Redirect" in response:
        return True
    if response.status_code == 403 and response.get("Content-Type", "").startswith("application/json"):
        return bool(json.loads(response.content).get("code") == "reauth_required")
    return False


def _confirm_location(path: str) -> str:
    return "/accounts/confirm/?next=" + quote(path, safe="")


# --- the table ------------------------------------------------------------------------------------
def test_the_table_lists_the_sensitive_endpoints() -> None:
    names = {e.name for e in ENDPOINTS}
    for name in [
        "accounts:user_roles",
        "accounts:user_reset_totp",
        "accounts:token_create",
        "accounts:recovery_regenerate",
        "enterprises:contact-reveal",
        "enterprises:export",
        "demands:export",
        "liaison:ledger_export",
        "surveys:export",
        "api:evaluation-round-report",
        "api:token-list",
    ]:
        assert name in names
    assert len(ENDPOINTS) == 25
    print(f"\nre-authentication protects {len(PAGES)} pages and {len(APIS)} API actions")


def test_every_export_declares_itself_or_is_exempt_with_a_reason() -> None:
    protected = {e.name for e in ENDPOINTS}
    undeclared = []
    for entry, route, namespace in reauth._walk(get_resolver().url_patterns):
        name = namespace + (entry.name or "")
        if (EXPORTISH.search(route) or EXPORTISH.search(name)) and name not in protected | set(EXEMPT):
            undeclared.append(f"{name} {route}")
    assert undeclared == []
    assert not set(EXEMPT) & protected


@pytest.mark.parametrize("endpoint", PAGES, ids=[e.name for e in PAGES])
def test_page_asks_for_confirmation_when_the_window_has_passed(
    endpoint: reauth.Endpoint, officer: User, later: Callable[[float], None]
) -> None:
    url = reauth.sample_url(endpoint)
    # Past the check, the view itself answers (404 for the placeholder ids, or the file); what it answers
    # is its own tests' business, so a failing view must not hide this one's result.
    client = Client(raise_request_exception=False)
    client.force_login(officer)  # a login opens the window
    later(WINDOW)  # the last second of the window: still open
    assert not _refused(client.get(url))
    later(WINDOW + 1)
    send = client.get
    response = client.get(url)
    if response.status_code == 405:  # a POST-only action: back to the page it was posted from
        send = client.post
        response = client.post(url, HTTP_REFERER="http://testserver/accounts/profile/")
        assert response.status_code == 302
        assert response["Location"] == _confirm_location("/accounts/profile/")
    else:
        assert response.status_code == 302
        assert response["Location"] == _confirm_location(url)
    # JSON clients get the structured answer
    answer = send(url, HTTP_ACCEPT="application/json")
    assert answer.status_code == 403
    assert answer.json() == {
        "code": "reauth_required",
        "detail": f"{endpoint.action}须先确认身份：请重新输入密码（已绑定动态口令的还须动态口令）",
        "fields": {},
    }
    client.post("/accounts/confirm/", {"password": PASSWORD, "next": url})
    assert not _refused(send(url))


@pytest.mark.parametrize("endpoint", APIS, ids=[f"{e.name} {e.method}" for e in APIS])
def test_api_answers_reauth_required_and_passes_tokens(
    endpoint: reauth.Endpoint, officer: User, later: Callable[[float], None]
) -> None:
    url = reauth.sample_url(endpoint)
    client = Client()
    client.force_login(officer)
    later(WINDOW + 1)
    response = client.generic(endpoint.method, url, "{}", content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "reauth_required"
    assert body["detail"].endswith("须先确认身份：请重新输入密码（已绑定动态口令的还须动态口令）")
    # a token was minted after a confirmation (creating one is protected): it passes
    _, raw = services.create_token(officer, "对接")
    by_token = Client().generic(
        endpoint.method, url, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert not _refused(by_token)


# --- the confirm page -----------------------------------------------------------------------------
def test_confirming_with_the_password_reopens_the_window(
    dispatcher: User, later: Callable[[float], None]
) -> None:
    client = Client()
    client.force_login(dispatcher)
    later(WINDOW + 1)
    assert client.get("/demands/export/")["Location"] == "/accounts/confirm/?next=%2Fdemands%2Fexport%2F"
    page = page_text(client.get("/accounts/confirm/?next=%2Fdemands%2Fexport%2F"))
    assert '<input type="hidden" name="next" value="/demands/export/">' in page
    assert 'name="code"' not in page  # no TOTP enrolled: the password alone

    wrong = client.post("/accounts/confirm/", {"password": "nope", "next": "/demands/export/"})
    assert wrong.status_code == 200
    assert "密码错误" in page_text(wrong)
    assert LoginFailure.objects.filter(username=dispatcher.username).count() == 1

    response = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/demands/export/"})
    assert response["Location"] == "/demands/export/"
    assert client.get("/demands/export/").status_code == 200
    events = AuditEvent.objects.filter(action=AuditAction.REAUTH).order_by("id")
    assert list(events.values_list("result", "detail")) == [
        (AuditResult.FAILURE, "确认身份：密码错误，用于 /demands/export/"),
        (AuditResult.SUCCESS, "确认身份（密码），用于 /demands/export/"),
    ]
    # the new window lasts REAUTH_MINUTES from the confirmation
    later(WINDOW + 1 + WINDOW + 1)
    assert client.get("/demands/export/").status_code == 302


def test_the_window_follows_the_setting(
    settings: Any, dispatcher: User, later: Callable[[float], None]
) -> None:
    settings.REAUTH_MINUTES = 5
    client = Client()
    client.force_login(dispatcher)
    later(5 * 60)
    assert client.get("/demands/export/").status_code == 200
    later(5 * 60 + 1)
    assert client.get("/demands/export/").status_code == 302


def test_enrolled_user_confirms_with_password_and_a_code(
    dispatcher: User, later: Callable[[float], None]
) -> None:
    secret = pyotp.random_base32()
    User.objects.filter(pk=dispatcher.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    dispatcher.refresh_from_db()
    codes = recovery.generate(dispatcher)
    client = Client()
    client.force_login(dispatcher)
    later(WINDOW + 1)
    assert 'name="code"' in page_text(client.get("/accounts/confirm/"))
    alone = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/demands/export/"})
    assert "请填写 6 位动态口令或恢复码" in page_text(alone)
    valid = {pyotp.TOTP(secret).at(timezone.now(), counter_offset=k) for k in (-1, 0, 1)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    bad = client.post("/accounts/confirm/", {"password": PASSWORD, "code": wrong, "next": "/demands/export/"})
    assert "密码或动态口令错误" in page_text(bad)
    ok = client.post(
        "/accounts/confirm/",
        {"password": PASSWORD, "code": pyotp.TOTP(secret).now(), "next": "/demands/export/"},
    )
    assert ok["Location"] == "/demands/export/"
    # a recovery code works too, once
    later(3 * WINDOW)
    ok = client.post("/accounts/confirm/", {"password": PASSWORD, "code": codes[0], "next": "/"})
    assert ok["Location"] == "/"
    assert recovery.remaining(dispatcher) == 9
    later(5 * WINDOW)
    again = client.post("/accounts/confirm/", {"password": PASSWORD, "code": codes[0], "next": "/"})
    assert "密码或动态口令错误" in page_text(again)
    details = (
        AuditEvent.objects.filter(action=AuditAction.REAUTH).order_by("id").values_list("detail", flat=True)
    )
    assert list(details) == [
        "确认身份：动态口令错误，用于 /demands/export/",
        "确认身份（密码与动态口令），用于 /demands/export/",
        "确认身份（密码与恢复码），用于 /",
        "确认身份：恢复码错误，用于 /",
    ]


def test_repeated_wrong_passwords_lock_and_end_the_session(dispatcher: User) -> None:
    client = Client()
    client.force_login(dispatcher)
    for _ in range(4):
        assert client.post("/accounts/confirm/", {"password": "nope"}).status_code == 200
    response = client.post("/accounts/confirm/", {"password": "nope"}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "账号已锁定，请 30 分钟后再试" in page_text(response)
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username=dispatcher.username).count() == 5


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "http://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "https://testserver@evil.example/",
    ],
)
def test_next_may_not_leave_the_site(target: str, dispatcher: User) -> None:
    client = Client()
    client.force_login(dispatcher)
    page = page_text(client.get("/accounts/confirm/", {"next": target}))
    assert '<input type="hidden" name="next" value="">' in page
    response = client.post("/accounts/confirm/", {"password": PASSWORD, "next": target})
    assert response["Location"] == "/"


def test_htmx_request_is_sent_to_the_confirm_page_with_hx_redirect(
    dispatcher: User, later: Callable[[float], None]
) -> None:
    client = Client()
    client.force_login(dispatcher)
    later(WINDOW + 1)
    response = client.post(
        "/enterprises/contacts/1/reveal/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/enterprises/7/?tab=contacts",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == _confirm_location("/enterprises/7/?tab=contacts")
    assert response.content == b""
    # a foreign HX-Current-URL is not followed back
    response = client.post(
        "/enterprises/contacts/1/reveal/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/"
    )
    assert response["HX-Redirect"] == "/accounts/confirm/"


def test_anonymous_requests_still_go_to_the_login_page() -> None:
    response = Client().get("/demands/export/")
    assert response["Location"] == "/accounts/login/?next=/demands/export/"
