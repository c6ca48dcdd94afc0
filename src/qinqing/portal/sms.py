"""The optional SMS-code check on inquiries (对接洽谈), on when ``settings.PORTAL_SMS_CHECK`` is set.

Flow: the investor asks for a code for the phone of the inquiry (``request_code``: the page's 获取验证码
button, or ``POST /api/public/v1/sms-codes/``), receives a 6-digit code by SMS and sends it with the
inquiry (``sms_code``); ``submit_inquiry`` checks it with ``consume_code`` inside its transaction.

- **Codes are hashed**: only HMAC-SHA256(SECRET_KEY, "phone:code") is stored (``SmsCode``), never the code.
- **Expiring**: ``CODE_TTL`` (5 minutes); only the phone's newest unused, unexpired code counts (asking
  again makes the earlier one useless).
- **Single use**: consumed by a conditional UPDATE in the inquiry's transaction, so two submissions with
  the same code create one inquiry; an inquiry refused later (a duplicate) rolls the consumption back.
- **Rate limits** (``core.ratelimit``, the shared cache): per phone one code a minute and ``PER_PHONE_DAY``
  a day, per address ``PER_IP_HOUR`` an hour; ``MAX_ATTEMPTS`` checks per phone per code lifetime (counted
  in the cache, so a failed check that rolls back its transaction still counts). Each refusal is a Chinese
  message; 429 with Retry-After for the limits.
- **Sending** happens after the commit (``transaction.on_commit``) through the sender named by
  ``settings.PORTAL_SMS_SENDER`` (a dotted path to a class with the ``SmsSender`` interface):
  - ``LogSender`` (the default): writes the message to the ``qinqing.portal.sms`` log — development and
    the demo, where the code is read from the console;
  - ``GatewaySender``: POSTs ``{"to", "text", "id"}`` as JSON to ``settings.SMS_GATEWAY_URL``, the same
    gateway contract as the outbox's SMS channel (demands.notifications), so the office's one gateway serves
    both;
  - a real provider (阿里云短信, 腾讯云短信 …): a class with ``send(phone, text, *, key)`` that raises on
    failure and tolerates a repeat of the same ``key``; its credentials come from the environment like every
    setting. None is shipped.

  The codes do not go through the outbox itself: a code must arrive within seconds (the outbox is drained
  by a periodic job) and an outbox row keeps its body, which would store the code in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from qinqing.core import ratelimit
from qinqing.portal.models import SmsCode

logger = logging.getLogger(__name__)

CODE_TTL = 300  # seconds
RESEND_AFTER = 60  # seconds between two codes for one phone
PER_PHONE_DAY = 5
PER_IP_HOUR = 20
MAX_ATTEMPTS = 5
WRONG_CODE = "短信验证码错误或已过期，请重新获取"


class SmsSender(Protocol):
    def send(self, phone: str, text: str, *, key: str) -> None:
        """Send TEXT to PHONE or raise; must tolerate a repeat of the same KEY (one code, one key)."""


class LogSender:
    """Development and demo: the message goes to the log (the console), nothing leaves the machine."""

    def send(self, phone: str, text: str, *, key: str) -> None:
        logger.warning("SMS (log sender, not sent) to %s [%s]: %s", phone, key, text)


class GatewaySender:
    """The office's SMS gateway at settings.SMS_GATEWAY_URL (the contract of the outbox's SMS channel)."""

    timeout = 10

    def send(self, phone: str, text: str, *, key: str) -> None:
        url = getattr(settings, "SMS_GATEWAY_URL", "")
        if not url:
            raise RuntimeError("未配置短信网关（SMS_GATEWAY_URL）")
        body = json.dumps({"to": phone, "text": text, "id": key}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - configured by the office
            url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")


def enabled() -> bool:
    return bool(getattr(settings, "PORTAL_SMS_CHECK", False))


def sender() -> SmsSender:
    return import_string(getattr(settings, "PORTAL_SMS_SENDER", "") or "qinqing.portal.sms.LogSender")()


def code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _refuse_limited(decision: ratelimit.Decision, text: str) -> None:
    from qinqing.portal.inquiries import Refused

    if not decision.allowed:
        raise Refused(
            f"{text}，请 {decision.retry_after} 秒后再试", code="throttled", retry_after=decision.retry_after
        )


@transaction.atomic
def request_code(phone: str, *, ip: str | None, site_name: str = "亲清招商") -> SmsCode:
    """Create and send (after the commit) a code for PHONE. Raises ValidationError/Refused."""
    from qinqing.portal.inquiries import PHONE

    phone = (phone or "").strip()
    if not PHONE.match(phone):
        raise ValidationError({"phone": ["请填写11位手机号码"]})
    for scope, identity, limit, window, text in (
        ("portal.sms:resend", phone, 1, RESEND_AFTER, "验证码发送过于频繁"),
        ("portal.sms:phone", phone, PER_PHONE_DAY, 86400, "该手机号今天获取验证码次数过多"),
        ("portal.sms:ip", ip or "unknown", PER_IP_HOUR, 3600, "该网络地址获取验证码过于频繁"),
    ):
        _refuse_limited(ratelimit.hit(scope, identity, limit=limit, window=window), text)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    row = SmsCode.objects.create(
        phone=phone,
        code_hash=code_hash(phone, code),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=CODE_TTL),
    )
    ratelimit.reset("portal.sms:verify", phone, window=CODE_TTL)  # a new code: a fresh set of attempts
    text = f"【{site_name}】您的对接洽谈验证码为 {code}，{CODE_TTL // 60} 分钟内有效。如非本人操作，请忽略本短信。"
    key = f"portal-sms:{row.pk}"
    transaction.on_commit(lambda: _send(phone, text, key))
    return row


def _send(phone: str, text: str, key: str) -> None:
    try:
        sender().send(phone, text, key=key)
    except Exception:  # the investor asks again; the failure is in the log
        logger.exception("SMS code %s to %s*** failed", key, phone[:3])


def consume_code(phone: str, code: str) -> None:
    """Check CODE for PHONE and use it up (inside the inquiry's transaction). Raises ValidationError/Refused."""
    code = (code or "").strip()
    if not code:
        raise ValidationError({"sms_code": ["请填写短信验证码"]})
    _refuse_limited(
        ratelimit.hit("portal.sms:verify", phone, limit=MAX_ATTEMPTS, window=CODE_TTL),
        "验证码错误次数过多",
    )
    now = timezone.now()
    row = SmsCode.objects.filter(phone=phone, expires_at__gt=now).order_by("-created_at", "-id").first()
    if (
        row is None
        or row.used_at is not None
        or not hmac.compare_digest(row.code_hash, code_hash(phone, code))
    ):
        raise ValidationError({"sms_code": [WRONG_CODE]})
    if SmsCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise ValidationError({"sms_code": [WRONG_CODE]})


def purge(now: dt.datetime | None = None) -> int:
    """Delete codes expired for a day (the job portal.purge_sms_codes)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=1)
    n, _ = SmsCode.objects.filter(expires_at__lt=cutoff).delete()
    return n
