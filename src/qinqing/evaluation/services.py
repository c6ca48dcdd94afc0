"""Every state change of the evaluation app (docs/architecture.md: services).

Value states (one table, enforced here):

    entry    --submit (evaluation.enter)-->            review
    review   --accept (evaluation.review)-->           accepted
    review   --return (evaluation.review, comment)-->  entry
    any      --override (evaluation.review, reason)--> accepted   (origin "override")

A value can be changed by data entry only in ``entry`` or ``review`` (a change in review goes back to
entry); only accepted values are scored, and every change rescores the unit (scoring is per unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create, record_update, snapshot
from qinqing.core import metrics, uploads
from qinqing.core.limits import length_error, limited
from qinqing.core.permissions import require
from qinqing.evaluation import scoring, trees
from qinqing.evaluation.models import (
    Benchmark,
    Evidence,
    Indicator,
    IndicatorSystem,
    ReformMeasure,
    ReportLog,
    Round,
    RoundMember,
    RoundStatus,
    Source,
    UnitScore,
    Value,
    ValueChange,
    ValueOrigin,
    ValueStatus,
)
from qinqing.orgs.models import Unit, UnitKind

STALE_MESSAGE = "该数据已被他人修改，请刷新后重试"
EVALUATED_KINDS = (UnitKind.COUNTY, UnitKind.PARK)
NODE_FIELDS = (
    "code",
    "name",
    "weight",
    "unit",
    "better",
    "best",
    "worst",
    "power",
    "source",
    "metric",
    "note",
)

# (from status, action) -> (to status, capability)
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (ValueStatus.ENTRY, "submit"): (ValueStatus.REVIEW, "evaluation.enter"),
    (ValueStatus.REVIEW, "accept"): (ValueStatus.ACCEPTED, "evaluation.review"),
    (ValueStatus.REVIEW, "return"): (ValueStatus.ENTRY, "evaluation.review"),
}
ACTION_LABELS = {"submit": "提交审核", "accept": "审核通过", "return": "退回修改"}


class StaleError(ValidationError):
    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE, code="stale")


def _now() -> dt.datetime:
    return timezone.now()


def _require_member_or_office(user: Any, rnd: Round) -> None:
    """The round is visible to USER (its office's scope, or its evaluating team)."""
    if not Round.objects.visible_to(user).filter(pk=rnd.pk).exists():
        raise PermissionDenied("您不在该评价的范围内")


# --- indicator systems ------------------------------------------------------------------------------
@transaction.atomic
def import_system(user: Any, data: Mapping[str, Any], *, year: int | None = None) -> IndicatorSystem:
    """Create a system from the JSON exchange format (bounds may be left for the office to set)."""
    require(user, "evaluation.design")
    try:
        parsed = scoring.parse_system(data, require_bounds=False)
    except scoring.InvalidSystem as exc:
        raise ValidationError({"system": exc.errors}) from None
    year = year or int(data.get("year") or timezone.localdate().year)
    if IndicatorSystem.objects.filter(code=parsed.code, year=year).exists():
        raise ValidationError(f"{year}年已有代码为 {parsed.code} 的指标体系")
    system = IndicatorSystem.objects.create(
        code=parsed.code,
        name=parsed.root.name,
        year=year,
        missing=parsed.missing,
        note=str(data.get("note") or ""),
    )
    count = trees.write_tree(system, parsed)
    record_create(user, system, detail=f"导入指标体系，{count}个指标")
    return system


@transaction.atomic
def copy_system(user: Any, system: IndicatorSystem, *, year: int) -> IndicatorSystem:
    """A new, unfrozen copy of SYSTEM for YEAR (same code)."""
    require(user, "evaluation.design")
    data = trees.export_system(system)
    if IndicatorSystem.objects.filter(code=system.code, year=year).exists():
        raise ValidationError(f"{year}年已有代码为 {system.code} 的指标体系")
    copy = import_system(user, data, year=year)
    copy.copied_from = system
    copy.save(update_fields=["copied_from"])
    return copy


def _editable(system: IndicatorSystem, expected_version: int) -> None:
    if system.frozen:
        raise ValidationError("该指标体系已被评价轮次使用并冻结，不能修改；请复制为新年度后修改")
    updated = IndicatorSystem.objects.filter(pk=system.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=_now()
    )
    if updated != 1:
        raise StaleError()
    system.version = expected_version + 1


@transaction.atomic
def update_system(
    user: Any, system: IndicatorSystem, data: Mapping[str, Any], *, expected_version: int
) -> None:
    require(user, "evaluation.design")
    _editable(system, expected_version)
    before = snapshot(system, ["name", "missing", "note"])
    for key in ("name", "missing", "note"):
        if key in data:
            setattr(system, key, data[key])
    system.full_clean(exclude=["copied_from"])
    system.save()
    record_update(user, system, before)


@transaction.atomic
def save_indicator(
    user: Any,
    system: IndicatorSystem,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    indicator: Indicator | None = None,
    parent: Indicator | None = None,
) -> Indicator:
    """Add a node under PARENT (None: a first-level indicator) or change INDICATOR."""
    require(user, "evaluation.design")
    _editable(system, expected_version)
    if parent is not None and parent.system_id != system.pk:
        raise ValidationError("上级指标不属于该体系")
    if indicator is None:
        last = (
            Indicator.objects.filter(system=system).order_by("-order").values_list("order", flat=True).first()
        )
        indicator = Indicator(system=system, parent=parent, order=(last or 0) + 1)
        before = None
    else:
        before = snapshot(indicator, NODE_FIELDS)
    for key in NODE_FIELDS:
        if key in data:
            setattr(
                indicator,
                key,
                data[key] if data[key] is not None or key in ("best", "worst", "power") else "",
            )
    if indicator.code == system.code:
        raise ValidationError({"code": "指标代码不能与体系代码相同"})
    indicator.full_clean()
    indicator.save()
    if before is None:
        record_create(user, indicator)
    else:
        record_update(user, indicator, before)
    return indicator


@transaction.atomic
def delete_indicator(user: Any, indicator: Indicator, *, expected_version: int) -> None:
    require(user, "evaluation.design")
    _editable(indicator.system, expected_version)
    record(AuditAction.DELETE, actor=user, obj=indicator, detail=f"删除指标 {indicator.code}（含下级）")
    indicator.delete()


# --- rounds -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoundData:
    name: str
    year: int
    system: IndicatorSystem
    owner_unit: Unit
    units: Sequence[Unit]
    starts_on: dt.date
    ends_on: dt.date
    previous: Round | None = None


@transaction.atomic
def create_round(user: Any, data: RoundData) -> Round:
    """Open a round: freeze its system, create an empty value per unit × leaf."""
    require(user, "evaluation.design")
    scope = user.scope_unit
    if scope is None or not data.owner_unit.path.startswith(scope.path):
        raise PermissionDenied("组织单位不在您的数据范围内")
    errors = scoring.bound_errors(trees.engine_system(data.system))
    if errors:
        raise ValidationError(["指标体系尚不完整，不能用于评价：", *errors[:20]])
    if not data.units:
        raise ValidationError({"units": "请选择被评价单位"})
    wrong = [u.name for u in data.units if u.kind not in EVALUATED_KINDS]
    if wrong:
        raise ValidationError({"units": f"被评价单位须为县市区或园区：{'、'.join(wrong)}"})
    rnd = Round(
        name=data.name,
        year=data.year,
        system=data.system,
        owner_unit=data.owner_unit,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        previous=data.previous,
        created_by=user,
    )
    rnd.full_clean()
    rnd.save()
    rnd.units.set(data.units)
    if not data.system.frozen:
        IndicatorSystem.objects.filter(pk=data.system.pk).update(frozen_at=_now())
    Value.objects.bulk_create(
        [
            Value(round=rnd, unit=u, indicator=leaf, metric=leaf.metric)
            for u in data.units
            for leaf in trees.leaves(data.system)
        ]
    )
    record_create(user, rnd, detail=f"{len(data.units)}个被评价单位")
    for u in data.units:
        rescore_unit(rnd, u.pk)
    return rnd


@transaction.atomic
def add_member(user: Any, rnd: Round, member: Any) -> RoundMember:
    require(user, "evaluation.design")
    _require_member_or_office(user, rnd)
    if not member.can("evaluation.view") or member.enterprise_id:
        raise ValidationError("该账号不是评估员或工作人员")
    row, created = RoundMember.objects.get_or_create(round=rnd, user=member)
    if created:
        record(AuditAction.UPDATE, actor=user, obj=rnd, changes={"member_added": member.username})
    return row


@transaction.atomic
def close_round(user: Any, rnd: Round) -> None:
    require(user, "evaluation.review")
    _require_member_or_office(user, rnd)
    Round.objects.filter(pk=rnd.pk).update(status=RoundStatus.CLOSED)
    record(AuditAction.WORKFLOW, actor=user, obj=rnd, detail="结束评价")


# --- scoring ----------------------------------------------------------------------------------------
_ENGINE_CACHE: dict[tuple[int, Any], scoring.System] = {}


def engine_for(rnd: Round) -> scoring.System:
    """The round's system in the engine (cached: a round's system is frozen)."""
    key = (rnd.system_id, rnd.system.updated_at if not rnd.system.frozen else rnd.system.frozen_at)
    system = _ENGINE_CACHE.get(key)
    if system is None:
        system = _ENGINE_CACHE[key] = trees.engine_system(rnd.system)
    return system


def accepted_values(rnd: Round, unit_ids: Iterable[int] | None = None) -> dict[int, dict[str, Decimal]]:
    rows = Value.objects.filter(round=rnd, status=ValueStatus.ACCEPTED, value__isnull=False)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=list(unit_ids))
    out: dict[int, dict[str, Decimal]] = {}
    for unit_id, code, value in rows.values_list("unit_id", "indicator__code", "value"):
        if value is not None:
            out.setdefault(unit_id, {})[code] = value
    return out


