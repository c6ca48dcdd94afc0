"""对接洽谈: an investor's inquiry, its routing, answer deadline (working days), replies and conversion to a lead.

Submission (anonymous) checks, in order, and refuses with a Chinese message without writing anything:
field lengths and formats, the consent, the honeypot, the per-address and per-phone rate limits
(qinqing.core.ratelimit), the SMS code when PORTAL_SMS_CHECK is on (sms.py), then a duplicate (same phone,
project and message on the same day: a unique fingerprint, refused at the insert). The inquiry goes to the
project's responsible unit (else its location unit) or, for a general inquiry, to PortalSettings.default_unit.
The answer is due at the end of the ``answer_days``-th working day (qinqing.calendar via demands.clocks,
the same yellow/red lights as demands); jobs.sweep_inquiries sends the reminders once per threshold.

Staff transitions (``INQUIRY_TRANSITIONS``, capability portal.inquiries, scoped to the inquiry's unit):
reply (public answer; the first stops the clock), convert (to a 线索 in the project library through
investment.services.create_project, linked both ways), decline (with a public reason), close.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.core import ratelimit
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.demands.clocks import compute_deadline
from qinqing.orgs.models import Unit
from qinqing.portal import sms
from qinqing.portal.models import (
    Inquiry,
    InquiryEvent,
    InquiryStatus,
    PortalSettings,
    Rating,
)

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"
LIMITS = {"company": 100, "contact": 30, "email": 100, "message": 2000}
MIN_MESSAGE = 10
PHONE = re.compile(r"^1[3-9]\d{9}$")
URLS = re.compile(r"https?://|www\.", re.I)
DUPLICATE_MESSAGE = "您今天已提交过相同的洽谈请求，请勿重复提交；如需补充，请在查询链接中查看答复"
DEFAULT_UNIT_NAME = "乌鲁木齐市招商服务局"


class Refused(ValidationError):
    """A refusal before anything is written; ``retry_after`` is set for rate limits (HTTP 429)."""

    def __init__(self, message: str, *, code: str = "refused", retry_after: int = 0, field: str = "") -> None:
        super().__init__({field: [message]} if field else message, code=code)
        self.retry_after = retry_after
        self.text = message


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: status unchanged


IS = InquiryStatus
INQUIRY_TRANSITIONS: dict[str, Transition] = {
    "reply": Transition((IS.RECEIVED, IS.ANSWERED, IS.LEAD), None),
    "convert": Transition((IS.RECEIVED, IS.ANSWERED), IS.LEAD),
    "decline": Transition((IS.RECEIVED,), IS.DECLINED),
    "close": Transition((IS.ANSWERED, IS.LEAD), IS.CLOSED),
}


def allowed_actions(user: Any, inquiry: Inquiry) -> list[str]:
    if not user.can("portal.inquiries"):
        return []
    return [name for name, tr in INQUIRY_TRANSITIONS.items() if inquiry.status in tr.sources]


CONFIG_TTL = 10.0  # seconds a process keeps the portal settings (edited rarely, in the admin)
_config: dict[str, Any] = {"at": -1e9}


def config() -> tuple[PortalSettings, Unit]:
    """The portal settings and the general inquiries' unit, read at most every CONFIG_TTL seconds."""
    now = time.monotonic()
    if now - _config["at"] >= CONFIG_TTL:
        cfg = PortalSettings.current()
        unit = cfg.default_unit if cfg.default_unit_id else None
        if unit is None:
            unit = (
                Unit.objects.filter(name=DEFAULT_UNIT_NAME).first()
                or Unit.objects.filter(kind="prefecture").first()
            )
        if unit is None:
            raise ValidationError("尚未配置受理单位")
        _config.update(at=now, cfg=cfg, unit=unit)
    return _config["cfg"], _config["unit"]


def forget_config() -> None:
    _config["at"] = -1e9


def default_unit() -> Unit:
    return config()[1]


def fingerprint(phone: str, project_id: int | None, message: str, day: dt.date) -> str:
    """Same phone, project and message (whitespace ignored) on the same day: unique in the table."""
    text = re.sub(r"\s+", "", message)
    return hashlib.sha256(f"{phone}|{project_id or 0}|{text}|{day.isoformat()}".encode()).hexdigest()


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: str(data.get(k) or "").strip() for k in ("company", "contact", "phone", "email", "message")}
    errors: dict[str, list[str]] = {}
    for key, label in (
        ("company", "单位名称"),
        ("contact", "联系人"),
        ("phone", "手机号"),
        ("message", "洽谈内容"),
    ):
        if not out[key]:
            errors[key] = [f"请填写{label}"]
    for key, limit in LIMITS.items():
        if len(out[key]) > limit:
            errors[key] = [f"不能超过 {limit} 个字"]
    if out["phone"] and not PHONE.match(out["phone"]):
        errors["phone"] = ["请填写11位手机号码"]
    if out["email"]:
        try:
            validate_email(out["email"])
        except ValidationError:
            errors["email"] = ["电子邮箱格式不正确"]
    if out["message"] and "message" not in errors:
        if len(out["message"]) < MIN_MESSAGE:
            errors["message"] = [f"洽谈内容请至少写 {MIN_MESSAGE} 个字"]
        elif len(URLS.findall(out["message"])) > 2:
            errors["message"] = ["洽谈内容不能包含多个网址"]
    if not data.get("consent"):
        errors["consent"] = ["请阅读并同意《个人信息处理告知书》"]
    if errors:
        raise ValidationError(errors)
    return out


