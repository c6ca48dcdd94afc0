"""State changes of portal content and publications (inquiries: inquiries.py).

Content workflow (one table, ``CONTENT_TRANSITIONS``): staff with portal.edit create and edit drafts and
submit them; portal.review approves (published now, or scheduled when ``publish_at`` is in the future),
returns with a comment, or unpublishes. Editing a published entry keeps the published snapshot online
until the new version is approved. Every saved state is an ``EntryVersion``; every action is audited and
versioned (a stale action changes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create
from qinqing.core import uploads
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.orgs.models import Unit
from qinqing.portal import snapshot
from qinqing.portal.models import (
    UNIT_COSTS_YUAN,
    ContentKind,
    ContentStatus,
    Edition,
    EditionError,
    Entry,
    EntryFile,
    EntryVersion,
    JobStatus,
    PublicationKind,
)

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"
ENTRY_FIELDS = (
    "title",
    "title_en",
    "summary",
    "summary_en",
    "body",
    "body_en",
    "data",
    "image",
    "ordering",
    "publish_at",
    "unpublish_at",
)


class StaleError(ValidationError):
    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE, code="stale")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    capability: str


S = ContentStatus
CONTENT_TRANSITIONS: dict[str, Transition] = {
    "edit": Transition((S.DRAFT, S.RETURNED, S.UNPUBLISHED, S.PUBLISHED), "portal.edit"),
    "submit": Transition((S.DRAFT, S.RETURNED, S.UNPUBLISHED), "portal.edit"),
    "approve": Transition((S.REVIEW,), "portal.review"),
    "return": Transition((S.REVIEW,), "portal.review"),
    "unpublish": Transition((S.PUBLISHED, S.SCHEDULED, S.DRAFT, S.RETURNED, S.REVIEW), "portal.review"),
    # a new draft version from an old one (restore_version); the published snapshot stays until approved
    "restore": Transition((S.DRAFT, S.RETURNED, S.UNPUBLISHED, S.PUBLISHED), "portal.edit"),
}


def allowed_actions(user: Any, entry: Entry) -> list[str]:
    out = []
    for name, tr in CONTENT_TRANSITIONS.items():
        if entry.status in tr.sources and user.can(tr.capability):
            if name == "unpublish" and not entry.online and entry.status != S.SCHEDULED:
                continue
            out.append(name)
    return out


def _check(user: Any, entry: Entry, action: str) -> None:
    tr = CONTENT_TRANSITIONS[action]
    require(user, tr.capability)
    _in_scope(user, entry.unit)
    if entry.status not in tr.sources:
        raise ValidationError(f"当前状态「{ContentStatus(entry.status).label}」不能执行该操作")


def _in_scope(user: Any, unit: Unit) -> None:
    scope = getattr(user, "scope_unit", None)
    if scope is None or not unit.path.startswith(scope.path):
        raise PermissionDenied("该单位不在您的数据范围内")


def _bump(model: type[models.Model], pk: int, expected_version: int, **values: Any) -> None:
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise StaleError()


def _payload(entry: Entry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "title_en": entry.title_en,
        "summary": entry.summary,
        "summary_en": entry.summary_en,
        "body": entry.body,
        "body_en": entry.body_en,
        "data": entry.data,
        "image_id": entry.image_id,
        "publish_at": entry.publish_at.isoformat() if entry.publish_at else None,
        "unpublish_at": entry.unpublish_at.isoformat() if entry.unpublish_at else None,
    }


def _version_row(entry: Entry, user: Any, note: str) -> None:
    number = (entry.versions.aggregate(m=models.Max("number"))["m"] or 0) + 1
    EntryVersion.objects.create(
        entry=entry, number=number, status=entry.status, payload=_payload(entry), note=note, saved_by=user
    )


def editing_unit(user: Any) -> Unit:
    unit = getattr(user, "unit", None)
    if unit is None:
        raise PermissionDenied("无所属单位，不能维护门户内容")
    return unit.scope_root


# --- content --------------------------------------------------------------------------------------
@transaction.atomic
def create_entry(user: Any, kind: str, fields: Mapping[str, Any]) -> Entry:
    require(user, "portal.edit")
    if kind not in ContentKind.values:
        raise ValidationError({"kind": "内容类型有误"})
    entry = Entry(kind=kind, unit=editing_unit(user), created_by=user)
    for key in ENTRY_FIELDS:
        if key in fields:
            setattr(entry, key, fields[key])
    entry.full_clean()
    entry.save()
    _version_row(entry, user, "新建")
    record_create(user, entry)
    return entry


@transaction.atomic
def update_entry(user: Any, entry: Entry, fields: Mapping[str, Any], *, expected_version: int) -> Entry:
    _check(user, entry, "edit")
    for key in ENTRY_FIELDS:
        if key in fields:
            setattr(entry, key, fields[key])
    entry.full_clean()
    new_status = S.DRAFT if entry.status == S.PUBLISHED else entry.status
    values = {
        f.attname: getattr(entry, f.attname) for f in Entry._meta.concrete_fields if f.name in ENTRY_FIELDS
    }
    _bump(Entry, entry.pk, expected_version, status=new_status, updated_at=timezone.now(), **values)
    entry.refresh_from_db()
    _version_row(entry, user, "修改")
    record(AuditAction.UPDATE, actor=user, obj=entry, detail="修改门户内容")
    return entry


def _restored_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The entry fields of a saved version (``_payload``); a deleted image is left out."""
    from qinqing.portal.models import Image

    out: dict[str, Any] = {k: payload.get(k) or "" for k in ("title", "title_en", "summary", "summary_en")}
    out.update(body=payload.get("body") or "", body_en=payload.get("body_en") or "")
    out["data"] = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    image_id = payload.get("image_id")
    out["image_id"] = image_id if image_id and Image.objects.filter(pk=image_id).exists() else None
    for key in ("publish_at", "unpublish_at"):
        raw = payload.get(key)
        out[key] = dt.datetime.fromisoformat(raw) if raw else None
    return out


