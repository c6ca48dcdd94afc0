"""Recovery codes: made at TOTP enrollment, stored as digests, each usable once in place of a TOTP code."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from qinqing.accounts import reauth, recovery
from qinqing.accounts.models import LoginFailure, RecoveryCode, User
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from tests.accounts.conftest import Clock, login, page_text
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _totp_required(settings: Any, clock: Clock) -> None:
    settings.ADMIN_TOTP_REQUIRED = True


def _enroll(client: Client, user: User) -> list[str]:
    """Enroll through the login pages; returns the recovery codes shown once."""
    login(client, user.username)
    client.get("/accounts/totp/")
    user.refresh_from_db()
    code = pyotp.TOTP(user.totp_secret).at(timezone.now())
    response = client.post("/accounts/totp/", {"code": code})
    assert response.templates[0].name == "accounts/recovery_codes.html"
    codes = list(response.context["codes"])
    for c in codes:
        assert f'<code class="user-select-all">{c}</code>' in page_text(response)
    client.post("/accounts/logout/")
    return codes


def _totp_events(user: User) -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(action=AuditAction.TOTP, actor=user).order_by("id")
    return list(rows.values_list("result", "detail"))


def test_enrollment_makes_ten_codes_stored_only_as_digests(sysadmin: User) -> None:
    codes = _enroll(Client(), sysadmin)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    assert not any(ch in "".join(codes) for ch in "01ilo")  # no look-alikes
    digests = set(RecoveryCode.objects.filter(user=sysadmin).values_list("digest", flat=True))
    assert len(digests) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)
    for c in codes:  # neither the code nor its plain SHA-256 is stored
        assert c not in digests and c.replace("-", "") not in digests
    assert recovery.remaining(sysadmin) == 10


def test_a_code_logs_in_once_and_is_refused_the_second_time(sysadmin: User) -> None:
    codes = _enroll(Client(), sysadmin)
    client = Client()
    login(client, sysadmin.username)
    # case and separators do not matter
    typed = codes[3].upper().replace("-", " ")
    assert client.post("/accounts/totp/", {"code": typed})["Location"] == "/"
    assert client.session["_auth_user_id"] == str(sysadmin.pk)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN).latest("id").detail == "密码与恢复码"
    assert recovery.remaining(sysadmin) == 9
    client.post("/accounts/logout/")

    login(client, sysadmin.username)
    response = client.post("/accounts/totp/", {"code": codes[3]})
    assert "动态口令或恢复码错误，请重试" in page_text(response)
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username=sysadmin.username).count() == 1
    assert _totp_events(sysadmin)[-2:] == [
        (AuditResult.SUCCESS, "使用恢复码登录（剩余 9 个）"),
        (AuditResult.FAILURE, "恢复码错误"),
    ]
    # another code still works
    assert client.post("/accounts/totp/", {"code": codes[4]})["Location"] == "/"
    assert recovery.remaining(sysadmin) == 8


def test_a_spent_code_is_refused_by_the_conditional_update(sysadmin: User) -> None:
    """Two requests racing with one code: the second UPDATE ... WHERE used_at IS NULL changes no row."""
    codes = _enroll(Client(), sysadmin)
    assert recovery.consume(sysadmin, codes[0], purpose="登录") is True
    assert recovery.consume(sysadmin, codes[0], purpose="登录") is False
    assert RecoveryCode.objects.filter(user=sysadmin, used_at__isnull=False).count() == 1


def test_another_users_code_is_refused(sysadmin: User, secadmin: User) -> None:
    codes = _enroll(Client(), sysadmin)
    _enroll(Client(), secadmin)
    assert recovery.consume(secadmin, codes[0], purpose="登录") is False
    assert recovery.remaining(sysadmin) == 10


def test_wrong_codes_count_towards_the_lockout(sysadmin: User) -> None:
    _enroll(Client(), sysadmin)
    client = Client()
    login(client, sysadmin.username)
    for _ in range(4):
        response = client.post("/accounts/totp/", {"code": "aaaa-bbbb-cccc"})
        assert "动态口令或恢复码错误，请重试" in page_text(response)
    response = client.post("/accounts/totp/", {"code": "aaaa-bbbb-cccc"}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "账号已锁定，请 30 分钟后再试" in page_text(response)
    assert LoginFailure.objects.filter(username=sysadmin.username).count() == 5


def test_code_posts_are_rate_limited_per_address(settings: Any, sysadmin: User) -> None:
    _enroll(Client(), sysadmin)
    cache.clear()
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {"login:ip": (3, 60)}
    client = Client()
    login(client, sysadmin.username)  # the 1st counted post
    assert client.post("/accounts/totp/", {"code": "aaaa-bbbb-cccc"}).status_code == 200
    assert client.post("/accounts/totp/", {"code": "aaaa-bbbb-cccc"}).status_code == 200
    refused = client.post("/accounts/totp/", {"code": "aaaa-bbbb-cccc"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # the refused post was not checked, so not counted as a failure
    assert LoginFailure.objects.filter(username=sysadmin.username).count() == 2


def test_malformed_code_gets_a_chinese_message_and_is_not_counted(sysadmin: User) -> None:
    _enroll(Client(), sysadmin)
    client = Client()
    login(client, sysadmin.username)
    response = client.post("/accounts/totp/", {"code": "abc-def"})
    assert "动态口令为 6 位数字；恢复码为 12 位字母和数字（如 abcd-efgh-jkmn）" in page_text(response)
    assert not LoginFailure.objects.exists()


def test_profile_shows_the_count_and_warns_when_few_remain(sysadmin: User) -> None:
    codes = _enroll(Client(), sysadmin)
    client = Client()
    client.force_login(sysadmin)
    text = page_text(client.get("/accounts/profile/"))
    assert '<dd class="col-8" data-testid="recovery-left">剩余 10 个' in text
    assert "recovery-warning" not in text
    for c in codes[:7]:
        recovery.consume(sysadmin, c, purpose="登录")
    text = page_text(client.get("/accounts/profile/"))
    assert "剩余 3 个" in text
    assert "恢复码即将用完，请重新生成并妥善保存" in text
    for c in codes[7:]:
        recovery.consume(sysadmin, c, purpose="登录")
    assert "没有可用的恢复码，请重新生成并妥善保存" in page_text(client.get("/accounts/profile/"))


def test_regeneration_needs_a_fresh_confirmation_and_voids_the_old_set(
    sysadmin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _enroll(Client(), sysadmin)
    client = Client()
    client.force_login(sysadmin)  # a login confirms: the window is open
    now = reauth._clock()
    monkeypatch.setattr(reauth, "_clock", lambda: now + 15 * 60 + 1)
    response = client.post("/accounts/recovery-codes/", HTTP_REFERER="http://testserver/accounts/profile/")
    assert response["Location"] == "/accounts/confirm/?next=%2Faccounts%2Fprofile%2F"
    assert recovery.remaining(sysadmin) == 10

    code = pyotp.TOTP(sysadmin.totp_secret).at(timezone.now() + dt.timedelta(seconds=30))
    confirmed = client.post(
        "/accounts/confirm/", {"password": PASSWORD, "code": code, "next": "/accounts/profile/"}
    )
    assert confirmed["Location"] == "/accounts/profile/"
    response = client.post("/accounts/recovery-codes/")
    assert response.status_code == 200
    new = list(response.context["codes"])
    assert len(new) == 10 and not set(new) & set(old)
    assert recovery.consume(sysadmin, old[0], purpose="登录") is False
    assert recovery.consume(sysadmin, new[0], purpose="登录") is True
    assert (AuditResult.SUCCESS, "重新生成恢复码（10 个）") in _totp_events(sysadmin)


def test_regeneration_without_totp_is_refused(dispatcher: User) -> None:
    client = Client()
    client.force_login(dispatcher)
    response = client.post("/accounts/recovery-codes/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert "尚未绑定动态口令，无需恢复码" in page_text(response)
    assert not RecoveryCode.objects.exists()


def test_codes_survive_a_secret_key_rotation(settings: Any, sysadmin: User) -> None:
    codes = _enroll(Client(), sysadmin)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert recovery.consume(sysadmin, codes[0], purpose="登录") is True
    settings.SECRET_KEY_FALLBACKS = []
    assert recovery.consume(sysadmin, codes[1], purpose="登录") is False