def _route(project_id: int | None) -> tuple[Unit, str, int | None]:
    if not project_id:
        return default_unit(), "", None
    from qinqing.portal.snapshot import published_projects

    project = (
        published_projects()
        .filter(pk=project_id)
        .select_related("responsible_unit", "location_unit")
        .only("name", "responsible_unit", "location_unit")
        .first()
    )  # one query: the project and its unit
    if project is None:
        raise ValidationError({"project": ["该项目不在公开项目库中"]})
    return project.responsible_unit or project.location_unit, project.name, project_id


@transaction.atomic
def submit_inquiry(
    data: Mapping[str, Any], *, ip: str | None, lang: str = "zh", source: str = "web"
) -> Inquiry:
    """An anonymous investor's inquiry (no account). Raises ValidationError/Refused; writes nothing then."""
    fields = _clean(data)
    if str(data.get("website") or "").strip():  # the honeypot: people never see this field
        raise Refused("提交未通过校验，请刷新页面后重试", code="honeypot")
    raw_project = data.get("project") or None
    try:
        project_id = int(raw_project) if raw_project else None
    except (TypeError, ValueError):
        raise ValidationError({"project": ["项目编号有误"]}) from None
    cfg, _ = config()
    fp = fingerprint(fields["phone"], project_id, fields["message"], timezone.localdate())
    unit, project_name, project_id = _route(project_id)
    for scope, identity, limit, window in (
        ("portal.inquiry:ip", ip or "unknown", cfg.inquiry_ip_limit, 3600),
        ("portal.inquiry:phone", fields["phone"], cfg.inquiry_phone_limit, 86400),
    ):
        decision = ratelimit.hit(scope, identity, limit=limit, window=window)
        if not decision.allowed:
            what = "该网络地址" if scope.endswith("ip") else "该手机号"
            raise Refused(
                f"{what}提交过于频繁，请 {decision.retry_after} 秒后再试",
                code="throttled",
                retry_after=decision.retry_after,
            )
    if sms.enabled():  # the optional SMS-code check (sms.py): the code is used up with this transaction
        sms.consume_code(fields["phone"], str(data.get("sms_code") or ""))
    now = timezone.now()
    deadline = compute_deadline(now, cfg.answer_days, cfg.warn_share)
    try:
        inquiry = Inquiry.objects.create(
            number=f"DJ{timezone.localtime(now):%Y%m%d}-{secrets.token_hex(5).upper()}",
            token=secrets.token_urlsafe(32),
            project_id=project_id,
            project_name=project_name,
            unit=unit,
            lang="en" if lang == "en" else "zh",
            source=source[:20],
            consent_at=now,
            consent_version=cfg.notice_version,
            fingerprint=fp,
            created_at=now,
            due_at=deadline.due_at,
            warn_at=deadline.warn_at,
            provisional=deadline.provisional,
            **fields,
        )
    except IntegrityError as exc:  # the fingerprint is unique: the same request was already received today
        if "fingerprint" not in str(exc):
            raise
        raise Refused(DUPLICATE_MESSAGE, code="duplicate") from None
    record(AuditAction.CREATE, obj=inquiry, actor_name="公众", detail=f"对接洽谈提交，受理单位 {unit.name}")
    return inquiry


# --- staff side -----------------------------------------------------------------------------------
def _check(user: Any, inquiry: Inquiry, action: str) -> Transition:
    require(user, "portal.inquiries")
    scope = getattr(user, "scope_unit", None)
    if scope is None or not inquiry.unit.path.startswith(scope.path):
        raise PermissionDenied("该洽谈不在您的数据范围内")
    tr = INQUIRY_TRANSITIONS[action]
    if inquiry.status not in tr.sources:
        raise ValidationError(f"当前状态「{InquiryStatus(inquiry.status).label}」不能执行该操作")
    return tr