@transaction.atomic
def restore_version(user: Any, entry: Entry, *, expected_version: int, number: int) -> Entry:
    """Restore an old content version: its fields become a new draft version (portal.edit, in scope).

    History is never rewritten: the restored state is saved as the next version ("恢复自 vN"). A published
    entry stays online with its published snapshot until the restored draft is reviewed and approved,
    as after any edit."""
    from qinqing.audit.services import diff
    from qinqing.audit.services import snapshot as audit_snapshot

    _check(user, entry, "restore")
    old = entry.versions.filter(number=number).first()
    if old is None:
        raise ValidationError({"number": "该版本不存在"})
    fields = _restored_fields(old.payload)
    names = list(fields)
    before = audit_snapshot(entry, names)
    for key, value in fields.items():
        setattr(entry, key, value)
    entry.full_clean()
    new_status = S.DRAFT if entry.status == S.PUBLISHED else entry.status
    _bump(Entry, entry.pk, expected_version, status=new_status, updated_at=timezone.now(), **fields)
    entry.refresh_from_db()
    _version_row(entry, user, f"恢复自 v{number}")
    record(
        AuditAction.UPDATE,
        actor=user,
        obj=entry,
        changes=diff(before, audit_snapshot(entry, names)),
        detail=f"恢复内容版本 v{number}",
    )
    return entry


@transaction.atomic
def submit_entry(user: Any, entry: Entry, *, expected_version: int) -> Entry:
    _check(user, entry, "submit")
    _bump(Entry, entry.pk, expected_version, status=S.REVIEW, review_comment="")
    entry.refresh_from_db()
    _version_row(entry, user, "提交审核")
    record(AuditAction.WORKFLOW, actor=user, obj=entry, detail="提交审核")
    return entry


@transaction.atomic
def approve_entry(user: Any, entry: Entry, *, expected_version: int, comment: str = "") -> Entry:
    """Publish now, or schedule when ``publish_at`` lies in the future."""
    _check(user, entry, "approve")
    comment = limited(comment, "comment", "审核意见")
    now = timezone.now()
    if entry.publish_at and entry.publish_at > now:
        _bump(Entry, entry.pk, expected_version, status=S.SCHEDULED, review_comment=comment)
        entry.refresh_from_db()
        detail = f"审核通过，定时发布于 {timezone.localtime(entry.publish_at):%Y-%m-%d %H:%M}"
    else:
        _bump(
            Entry,
            entry.pk,
            expected_version,
            status=S.PUBLISHED,
            online=True,
            published_at=now,
            review_comment=comment,
        )
        entry.refresh_from_db()
        snapshot.write_entry(entry)
        detail = "审核通过并发布"
    _version_row(entry, user, detail)
    record(AuditAction.WORKFLOW, actor=user, obj=entry, detail=detail)
    return entry