def rescore_unit(rnd: Round, unit_id: int) -> UnitScore:
    """Rescore one unit of RND from its accepted values (units are independent)."""
    system = engine_for(rnd)
    values = accepted_values(rnd, [unit_id]).get(unit_id, {})
    scores = scoring.score_unit(system, values)
    row, _ = UnitScore.objects.update_or_create(
        round=rnd,
        unit_id=unit_id,
        defaults={
            "overall": scores[system.code],
            "scores": {k: (None if v is None else str(v)) for k, v in scores.items()},
            "computed_at": _now(),
        },
    )
    return row


def rescore_round(rnd: Round) -> None:
    for unit_id in rnd.units.values_list("pk", flat=True):
        rescore_unit(rnd, unit_id)


# --- values -----------------------------------------------------------------------------------------
def _history(
    value: Value, user: Any, action: str, old: Decimal | None, old_status: str, note: str = ""
) -> None:
    ValueChange.objects.create(
        value=value,
        at=_now(),
        by=user if getattr(user, "pk", None) else None,
        action=action,
        old_value=old,
        new_value=value.value,
        old_status=old_status,
        new_status=value.status,
        note=note,
    )


def parse_number(raw: Any) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError("不是有效的数字") from None
    if not value.is_finite() or abs(value) >= Decimal("1e14"):
        raise ValidationError("不是有效的数字")
    return value.quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class Entry:
    value_id: int
    version: int
    value: Any  # text or Decimal; "" / None clears
    note: str | None = None
    source_document: str | None = None


