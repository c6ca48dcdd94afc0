"""The second factor for the three administrators: enrollment with a QR code, verification, lockout."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts import services
from qinqing.accounts.middleware import TOTP_PENDING
from qinqing.accounts.models import LoginFailure, RecoveryCode, User
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from tests.accounts.conftest import Clock, login, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _totp_required(settings: Any, clock: Clock) -> None:
    """TOTP on, and time frozen so that codes never straddle a 30-second step during a test."""
    settings.ADMIN_TOTP_REQUIRED = True


def _code(secret: str, offset_seconds: int = 0) -> str:
    return str(pyotp.TOTP(secret).at(timezone.now() + dt.timedelta(seconds=offset_seconds)))


def _enroll(client: Client, user: User) -> str:
    """Enroll USER's TOTP through the login pages; returns the secret (the recovery codes page is shown)."""
    assert login(client, user.username)["Location"] == "/accounts/totp/"
    client.get("/accounts/totp/")
    user.refresh_from_db()
    secret = user.totp_secret
    response = client.post("/accounts/totp/", {"code": _code(secret)})
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/recovery_codes.html"
    return secret


def test_password_alone_does_not_log_an_administrator_in(sysadmin: User) -> None:
    client = Client()
    response = login(client, sysadmin.username)
    assert response["Location"] == "/accounts/totp/"
    assert client.session[TOTP_PENDING]["user"] == sysadmin.pk
    assert "_auth_user_id" not in client.session
    # every other page sends the pending session back to the second factor
    assert client.get("/")["Location"] == "/accounts/totp/"
    assert client.get("/api/v1/me/")["Location"] == "/accounts/totp/"
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_enrollment_shows_a_qr_code_and_confirms_with_a_real_code(secadmin: User) -> None:
    client = Client()
    login(client, secadmin.username)
    text = page_text(client.get("/accounts/totp/"))
    secadmin.refresh_from_db()
    secret = secadmin.totp_secret
    assert len(secret) == 32
    assert secadmin.totp_confirmed_at is None
    assert "绑定动态口令" in text
    assert "<svg" in text
    assert f'<code data-testid="totp-secret">{secret}</code>' in text
    # reloading keeps the same secret (the phone already scanned it)
    client.get("/accounts/totp/")
    secadmin.refresh_from_db()
    assert secadmin.totp_secret == secret

    response = client.post("/accounts/totp/", {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert "动态口令或恢复码错误，请重试" in page_text(response)
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/totp/", {"code": _code(secret)})
    # logged in; the page shows the ten recovery codes once, then continues to the home page
    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    assert 'href="/" data-testid="recovery-continue"' in page_text(response)
    assert client.session["_auth_user_id"] == str(secadmin.pk)
    assert TOTP_PENDING not in client.session
    secadmin.refresh_from_db()
    assert secadmin.totp_confirmed_at is not None
    totp_events = list(
        AuditEvent.objects.filter(action=AuditAction.TOTP).order_by("id").values_list("result", "detail")
    )
    assert totp_events == [
        (AuditResult.FAILURE, "动态口令错误"),
        (AuditResult.SUCCESS, "绑定动态口令"),
        (AuditResult.SUCCESS, "生成恢复码（10 个）"),
    ]
    assert AuditEvent.objects.get(action=AuditAction.LOGIN).detail == "密码与动态口令"
    assert client.get("/").status_code == 200


def test_enrolled_user_verifies_and_a_code_is_not_accepted_twice(auditadmin: User) -> None:
    client = Client()
    secret = _enroll(client, auditadmin)
    client.post("/accounts/logout/")
    assert login(client, auditadmin.username)["Location"] == "/accounts/totp/"
    text = page_text(client.get("/accounts/totp/"))
    assert "动态口令验证" in text
    assert "<svg" not in text
    # the code used for enrollment is spent
    assert "动态口令或恢复码错误，请重试" in page_text(
        client.post("/accounts/totp/", {"code": _code(secret)})
    )
    # the next time step's code is within pyotp's valid_window=1
    assert client.post("/accounts/totp/", {"code": _code(secret, 30)})["Location"] == "/"
    assert client.session["_auth_user_id"] == str(auditadmin.pk)
    details = list(
        AuditEvent.objects.filter(action=AuditAction.TOTP).order_by("id").values_list("detail", flat=True)
    )
    assert details == ["绑定动态口令", "生成恢复码（10 个）", "动态口令错误", "动态口令验证通过"]


def test_confirmed_totp_is_always_required(settings: Any, dispatcher: User, sysadmin: User) -> None:
    settings.ADMIN_TOTP_REQUIRED = False
    # an administrator without TOTP now logs in with the password
    assert login(Client(), sysadmin.username)["Location"] == "/"
    # a user who confirmed TOTP must still pass it
    User.objects.filter(pk=dispatcher.pk).update(
        totp_secret=pyotp.random_base32(), totp_confirmed_at=timezone.now()
    )
    client = Client()
    assert login(client, dispatcher.username)["Location"] == "/accounts/totp/"
    assert "动态口令验证" in page_text(client.get("/accounts/totp/"))


def test_wrong_codes_count_towards_the_lockout(sysadmin: User) -> None:
    client = Client()
    secret = _enroll(client, sysadmin)
    client.post("/accounts/logout/")
    login(client, sysadmin.username)
    wrong = "123456" if _code(secret) != "123456" else "654321"
    for _ in range(4):
        assert "动态口令或恢复码错误，请重试" in page_text(client.post("/accounts/totp/", {"code": wrong}))
    response = client.post("/accounts/totp/", {"code": wrong}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "账号已锁定，请 30 分钟后再试" in page_text(response)
    assert TOTP_PENDING not in client.session
    assert LoginFailure.objects.filter(username=sysadmin.username).count() == 5
    # the right password is now refused too
    assert "账号已锁定" in page_text(login(client, sysadmin.username))


def test_pending_second_factor_expires(sysadmin: User, clock: Clock) -> None:
    client = Client()
    login(client, sysadmin.username)
    clock.advance(minutes=services.TOTP_PENDING_MINUTES, seconds=1)
    response = client.get("/accounts/totp/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "请先输入用户名和密码" in page_text(response)
    assert TOTP_PENDING not in client.session


def test_totp_page_without_a_pending_login_goes_to_login() -> None:
    assert Client().get("/accounts/totp/")["Location"] == "/accounts/login/"


def test_invalid_code_format_gets_a_chinese_message(sysadmin: User) -> None:
    client = Client()
    login(client, sysadmin.username)
    assert "动态口令为 6 位数字" in page_text(client.post("/accounts/totp/", {"code": "12ab"}))
    assert not LoginFailure.objects.exists()


def test_security_administrator_resets_a_lost_second_factor(sysadmin: User, secadmin: User) -> None:
    _enroll(Client(), sysadmin)
    assert RecoveryCode.objects.filter(user=sysadmin).count() == 10
    client = Client()
    client.force_login(secadmin)
    response = client.post(f"/accounts/users/{sysadmin.pk}/reset-totp/")
    assert response["Location"] == "/accounts/users/"
    sysadmin.refresh_from_db()
    assert (sysadmin.totp_secret, sysadmin.totp_confirmed_at, sysadmin.totp_last_step) == ("", None, None)
    assert RecoveryCode.objects.filter(user=sysadmin).count() == 0  # the next enrollment makes a new set
    event = AuditEvent.objects.filter(action=AuditAction.TOTP).order_by("-id").first()
    assert event is not None
    assert (event.actor_id, event.object_id, event.detail) == (secadmin.pk, str(sysadmin.pk), "重置动态口令")
    # the system administrator may not do it
    other = Client()
    other.force_login(sysadmin)
    assert other.post(f"/accounts/users/{secadmin.pk}/reset-totp/").status_code == 403