@transaction.atomic
def return_entry(user: Any, entry: Entry, *, expected_version: int, comment: str) -> Entry:
    _check(user, entry, "return")
    if not comment.strip():
        raise ValidationError({"comment": "退回时请填写意见"})
    comment = limited(comment, "comment", "审核意见")
    _bump(Entry, entry.pk, expected_version, status=S.RETURNED, review_comment=comment)
    entry.refresh_from_db()
    _version_row(entry, user, "退回")
    record(AuditAction.WORKFLOW, actor=user, obj=entry, detail=f"退回：{comment[:200]}")
    return entry


@transaction.atomic
def unpublish_entry(user: Any, entry: Entry, *, expected_version: int, reason: str = "") -> Entry:
    _check(user, entry, "unpublish")
    if not entry.online and entry.status != S.SCHEDULED:
        raise ValidationError("该内容未公开")
    _bump(Entry, entry.pk, expected_version, status=S.UNPUBLISHED, online=False)
    entry.refresh_from_db()
    snapshot.remove_entry(entry)
    _version_row(entry, user, "下线")
    record(
        AuditAction.WORKFLOW, actor=user, obj=entry, detail=f"下线{('：' + reason[:200]) if reason else ''}"
    )
    return entry


def run_schedule(now: dt.datetime | None = None) -> tuple[int, int]:
    """Publish scheduled entries whose time came; take down published ones whose 下线时间 passed.

    Each row by conditional UPDATE (status and version unchanged since it was read), so two runners
    publish an entry once."""
    now = now or timezone.now()
    published = withdrawn = 0
    for entry in Entry.objects.filter(status=S.SCHEDULED, publish_at__lte=now).select_related("unit"):
        with transaction.atomic():
            n = Entry.objects.filter(pk=entry.pk, version=entry.version, status=S.SCHEDULED).update(
                status=S.PUBLISHED, online=True, published_at=now, version=F("version") + 1
            )
            if n:
                entry.refresh_from_db()
                snapshot.write_entry(entry)
                _version_row(entry, None, "定时发布")
                record(AuditAction.WORKFLOW, obj=entry, actor_name="system", detail="定时发布")
                published += 1
    for entry in Entry.objects.filter(online=True, unpublish_at__lte=now):
        with transaction.atomic():
            n = Entry.objects.filter(pk=entry.pk, version=entry.version, online=True).update(
                status=S.UNPUBLISHED, online=False, version=F("version") + 1
            )
            if n:
                entry.refresh_from_db()
                snapshot.remove_entry(entry)
                _version_row(entry, None, "定时下线")
                record(AuditAction.WORKFLOW, obj=entry, actor_name="system", detail="定时下线")
                withdrawn += 1
    return published, withdrawn


POLICY_FILE_MAX_BYTES = 20 * uploads.MB


@transaction.atomic
def add_entry_file(user: Any, entry: Entry, *, title: str, file: UploadedFile) -> EntryFile:
    require(user, "portal.edit")
    _in_scope(user, entry.unit)
    if entry.kind != ContentKind.POLICY:
        raise ValidationError("只有政策可以上传附件")
    title = limited(title, "title", "附件名称", 100)
    checked = uploads.check_upload(file, allowed=uploads.POLICY_FILES, max_bytes=POLICY_FILE_MAX_BYTES)
    file.name = uploads.stored_name(checked)
    row = EntryFile.objects.create(entry=entry, title=title or checked.name[:100], file=file)
    record_create(user, row)
    if entry.online:
        snapshot.write_entry(entry)
    return row


# --- publications ---------------------------------------------------------------------------------
@transaction.atomic
def create_edition(user: Any, data: Mapping[str, Any]) -> Edition:
    """Queue an edition for generation from the live published data (the job fills contents)."""
    require(user, "portal.publications")
    kind = data.get("kind", "")
    if kind not in PublicationKind.values:
        raise ValidationError({"kind": "出版物类型有误"})
    title = limited(data.get("title"), "title", "书名", 100)
    edition = Edition(
        kind=kind,
        unit=editing_unit(user),
        title=title or PublicationKind(kind).label,
        edition=data.get("edition") or f"{timezone.localdate().year}年版",
        pagesize=data.get("pagesize") or "A4",
        edition_date=data.get("edition_date") or timezone.localdate(),
        print_run=int(data.get("print_run") or 0),
        unit_cost_yuan=Decimal(data.get("unit_cost_yuan") or UNIT_COSTS_YUAN[PublicationKind(kind)]),
        selection={k: str(v) for k, v in (data.get("selection") or {}).items() if v not in (None, "")},
        created_by=user,
    )
    edition.full_clean()
    edition.save()
    record(
        AuditAction.CREATE,
        actor=user,
        obj=edition,
        detail=f"新建版次 {edition.title}（{edition.edition}，{edition.pagesize}，印数 {edition.print_run}）",
    )
    return edition


