"""Every state change of the kpi app: budget projects and their targets (imported or edited), the
self-evaluation's inputs, incidents and maintenance requests. One function per use case."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create, record_update, snapshot
from qinqing.core.permissions import require
from qinqing.kpi.models import (
    BudgetProject,
    DetectedBy,
    Incident,
    Indicator,
    MaintenanceRequest,
    Operator,
    Source,
)
from qinqing.kpi.scoring import default_points
from qinqing.orgs.models import Unit

SEED_FILE = Path(__file__).parent / "data" / "seed_targets.json"


class StaleVersion(ValidationError):
    def __init__(self) -> None:
        super().__init__("该记录已被他人修改，请刷新后重试（本次未保存任何内容）")


def _bump(model: Any, obj: Any, expected_version: int) -> None:
    if not model.objects.filter(pk=obj.pk, version=expected_version).update(version=expected_version + 1):
        raise StaleVersion()
    obj.version = expected_version + 1


def _in_scope(user: Any, unit: Unit) -> None:
    scope = getattr(user, "scope_unit", None)
    if scope is None or not unit.path.startswith(scope.path):
        raise Http404("未找到该单位")


# --- targets as data ------------------------------------------------------------------------------
@dataclass
class IndicatorData:
    level1: str
    level2: str
    name: str
    target_text: str
    operator: str
    target_value: Decimal | None
    value_unit: str
    metric: str = ""
    points: Decimal | None = None  # None: the default share of the first-level weight
    source: str = ""  # "" : metric when a metric is named, judged for 定性, manual otherwise


@dataclass
class ProjectData:
    code: str
    year: int
    unit: Unit
    name: str
    funds_total_wan: Decimal
    funds_fiscal_wan: Decimal
    funds_other_wan: Decimal
    goal: str
    indicators: list[IndicatorData] = field(default_factory=list)


def _source(row: IndicatorData) -> str:
    if row.source:
        return row.source
    if row.operator == Operator.QUALITATIVE:
        return Source.JUDGED
    return Source.METRIC if row.metric else Source.MANUAL


KEEP_FIELDS = ("manual_value", "evidence", "judgement", "judged_pct", "deviation")


def build_indicators(project: BudgetProject, rows: list[IndicatorData]) -> list[Indicator]:
    """Validated, unsaved indicators; raises ValidationError naming the row."""
    points = default_points([r.level1 for r in rows])
    out = []
    for i, (row, default) in enumerate(zip(rows, points, strict=True), start=1):
        ind = Indicator(
            project=project,
            level1=row.level1,
            level2=row.level2,
            name=row.name,
            target_text=row.target_text,
            operator=row.operator,
            target_value=row.target_value,
            value_unit=row.value_unit,
            points=row.points if row.points is not None else default,
            source=_source(row),
            metric=row.metric,
            ordering=i,
        )
        try:
            ind.full_clean(exclude=["project"])
        except ValidationError as exc:
            raise ValidationError(f"第 {i} 个指标（{row.name}）：{'；'.join(_messages(exc))}") from exc
        out.append(ind)
    return out


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def _upsert(data: ProjectData) -> tuple[BudgetProject, bool]:
    project = BudgetProject.objects.filter(code=data.code).first()
    created = project is None
    if project is None:
        project = BudgetProject(code=data.code)
    for name in ("year", "unit", "name", "funds_total_wan", "funds_fiscal_wan", "funds_other_wan", "goal"):
        setattr(project, name, getattr(data, name))
    project.full_clean(exclude=["code"] if not created else None)
    if not created:
        project.version += 1
    project.save()
    kept = {
        (i.level1, i.level2, i.name): {f: getattr(i, f) for f in KEEP_FIELDS}
        for i in project.indicators.all()
    }
    new = build_indicators(project, data.indicators)
    for ind in new:  # entries made for the self-evaluation survive a re-import of the same row
        for f, v in kept.get((ind.level1, ind.level2, ind.name), {}).items():
            setattr(ind, f, v)
    project.indicators.all().delete()
    Indicator.objects.bulk_create(new)
    return project, created


@transaction.atomic
def import_projects(user: Any, projects: list[ProjectData], filename: str = "") -> list[BudgetProject]:
    """Create or replace the projects (by code) and their indicator trees, all or nothing."""
    require(user, "kpi.manage")
    out = []
    for data in projects:
        _in_scope(user, data.unit)
        project, created = _upsert(data)
        record(
            AuditAction.IMPORT if filename else (AuditAction.CREATE if created else AuditAction.UPDATE),
            actor=user,
            obj=project,
            detail=f"绩效目标表 {filename} {len(data.indicators)} 个指标".strip(),
        )
        out.append(project)
    return out


def seed_data(path: Path = SEED_FILE) -> list[ProjectData]:
    """The ten projects of the two seeds' 项目支出绩效目标表 as ProjectData (units looked up by name)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    units = {u.name: u for u in Unit.objects.filter(name__in={p["unit"] for p in raw["projects"]})}
    out = []
    for p in raw["projects"]:
        out.append(
            ProjectData(
                code=p["code"],
                year=p["year"],
                unit=units[p["unit"]],
                name=p["name"],
                funds_total_wan=Decimal(p["funds_total_wan"]),
                funds_fiscal_wan=Decimal(p["funds_fiscal_wan"]),
                funds_other_wan=Decimal(p["funds_other_wan"]),
                goal=p["goal"],
                indicators=[
                    IndicatorData(
                        level1=r["level1"],
                        level2=r["level2"],
                        name=r["name"],
                        target_text=r["target_text"],
                        operator=r["operator"],
                        target_value=None if r["target_value"] is None else Decimal(r["target_value"]),
                        value_unit=r["value_unit"],
                        metric=r["metric"] or "",
                    )
                    for r in p["indicators"]
                ],
            )
        )
    return out


