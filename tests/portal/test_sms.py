"""The optional SMS-code check on inquiries: hashed, expiring, rate-limited, single-use codes."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from qinqing.core import ratelimit
from qinqing.portal import inquiries, sms
from qinqing.portal.models import Inquiry, PortalSettings, SmsCode

pytestmark = pytest.mark.django_db

SENT: list[tuple[str, str, str]] = []


class RecordingSender:
    def send(self, phone: str, text: str, *, key: str) -> None:
        SENT.append((phone, text, key))


@pytest.fixture
def sms_on(settings: Any, db: None) -> None:
    settings.PORTAL_SMS_CHECK = True
    settings.PORTAL_SMS_SENDER = "tests.portal.test_sms.RecordingSender"
    SENT.clear()
    # the inquiry's own per-phone limit (3 a day) would stop these tests before the SMS checks
    PortalSettings.objects.update_or_create(pk=1, defaults={"inquiry_phone_limit": 100})
    inquiries.forget_config()


PHONE = "13912345678"


def _data(**extra: Any) -> dict[str, Any]:
    return {
        "company": "某某新材料有限公司",
        "contact": "王经理",
        "phone": PHONE,
        "message": "希望了解园区用地和电价政策，计划投资5亿元。",
        "consent": "1",
        **extra,
    }


def _code(capture: Any, ip: str = "10.0.0.1", phone: str = PHONE) -> str:
    with capture(execute=True):
        sms.request_code(phone, ip=ip)
    return re.search(r"验证码为 (\d{6})", SENT[-1][1]).group(1)  # type: ignore[union-attr]


def test_code_is_hashed_sent_after_commit_and_single_use(
    sms_on: None, tree: None, django_capture_on_commit_callbacks: Any
) -> None:
    code = _code(django_capture_on_commit_callbacks)
    row = SmsCode.objects.get()
    assert [(PHONE, SENT[0][1], f"portal-sms:{row.pk}")] == SENT
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.code_hash == sms.code_hash(PHONE, code)
    assert row.expires_at - row.created_at == dt.timedelta(seconds=300)
    with pytest.raises(ValidationError) as missing:
        inquiries.submit_inquiry(_data(), ip="10.0.0.1")
    assert missing.value.message_dict == {"sms_code": ["请填写短信验证码"]}
    with pytest.raises(ValidationError) as wrong:
        inquiries.submit_inquiry(_data(sms_code="000000" if code != "000000" else "111111"), ip="10.0.0.1")
    assert wrong.value.message_dict == {"sms_code": [sms.WRONG_CODE]}
    assert Inquiry.objects.count() == 0
    created = inquiries.submit_inquiry(_data(sms_code=code), ip="10.0.0.1")
    assert Inquiry.objects.get().pk == created.pk
    assert SmsCode.objects.get().used_at is not None
    with pytest.raises(ValidationError) as reused:
        inquiries.submit_inquiry(
            _data(sms_code=code, message="另一个问题：能否提供标准厂房租赁？"), ip="10.0.0.1"
        )
    assert reused.value.message_dict == {"sms_code": [sms.WRONG_CODE]}
    assert Inquiry.objects.count() == 1


def test_expired_and_superseded_codes_fail(
    sms_on: None, tree: None, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    first = _code(django_capture_on_commit_callbacks)
    later = timezone.now() + dt.timedelta(seconds=301)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    with pytest.raises(ValidationError, match="短信验证码错误或已过期"):
        inquiries.submit_inquiry(_data(sms_code=first), ip="10.0.0.1")
    ratelimit.reset("portal.sms:resend", PHONE, window=sms.RESEND_AFTER)  # the minute passed (time.time)
    second = _code(django_capture_on_commit_callbacks)
    SmsCode.objects.filter(code_hash=sms.code_hash(PHONE, second)).update(
        expires_at=later + dt.timedelta(300)
    )
    assert Inquiry.objects.count() == 0
    assert inquiries.submit_inquiry(_data(sms_code=second), ip="10.0.0.1").phone == PHONE


def test_rate_limits_per_phone_address_and_attempts(
    sms_on: None, tree: None, django_capture_on_commit_callbacks: Any
) -> None:
    code = _code(django_capture_on_commit_callbacks)
    with pytest.raises(inquiries.Refused) as again:  # one code a minute per phone
        sms.request_code(PHONE, ip="10.0.0.2")
    assert (again.value.code, again.value.text[:9]) == ("throttled", "验证码发送过于频繁")
    assert 1 <= again.value.retry_after <= 60
    for i in range(sms.PER_IP_HOUR):  # per address: other phones, same address
        sms.request_code(f"1370000{i:04d}", ip="10.0.0.9")
    with pytest.raises(inquiries.Refused, match="该网络地址获取验证码过于频繁"):
        sms.request_code("13600000000", ip="10.0.0.9")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(sms.MAX_ATTEMPTS):
        with pytest.raises(ValidationError, match="短信验证码错误"):
            inquiries.submit_inquiry(_data(sms_code=wrong), ip="10.0.0.1")
    with pytest.raises(inquiries.Refused, match="验证码错误次数过多") as locked:
        inquiries.submit_inquiry(_data(sms_code=code), ip="10.0.0.1")  # even the right one now
    assert locked.value.code == "throttled"
    assert Inquiry.objects.count() == 0
    with pytest.raises(ValidationError) as bad_phone:
        sms.request_code("12345", ip="10.0.0.3")
    assert bad_phone.value.message_dict == {"phone": ["请填写11位手机号码"]}


def test_daily_limit_per_phone(sms_on: None, tree: None, settings: Any) -> None:
    for _ in range(sms.PER_PHONE_DAY):
        sms.request_code(PHONE, ip="10.0.0.1")
        ratelimit.reset("portal.sms:resend", PHONE, window=sms.RESEND_AFTER)
    with pytest.raises(inquiries.Refused, match="该手机号今天获取验证码次数过多"):
        sms.request_code(PHONE, ip="10.0.0.1")
    assert SmsCode.objects.count() == sms.PER_PHONE_DAY


def test_api_and_page(sms_on: None, site: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/public/v1/sms-codes/", {"phone": PHONE}, content_type="application/json")
    assert (r.status_code, r.json()) == (202, {"expires_in": 300, "resend_after": 60})
    code = re.search(r"验证码为 (\d{6})", SENT[-1][1]).group(1)  # type: ignore[union-attr]
    again = client.post("/api/public/v1/sms-codes/", {"phone": PHONE}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (429, "throttled")
    body = {**_data(), "consent": True}
    r = client.post("/api/public/v1/inquiries/", json.dumps(body), content_type="application/json")
    assert (r.status_code, r.json()["fields"]) == (400, {"sms_code": ["请填写短信验证码"]})
    r = client.post(
        "/api/public/v1/inquiries/", json.dumps({**body, "sms_code": code}), content_type="application/json"
    )
    assert r.status_code == 201
    # the page: 获取验证码 re-renders the filled form with the notice, then the inquiry goes in
    other = "13811112222"
    page = client.get("/portal/inquiry/").content.decode()
    assert 'data-testid="send-code"' in page and 'name="sms_code"' in page
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/portal/inquiry/", {**_data(phone=other), "send_code": "1"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "验证码已发送至 138****2222，5 分钟内有效" in html
    assert 'value="某某新材料有限公司"' in html
    code = re.search(r"验证码为 (\d{6})", SENT[-1][1]).group(1)  # type: ignore[union-attr]
    r = client.post("/portal/inquiry/", {**_data(phone=other), "sms_code": code})
    assert r.status_code == 302 and "/portal/track/" in r["Location"]
    assert Inquiry.objects.filter(phone=other).count() == 1


def test_off_by_default(site: dict[str, Any], settings: Any) -> None:
    assert settings.PORTAL_SMS_CHECK is False
    client = Client()
    r = client.post("/api/public/v1/sms-codes/", {"phone": PHONE}, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert 'name="sms_code"' not in client.get("/portal/inquiry/").content.decode()
    assert inquiries.submit_inquiry(_data(), ip="10.0.0.1").phone == PHONE  # no code needed


def test_log_sender_and_purge(caplog: Any, tree: None) -> None:
    with caplog.at_level("WARNING", logger="qinqing.portal.sms"):
        sms.LogSender().send(PHONE, "验证码为 123456", key="portal-sms:1")
    assert "验证码为 123456" in caplog.text
    now = timezone.now()
    SmsCode.objects.create(phone=PHONE, code_hash="x" * 64, expires_at=now - dt.timedelta(days=2))
    SmsCode.objects.create(phone=PHONE, code_hash="y" * 64, expires_at=now - dt.timedelta(hours=1))
    assert sms.purge(now) == 1
    assert list(SmsCode.objects.values_list("code_hash", flat=True)) == ["y" * 64]