@transaction.atomic
def regenerate_edition(user: Any, edition: Edition, *, expected_version: int) -> Edition:
    require(user, "portal.publications")
    _in_scope(user, edition.unit)
    if edition.printed_on:
        raise ValidationError("已印制的版次不能重新生成，请新建版次")
    if edition.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise ValidationError("正在生成中")
    _bump(Edition, edition.pk, expected_version, status=JobStatus.QUEUED, progress=0, message="")
    edition.refresh_from_db()
    record(AuditAction.WORKFLOW, actor=user, obj=edition, detail="重新生成")
    return edition


@transaction.atomic
def mark_printed(
    user: Any, edition: Edition, *, expected_version: int, printed_on: dt.date, print_run: int
) -> Edition:
    require(user, "portal.publications")
    _in_scope(user, edition.unit)
    if edition.status != JobStatus.DONE:
        raise ValidationError("请先生成印刷稿")
    if print_run <= 0:
        raise ValidationError({"print_run": "请填写印数"})
    if printed_on > timezone.localdate():
        raise ValidationError({"printed_on": "印制日期不能晚于今天"})
    _bump(Edition, edition.pk, expected_version, printed_on=printed_on, print_run=print_run)
    edition.refresh_from_db()
    record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=edition,
        detail=f"印制完成 {print_run} 册，预算 {edition.budget_yuan} 元",
    )
    return edition


@transaction.atomic
def log_edition_error(
    user: Any,
    edition: Edition,
    *,
    found_on: dt.date,
    description: str,
    page: str = "",
    copies_affected: int = 1,
) -> EditionError:
    require(user, "portal.publications")
    _in_scope(user, edition.unit)
    if edition.printed_on is None:
        raise ValidationError("该版次尚未印制，请直接修改内容后重新生成")
    if not description.strip():
        raise ValidationError({"description": "请填写差错说明"})
    page = limited(page, "page", "页码/位置", 40)
    description = limited(description, "description", "差错说明")
    if copies_affected < 1 or copies_affected > edition.print_run:
        raise ValidationError({"copies_affected": f"涉及册数应在 1 到 {edition.print_run} 之间"})
    if found_on < edition.printed_on or found_on > timezone.localdate():
        raise ValidationError({"found_on": "发现日期应在印制日期和今天之间"})
    row = EditionError.objects.create(
        edition=edition,
        found_on=found_on,
        page=page,
        description=description,
        copies_affected=copies_affected,
        recorded_by=user,
    )
    record_create(user, row)
    return row


# --- settings -------------------------------------------------------------------------------------
SETTINGS_FIELDS = (
    "site_name",
    "site_name_en",
    "base_url",
    "default_unit",
    "answer_days",
    "warn_share",
    "notice_version",
    "notice_text",
    "inquiry_ip_limit",
    "inquiry_phone_limit",
)


@transaction.atomic
def update_settings(user: Any, data: Mapping[str, Any]) -> Any:
    """Change the portal settings (portal.review, at prefecture level or above); audited field by field.

    A new notice text needs a new notice version: consents record the version they agreed to."""
    from qinqing.audit.services import record_update
    from qinqing.audit.services import snapshot as audit_snapshot
    from qinqing.orgs.models import Tier
    from qinqing.portal.models import PortalSettings

    require(user, "portal.review")
    unit = getattr(user, "scope_unit", None)
    if unit is None or unit.tier > Tier.PREFECTURE:
        raise PermissionDenied("门户设置由州（市）级修改")
    cfg = PortalSettings.objects.select_for_update().get_or_create(pk=1)[0]
    before = audit_snapshot(cfg)
    old_text, old_version = cfg.notice_text, cfg.notice_version
    for key in SETTINGS_FIELDS:
        if key in data:
            setattr(cfg, key, data[key])
    if cfg.notice_text != old_text and cfg.notice_version == old_version:
        raise ValidationError({"notice_version": "修改告知书内容时请同时更新版本号"})
    cfg.full_clean()
    cfg.save()
    record_update(user, cfg, before)
    from qinqing.portal import inquiries

    transaction.on_commit(inquiries.forget_config)
    snapshot.bump()  # the site name is on every page
    return cfg