def _bump(inquiry: Inquiry, expected_version: int, **values: Any) -> None:
    n = Inquiry.objects.filter(pk=inquiry.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if n != 1:
        raise ValidationError(STALE_MESSAGE, code="stale")
    inquiry.refresh_from_db()


def _event(inquiry: Inquiry, user: Any, action: str, text: str, public: bool) -> InquiryEvent:
    unit = getattr(user, "unit", None)
    return InquiryEvent.objects.create(
        inquiry=inquiry,
        action=action,
        text=text,
        public=public,
        actor=user,
        unit_name=unit.name if unit is not None else "",
    )


@transaction.atomic
def reply(user: Any, inquiry: Inquiry, *, expected_version: int, text: str) -> Inquiry:
    _check(user, inquiry, "reply")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "请填写答复内容"})
    if len(text) > 2000:
        raise ValidationError({"text": "答复不能超过 2000 个字"})
    values: dict[str, Any] = {}
    if inquiry.answered_at is None:
        values["answered_at"] = timezone.now()
    if inquiry.status == IS.RECEIVED:
        values["status"] = IS.ANSWERED
    _bump(inquiry, expected_version, **values)
    _event(inquiry, user, "reply", text, True)
    record(AuditAction.WORKFLOW, actor=user, obj=inquiry, detail="答复投资者")
    return inquiry


@transaction.atomic
def convert_to_lead(
    user: Any, inquiry: Inquiry, *, expected_version: int, project_data: Mapping[str, Any]
) -> Any:
    """Create a 线索 in the project library through investment's own service; link both ways."""
    from qinqing.investment import services as investment

    _check(user, inquiry, "convert")
    data = dict(project_data)
    data.setdefault("investor_name", inquiry.company)
    data.setdefault("summary", f"来自对接洽谈 {inquiry.number}：{inquiry.message}"[:2000])
    project = investment.create_project(user, data)
    now = timezone.now()
    values: dict[str, Any] = {"status": IS.LEAD, "lead_project": project, "lead_at": now}
    if inquiry.answered_at is None:
        values["answered_at"] = now
    _bump(inquiry, expected_version, **values)
    _event(inquiry, user, "convert", f"已转为项目线索 {project.number}", False)
    record(AuditAction.WORKFLOW, actor=user, obj=inquiry, detail=f"转为项目线索 {project.number}")
    return project


@transaction.atomic
def decline(user: Any, inquiry: Inquiry, *, expected_version: int, reason: str) -> Inquiry:
    _check(user, inquiry, "decline")
    if not reason.strip():
        raise ValidationError({"text": "不予受理时请填写理由（将告知投资者）"})
    reason = limited(reason, "text", "不予受理理由", 2000)
    now = timezone.now()
    _bump(
        inquiry, expected_version, status=IS.DECLINED, closed_at=now, answered_at=inquiry.answered_at or now
    )
    _event(inquiry, user, "decline", reason, True)
    record(AuditAction.WORKFLOW, actor=user, obj=inquiry, detail="不予受理")
    return inquiry


@transaction.atomic
def close(user: Any, inquiry: Inquiry, *, expected_version: int, note: str = "") -> Inquiry:
    _check(user, inquiry, "close")
    note = limited(note, "text", "办结说明", 2000)
    _bump(inquiry, expected_version, status=IS.CLOSED, closed_at=timezone.now())
    _event(inquiry, user, "close", note, False)
    record(AuditAction.WORKFLOW, actor=user, obj=inquiry, detail="办结")
    return inquiry


@transaction.atomic
def rate(token: str, rating: int) -> Inquiry:
    """The investor's rating through the tracking link, once, after the first answer."""
    inquiry = Inquiry.objects.select_for_update().filter(token=token).first()
    if inquiry is None:
        raise ValidationError("查询链接无效")
    if inquiry.answered_at is None:
        raise ValidationError("收到答复后才能评价")
    if inquiry.rating is not None:
        raise ValidationError("您已评价过")
    if rating not in Rating.values:
        raise ValidationError({"rating": "请选择评价"})
    Inquiry.objects.filter(pk=inquiry.pk).update(rating=rating, rated_at=timezone.now())
    inquiry.refresh_from_db()
    record(AuditAction.WORKFLOW, obj=inquiry, actor_name="公众", detail=f"投资者评价：{Rating(rating).label}")
    return inquiry


def unit_users(unit: Unit) -> list[Any]:
    """Staff who answer for UNIT: its own people and those of its lead office, holding portal.inquiries."""
    from qinqing.accounts.models import User
    from qinqing.accounts.roles import roles_with

    return list(
        User.objects.filter(
            Q(unit=unit) | Q(unit__parent=unit, unit__coordinates_parent=True),
            is_active=True,
            role_rows__role__in=list(roles_with("portal.inquiries")),
        ).distinct()
    )


def public_events(inquiry: Inquiry) -> list[InquiryEvent]:
    return list(inquiry.events.filter(public=True).order_by("at", "id"))


def find_by_token(token: str) -> Inquiry | None:
    if not token or len(token) > 64:
        return None
    return Inquiry.objects.filter(token=token).first()


def q_open() -> Q:
    return Q(status=IS.RECEIVED)