@transaction.atomic
def load_seed() -> int:
    """Load the seed projects that do not exist yet (the demo; idempotent). Returns how many were added."""
    added = 0
    for data in seed_data():
        if not BudgetProject.objects.filter(code=data.code).exists():
            project, _ = _upsert(data)
            record(AuditAction.CREATE, obj=project, actor_name="system", detail="绩效目标表（预算公开）")
            added += 1
    return added


# --- the self-evaluation's inputs ----------------------------------------------------------------
@transaction.atomic
def update_execution(
    user: Any, project: BudgetProject, *, expected_version: int, executed_wan: Decimal | None, summary: str
) -> BudgetProject:
    require(user, "kpi.manage")
    _in_scope(user, project.unit)
    before = snapshot(project, ["executed_wan", "summary"])
    project.executed_wan = executed_wan  # type: ignore[assignment]
    project.summary = summary
    project.full_clean()
    _bump(BudgetProject, project, expected_version)
    project.save(update_fields=["executed_wan", "summary", "updated_at"])
    record_update(user, project, before)
    return project


EVAL_FIELDS = ("manual_value", "evidence", "judgement", "judged_pct", "deviation", "points")


@transaction.atomic
def update_indicator(
    user: Any, indicator: Indicator, *, expected_version: int, values: dict[str, Any]
) -> Indicator:
    """Enter a manual figure, a judgement, points or the deviation text (the project's version guards
    against two people editing its table at once)."""
    require(user, "kpi.manage")
    project = indicator.project
    _in_scope(user, project.unit)
    unknown = set(values) - set(EVAL_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改：{', '.join(sorted(unknown))}")
    if "manual_value" in values and indicator.source != Source.MANUAL and values["manual_value"] is not None:
        raise ValidationError({"manual_value": "该指标的实际值来自平台，不能人工填报"})
    before = snapshot(indicator, list(values))
    for k, v in values.items():
        setattr(indicator, k, v)
    indicator.full_clean()
    _bump(BudgetProject, project, expected_version)
    indicator.save()
    record_update(user, indicator, before)
    return indicator


# --- operations ------------------------------------------------------------------------------------
@transaction.atomic
def record_incident(user: Any, **values: Any) -> Incident:
    require(user, "ops.manage")
    incident = Incident(recorded_by=user, detected_by=values.pop("detected_by", DetectedBy.STAFF), **values)
    incident.full_clean()
    incident.save()
    record_create(user, incident)
    return incident


@transaction.atomic
def update_incident(
    user: Any, incident: Incident, *, expected_version: int, values: dict[str, Any]
) -> Incident:
    require(user, "ops.manage")
    before = snapshot(incident, list(values))
    for k, v in values.items():
        setattr(incident, k, v)
    incident.full_clean()
    _bump(Incident, incident, expected_version)
    incident.save()
    record_update(user, incident, before)
    return incident


@transaction.atomic
def record_request(user: Any, **values: Any) -> MaintenanceRequest:
    require(user, "ops.manage")
    req = MaintenanceRequest(recorded_by=user, **values)
    req.full_clean()
    req.save()
    record_create(user, req)
    return req


@transaction.atomic
def update_request(
    user: Any, req: MaintenanceRequest, *, expected_version: int, values: dict[str, Any]
) -> MaintenanceRequest:
    require(user, "ops.manage")
    before = snapshot(req, list(values))
    for k, v in values.items():
        setattr(req, k, v)
    req.full_clean()
    _bump(MaintenanceRequest, req, expected_version)
    req.save()
    record_update(user, req, before)
    return req


# --- the availability probe (kpi.jobs.probe) --------------------------------------------------------
PROBE_AFFECTED = {
    "site": "网站访问",
    "database": "数据库（全部功能）",
    "queue": "任务队列（通知、统计、定时任务）",
}


def probe_failed(check: str, detail: str, since: dt.datetime | None = None) -> Incident | None:
    """Open the probe's incident for CHECK unless one is open already (idempotent)."""
    with transaction.atomic():
        if (
            Incident.objects.select_for_update()
            .filter(detected_by=DetectedBy.PROBE, probe_check=check, ended_at__isnull=True)
            .exists()
        ):
            return None
        incident = Incident.objects.create(
            started_at=since or timezone.now(),
            detected_by=DetectedBy.PROBE,
            probe_check=check,
            affected=PROBE_AFFECTED.get(check, check),
            cause=detail[:1000],
        )
        record(AuditAction.CREATE, obj=incident, actor_name="probe", detail=f"探测失败：{check}")
        return incident


def probe_recovered(check: str, now: dt.datetime | None = None) -> int:
    """Close the probe's open incident for CHECK (a conditional update: a second run closes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = Incident.objects.filter(
            detected_by=DetectedBy.PROBE, probe_check=check, ended_at__isnull=True, started_at__lte=now
        ).update(ended_at=now, fix="探测恢复正常（自动关闭）")
        if closed:
            record(
                AuditAction.UPDATE,
                actor_name="probe",
                object_type="kpi.incident",
                detail=f"探测恢复：{check}",
            )
    return closed


def record_past_outage(check: str, detail: str, started: dt.datetime, ended: dt.datetime) -> Incident:
    """An outage seen while the database itself was down, written once it answers again."""
    with transaction.atomic():
        incident = Incident.objects.create(
            started_at=started,
            ended_at=ended,
            detected_by=DetectedBy.PROBE,
            probe_check=check,
            affected=PROBE_AFFECTED.get(check, check),
            cause=detail[:1000],
            fix="探测恢复正常（自动关闭）",
        )
        record(AuditAction.CREATE, obj=incident, actor_name="probe", detail=f"数据库中断后补记：{check}")
        return incident