@transaction.atomic
def enter_values(user: Any, rnd: Round, entries: Sequence[Entry], *, submit: bool = False) -> list[Value]:
    """Save the grid's changed cells, all or nothing; SUBMIT sends them for review."""
    require(user, "evaluation.enter")
    _require_member_or_office(user, rnd)
    if rnd.status == RoundStatus.CLOSED:
        raise ValidationError("该评价已结束，不能再录入")
    rows = {
        v.pk: v
        for v in Value.objects.select_for_update().filter(round=rnd, pk__in=[e.value_id for e in entries])
    }
    too_long = {
        str(e.value_id): [m] for e in entries if (m := length_error(e.source_document, "资料来源", 200))
    }
    if too_long:
        raise ValidationError(too_long)
    errors: dict[str, list[str]] = {}
    changed: list[Value] = []
    for e in entries:
        v = rows.get(e.value_id)
        if v is None:
            raise PermissionDenied("数据不属于该评价")
        if v.version != e.version:
            raise StaleError()
        try:
            number = parse_number(e.value)
        except ValidationError as exc:
            errors[str(e.value_id)] = list(exc.messages)
            continue
        new_note = v.note if e.note is None else e.note
        new_doc = v.source_document if e.source_document is None else e.source_document.strip()
        send = submit and number is not None  # an empty cell is never sent for review
        unchanged = number == v.value and new_note == v.note and new_doc == v.source_document
        if unchanged and (not send or v.status == ValueStatus.REVIEW):
            continue
        if v.status == ValueStatus.ACCEPTED:
            if number != v.value:
                errors[str(e.value_id)] = ["已审核通过的数据不能直接修改，请由审核人修正"]
            continue
        old, old_status = v.value, v.status
        v.value, v.note, v.source_document = number, new_note, new_doc
        if old != number:
            v.origin, v.missing_reason = ValueOrigin.ENTERED, ""
        v.status = ValueStatus.REVIEW if send else ValueStatus.ENTRY
        v.updated_by = user
        v.version += 1
        changed.append(v)
        _history(v, user, "submit" if send else "enter", old, old_status)
    if errors:
        transaction.set_rollback(True)
        raise ValidationError(errors)
    for v in changed:
        v.save()
    if changed:
        record(
            AuditAction.UPDATE,
            actor=user,
            obj=rnd,
            changes={"values": {str(v.pk): str(v.value) if v.value is not None else None for v in changed}},
            detail=f"录入{len(changed)}项数据" + ("并提交审核" if submit else ""),
        )
    return changed


@transaction.atomic
def transition(
    user: Any,
    rnd: Round,
    value_ids: Sequence[int],
    action: str,
    *,
    comment: str = "",
    versions: Mapping[int, int] | None = None,
) -> int:
    """Apply ACTION (submit/accept/return) to the values VALUE_IDS of RND; all or nothing."""
    _require_member_or_office(user, rnd)
    rows = list(Value.objects.select_for_update().filter(round=rnd, pk__in=list(value_ids)))
    if len(rows) != len(set(value_ids)):
        raise PermissionDenied("数据不属于该评价")
    if action == "return" and not comment.strip():
        raise ValidationError({"comment": "退回时请填写审核意见"})
    if action == "return":
        comment = limited(comment, "comment", "审核意见", 200)
    touched_units: set[int] = set()
    for v in rows:
        if versions is not None and versions.get(v.pk, v.version) != v.version:
            raise StaleError()
        step = TRANSITIONS.get((v.status, action))
        if step is None:
            raise ValidationError(
                f"“{v.get_status_display()}”状态的数据不能{ACTION_LABELS.get(action, action)}"
            )
        target, capability = step
        require(user, capability)
        old_status = v.status
        v.status = target
        v.review_comment = comment if action == "return" else ("" if action == "accept" else v.review_comment)
        v.version += 1
        v.updated_by = user
        v.save()
        _history(v, user, action, v.value, old_status, comment)
        touched_units.add(v.unit_id)
    record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=rnd,
        changes={"action": action, "values": sorted(v.pk for v in rows)},
        detail=f"{ACTION_LABELS.get(action, action)}{len(rows)}项数据",
    )
    for unit_id in touched_units:
        rescore_unit(rnd, unit_id)
    return len(rows)


@transaction.atomic
def override_value(user: Any, value: Value, raw: Any, *, reason: str, expected_version: int) -> Value:
    """The office's correction of a value (a live-filled one, typically): with reason, accepted, audited."""
    require(user, "evaluation.review")
    _require_member_or_office(user, value.round)
    if not reason.strip():
        raise ValidationError({"reason": "请填写修正理由"})
    try:
        number = parse_number(raw)
    except ValidationError as exc:  # named, so the page's message says which input is wrong
        raise ValidationError({"value": [f"修正后数值{m}" for m in exc.messages]}) from None
    v = Value.objects.select_for_update().get(pk=value.pk)
    if v.version != expected_version:
        raise StaleError()
    before = snapshot(v, ["value", "status", "origin", "override_reason"])
    old, old_status = v.value, v.status
    v.value, v.status, v.origin = number, ValueStatus.ACCEPTED, ValueOrigin.OVERRIDE
    v.override_reason, v.missing_reason = reason.strip(), ""
    v.version += 1
    v.updated_by = user
    v.save()
    _history(v, user, "override", old, old_status, reason.strip())
    record_update(user, v, before, detail=f"修正数据：{reason.strip()[:200]}")
    rescore_unit(v.round, v.unit_id)
    return v


@transaction.atomic
def fill_live(user: Any, rnd: Round) -> dict[str, int]:
    """Fill the leaves whose source is a platform metric from live data, for each unit and the round's year.

    A metric that is unregistered or unavailable leaves the value missing with the reason; a value the
    office overrode, or one already accepted, is left alone. Filled values go to review.
    """
    require(user, "evaluation.enter")
    _require_member_or_office(user, rnd)
    period = metrics.Period.year(rnd.year)
    counts = {"filled": 0, "missing": 0, "kept": 0}
    live = list(
        Value.objects.select_for_update()
        .filter(round=rnd, indicator__source__in=[Source.METRIC, Source.SURVEY])
        .select_related("unit", "indicator")
    )
    for v in live:
        if v.origin == ValueOrigin.OVERRIDE or v.status == ValueStatus.ACCEPTED:
            counts["kept"] += 1
            continue
        name = v.indicator.metric
        reason = ""
        number: Decimal | None = None
        try:
            number = metrics.compute(name, v.unit, period)
            if number is None:
                reason = f"平台指标 {name} 在{rnd.year}年无数据（无可计算的记录）"
        except metrics.MetricUnavailable as exc:
            reason = f"平台指标 {name} 不可用：{exc.reason or '未注册'}"
        old, old_status = v.value, v.status
        v.value = None if number is None else number.quantize(Decimal("0.000001"))
        v.origin, v.metric, v.missing_reason = ValueOrigin.LIVE, name, reason[:200]
        v.source_document = f"亲清平台实时数据 {name}（{rnd.year}年）"
        v.status = ValueStatus.REVIEW if number is not None else ValueStatus.ENTRY
        v.version += 1
        v.updated_by = user
        v.save()
        _history(v, user, "live", old, old_status, reason)
        counts["filled" if number is not None else "missing"] += 1
    record(AuditAction.WORKFLOW, actor=user, obj=rnd, changes=counts, detail="从平台实时数据填充")
    return counts


EVIDENCE_MAX_BYTES = 20 * uploads.MB


@transaction.atomic
def add_evidence(user: Any, value: Value, file: UploadedFile, *, note: str = "") -> Evidence:
    require(user, "evaluation.enter")
    _require_member_or_office(user, value.round)
    note = limited(note, "note", "说明", 200)
    checked = uploads.check_upload(file, allowed=uploads.ATTACHMENTS, max_bytes=EVIDENCE_MAX_BYTES)
    file.name = uploads.stored_name(checked)
    row = Evidence.objects.create(value=value, file=file, name=checked.name, note=note, uploaded_by=user)
    ValueChange.objects.create(
        value=value,
        at=_now(),
        by=user,
        action="evidence",
        old_value=value.value,
        new_value=value.value,
        old_status=value.status,
        new_status=value.status,
        note=row.name,
    )
    record(
        AuditAction.CREATE,
        actor=user,
        obj=row,
        changes={"value": value.pk, "file": row.file.name, "name": row.name},
        detail=f"上传佐证材料 {row.name}",
    )
    return row


@transaction.atomic
def set_benchmark(user: Any, rnd: Round, name: str, values: Mapping[Indicator, Any]) -> int:
    """Enter (or replace) reference values NAME (e.g. 全国先进县市) per leaf; an empty value removes it."""
    require(user, "evaluation.review")
    _require_member_or_office(user, rnd)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "请填写对标对象名称"})
    count = 0
    errors: dict[str, list[str]] = {}
    for indicator, raw in values.items():
        if indicator.system_id != rnd.system_id:
            raise PermissionDenied("指标不属于该评价的体系")
        try:
            number = parse_number(raw)
        except ValidationError as exc:
            errors[indicator.code] = list(exc.messages)
            continue
        if number is None:
            Benchmark.objects.filter(round=rnd, name=name, indicator=indicator).delete()
        else:
            Benchmark.objects.update_or_create(
                round=rnd, name=name, indicator=indicator, defaults={"value": number}
            )
            count += 1
    if errors:
        transaction.set_rollback(True)
        raise ValidationError(errors)
    record(AuditAction.UPDATE, actor=user, obj=rnd, changes={"benchmark": name, "count": count})
    return count


@transaction.atomic
def add_measure(user: Any, *, topic: str, title: str, text: str, source: str = "") -> ReformMeasure:
    require(user, "evaluation.design")
    row = ReformMeasure(topic=topic.strip(), title=title.strip(), text=text.strip(), source=source.strip())
    row.full_clean()
    row.save()
    record_create(user, row)
    return row


def log_report(user: Any, rnd: Round, unit: Unit | None, kind: str) -> None:
    with transaction.atomic():
        ReportLog.objects.create(
            round=rnd, unit=unit, kind=kind, at=_now(), by=user if getattr(user, "pk", None) else None
        )
        record(
            AuditAction.EXPORT,
            actor=user,
            obj=rnd,
            detail=f"生成报告 {kind}{' ' + unit.name if unit else ''}",
        )
