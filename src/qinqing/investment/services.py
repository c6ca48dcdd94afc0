"""Every state change of the investment app (docs/architecture.md: services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import F, Sum
from django.utils import timezone

from qinqing.audit.models import AuditAction, AuditResult
from qinqing.audit.services import record, record_create, record_update, snapshot
from qinqing.core import uploads
from qinqing.core.limits import length_error, limited
from qinqing.core.permissions import require
from qinqing.investment import aggregates, importing, rules
from qinqing.investment.models import (
    EDITABLE_REPORT_STATUSES,
    REPORTING_KINDS,
    ZERO,
    Attachment,
    ContractType,
    FundsEntry,
    Indicator,
    InvestmentSettings,
    MonthlyReport,
    Negotiation,
    Project,
    PublishStatus,
    ReportLine,
    ReportStatus,
    Stage,
    StageChange,
    Target,
    first_of_month,
    sector_of_section,
    size_band_of,
)
from qinqing.orgs.models import Tier, Unit

# Fields a project form may set (stage fields change only through change_stage).
PROJECT_FIELDS = (
    "name",
    "investor_enterprise",
    "investor_name",
    "investor_credit_code",
    "investor_origin",
    "source",
    "investor_type",
    "sector",
    "industry_section",
    "industry_division",
    "cluster",
    "chain",
    "chain_role",
    "location_unit",
    "planned_investment_wan",
    "construction",
    "expected_jobs",
    "responsible_leader",
    "responsible_unit",
    "capital_increase_of",
    "increase_amount_wan",
    "is_fiscal_funded",
    "is_second_phase",
    "summary",
)


class StaleError(ValidationError):
    """A version check failed: someone else changed the row first; nothing was written."""

    def __init__(self) -> None:
        super().__init__(rules.STALE_MESSAGE, code="stale")


# --- helpers ------------------------------------------------------------------------------------
def _in_scope(user: Any, unit: Unit) -> None:
    scope = getattr(user, "scope_unit", None)
    if scope is None or not unit.path.startswith(scope.path):
        raise PermissionDenied("该单位不在您的数据范围内")


def _bump(model: type[models.Model], pk: int, expected_version: int, **values: Any) -> None:
    """The conditional UPDATE behind every versioned change."""
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise StaleError()


def reporting_unit(user: Any) -> Unit | None:
    """The county or park a user files monthly reports for (their scope unit or its nearest ancestor)."""
    unit = getattr(user, "scope_unit", None)
    if unit is None:
        return None
    if unit.kind in REPORTING_KINDS:
        return unit
    for ancestor in reversed(list(unit.ancestors())):
        if ancestor.kind in REPORTING_KINDS:
            return ancestor
    return None


def _today() -> dt.date:
    return timezone.localdate()


def assert_period_open(unit_id: int, month: dt.date) -> None:
    """Refuse a change to a unit's month once its report is submitted or approved (locked)."""
    report = MonthlyReport.objects.filter(unit_id=unit_id, month=first_of_month(month)).first()
    if report is not None and report.is_locked:
        state = "已审核锁定" if report.status == ReportStatus.APPROVED else "已报送待审核"
        raise ValidationError(
            f"{rules.month_label(report.month)}月报{state}，不能修改该月数据；如需更正，请州级重新开放该期"
        )


def _full_clean(obj: models.Model, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=True)


# --- projects -----------------------------------------------------------------------------------
def next_number(unit: Unit, year: int) -> str:
    prefix = f"ZS{year}{unit.pk:04d}"
    last = (
        Project.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
    )
    seq = int(last[0][len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _validate_stage_dates(project: Project) -> None:
    """Date order and completeness for a project's stage dates (creation and import)."""
    today = _today()
    errors: dict[str, str] = {}
    stage = project.stage
    chain = [("signed_on", Stage.SIGNED), ("started_on", Stage.STARTED), ("produced_on", Stage.PRODUCING)]
    reached = rules.EXECUTION_STAGES.index(stage) if stage in rules.EXECUTION_STAGES else -1
    previous: dt.date | None = None
    for i, (field, label) in enumerate(chain):
        value = getattr(project, field)
        if i <= reached and value is None:
            errors[field] = f"阶段为{Stage(stage).label}时请填写{Stage(label).label}日期"
        elif i > reached and value is not None and stage != Stage.TERMINATED:
            errors[field] = f"尚未{Stage(label).label}，不能填写该日期"
        if value is not None:
            if value > today:
                errors[field] = "日期不能晚于今天"
            elif previous is not None and value < previous:
                errors[field] = "日期不能早于上一阶段日期"
            previous = value
    if stage in rules.EXECUTION_STAGES and not project.contract_type:
        errors["contract_type"] = "已签约项目请选择签约类型"
    if project.contract_type and not project.contract_amount_wan:
        errors["contract_amount_wan"] = "请填写签约金额"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_project(
    user: Any, data: Mapping[str, Any], *, initial: Mapping[str, Any] | None = None
) -> Project:
    """A new project, at 线索 by default, opened on INITIAL["opened_on"] (default today); INITIAL may place an existing project at a later stage
    (stage, contract_type, contract_amount_wan, signed_on, started_on, produced_on) — used by import."""
    require(user, "investment.change")
    project = Project(**{k: v for k, v in data.items() if k in PROJECT_FIELDS}, created_by=user)
    if project.investor_enterprise_id and not project.investor_name:
        project.investor_name = project.investor_enterprise.name  # type: ignore[union-attr]
    if project.industry_section and not project.sector:
        project.sector = sector_of_section(project.industry_section)
    initial = dict(initial or {})
    stage = initial.pop("stage", Stage.LEAD)
    if stage not in (Stage.LEAD, Stage.NEGOTIATING, *rules.EXECUTION_STAGES):
        raise ValidationError({"stage": "新建项目的阶段只能是线索、在谈、签约、开工或投产"})
    project.stage = stage
    for key in ("contract_type", "contract_amount_wan", "signed_on", "started_on", "produced_on"):
        if key in initial:
            setattr(project, key, initial[key])
    project.first_signed_on = project.signed_on
    _in_scope(user, project.location_unit) if project.location_unit_id else None
    project.number = data.get("number") or (
        next_number(project.location_unit, _today().year) if project.location_unit_id else ""
    )
    _full_clean(project, exclude=["stage_since", "number"] if not project.number else ["stage_since"])
    _validate_stage_dates(project)
    dates = [d for d in (project.signed_on, project.started_on, project.produced_on) if d]
    opened_on = initial.get("opened_on") or (min(dates) if dates else _today())
    if opened_on > _today():
        raise ValidationError({"opened_on": "建档日期不能晚于今天"})
    if dates and opened_on > min(dates):
        raise ValidationError({"opened_on": "建档日期不能晚于签约日期"})
    project.stage_since = dates[-1] if dates else opened_on
    for day in dates:
        assert_period_open(project.location_unit_id, day)
    project.save()
    StageChange.objects.create(
        project=project,
        to_stage=Stage.LEAD if stage == Stage.LEAD else Stage.NEGOTIATING,
        effective_on=opened_on,
        note="建档",
        actor=user,
    )
    history: list[tuple[str, dt.date | None]] = [
        (Stage.SIGNED, project.signed_on),
        (Stage.STARTED, project.started_on),
        (Stage.PRODUCING, project.produced_on),
    ]
    previous: str = Stage.NEGOTIATING
    for to_stage, when in history:
        if when is None:
            break
        StageChange.objects.create(
            project=project,
            from_stage=previous,
            to_stage=to_stage,
            effective_on=when,
            actor=user,
            contract_type=project.contract_type if to_stage == Stage.SIGNED else "",
            note="建档时录入",
        )
        previous = to_stage
    record_create(user, project)
    return project


@transaction.atomic
def update_project(user: Any, project: Project, data: Mapping[str, Any], *, expected_version: int) -> Project:
    require(user, "investment.change")
    _in_scope(user, project.location_unit)
    before = snapshot(project)
    for key, value in data.items():
        if key in PROJECT_FIELDS:
            setattr(project, key, value)
    if project.location_unit_id:
        _in_scope(user, project.location_unit)
    _full_clean(project)
    values = {
        f.attname: getattr(project, f.attname)
        for f in Project._meta.concrete_fields
        if f.name in PROJECT_FIELDS
    }
    values["size_band"] = size_band_of(project.planned_investment_wan)
    values["updated_at"] = timezone.now()
    _bump(Project, project.pk, expected_version, **values)
    project.refresh_from_db()
    record_update(user, project, before)
    return project


@transaction.atomic
def change_stage(
    user: Any,
    project: Project,
    *,
    expected_version: int,
    to_stage: str,
    on: dt.date,
    contract_type: str = "",
    contract_amount_wan: Decimal | None = None,
    reason: str = "",
) -> Project:
    """Move PROJECT along the transition table (rules.TRANSITIONS); records the history row."""
    require(user, "investment.change")
    _in_scope(user, project.location_unit)
    current = Project.objects.select_for_update().get(pk=project.pk)
    if current.version != expected_version:
        raise StaleError()
    if to_stage not in rules.TRANSITIONS.get(current.stage, frozenset()):
        raise ValidationError(
            {
                "to_stage": f"不能从“{Stage(current.stage).label}”变更为“{Stage(to_stage).label}”"
                if to_stage in Stage.values
                else "阶段无效"
            }
        )
    errors: dict[str, str] = {}
    if on > _today():
        errors["on"] = "日期不能晚于今天"
    elif on < current.stage_since:
        errors["on"] = f"日期不能早于进入当前阶段的日期（{current.stage_since:%Y-%m-%d}）"
    values: dict[str, Any] = {"stage": to_stage, "stage_since": on, "updated_at": timezone.now()}
    if to_stage == Stage.SIGNED:
        if current.stage == Stage.SIGNED:
            if not rules.can_upgrade_contract(current.contract_type):
                errors["contract_type"] = "已签订正式合同，不能再次签约"
            contract_type = ContractType.FORMAL
        elif contract_type not in ContractType.values:
            errors["contract_type"] = "请选择签约类型（框架协议/正式合同）"
        if contract_amount_wan is None or contract_amount_wan <= 0:
            errors["contract_amount_wan"] = "请填写签约金额（万元）"
        values.update(contract_type=contract_type, contract_amount_wan=contract_amount_wan, signed_on=on)
        if current.first_signed_on is None:
            values["first_signed_on"] = on
    elif to_stage == Stage.STARTED:
        values["started_on"] = on
    elif to_stage == Stage.PRODUCING:
        values["produced_on"] = on
    elif to_stage == Stage.TERMINATED:
        if not reason.strip():
            errors["reason"] = "请填写终止原因"
        values.update(terminated_on=on, termination_reason=reason.strip())
    label = "终止原因" if to_stage == Stage.TERMINATED else "说明"
    if too_long := length_error(reason, label, 200):
        errors["reason"] = too_long
    if errors:
        raise ValidationError(errors)
    assert_period_open(current.location_unit_id, on)
    before = snapshot(current)
    _bump(Project, current.pk, expected_version, **values)
    StageChange.objects.create(
        project=current,
        from_stage=current.stage,
        to_stage=to_stage,
        effective_on=on,
        actor=user,
        contract_type=contract_type if to_stage == Stage.SIGNED else "",
        note=reason.strip(),
    )
    current.refresh_from_db()
    record_update(
        user, current, before, detail=f"阶段变更：{Stage(before['stage']).label} → {Stage(to_stage).label}"
    )
    project.refresh_from_db()
    return current


@transaction.atomic
def add_negotiation(
    user: Any, project: Project, *, held_on: dt.date, people: str, content: str, next_step: str = ""
) -> Negotiation:
    require(user, "investment.change")
    _in_scope(user, project.location_unit)
    row = Negotiation(
        project=project, held_on=held_on, people=people, content=content, next_step=next_step, created_by=user
    )
    _full_clean(row, exclude=["project", "created_by"])
    row.save()
    record_create(user, row)
    return row


MAX_ATTACHMENT_BYTES = 20 * uploads.MB


def check_attachment(file: UploadedFile, field: str = "file") -> uploads.Checked:
    """An attachment (项目附件, 到位凭证; also 佐证材料 and 申报材料) checked by content, size and name."""
    return uploads.check_upload(
        file, allowed=uploads.ATTACHMENTS, max_bytes=MAX_ATTACHMENT_BYTES, field=field
    )


@transaction.atomic
def add_attachment(user: Any, project: Project, *, title: str, file: UploadedFile) -> Attachment:
    """Store an attachment under MEDIA_ROOT with a random name; it is served by a scoped view only."""
    require(user, "investment.change")
    _in_scope(user, project.location_unit)
    if not title.strip():
        raise ValidationError({"title": "请填写附件名称"})
    if len(title.strip()) > 100:
        raise ValidationError({"title": "附件名称不能超过100个字"})
    file.name = uploads.stored_name(check_attachment(file))
    row = Attachment.objects.create(project=project, title=title.strip(), file=file, uploaded_by=user)
    record(
        AuditAction.CREATE,
        actor=user,
        obj=row,
        changes={"project_id": [None, project.pk], "title": [None, row.title], "file": [None, row.file.name]},
    )
    return row


@transaction.atomic
def request_publish(user: Any, project: Project, *, expected_version: int) -> Project:
    require(user, "investment.change")
    _in_scope(user, project.location_unit)
    if project.publish_status == PublishStatus.PUBLISHED:
        raise ValidationError("项目已公开发布")
    _bump(Project, project.pk, expected_version, publish_status=PublishStatus.PENDING, publish_comment="")
    project.refresh_from_db()
    record(AuditAction.WORKFLOW, actor=user, obj=project, detail="申请在公开项目库发布")
    return project


@transaction.atomic
def review_publish(
    user: Any, project: Project, *, expected_version: int, approve: bool, comment: str = ""
) -> Project:
    require(user, "investment.publish_review")
    _in_scope(user, project.location_unit)
    if project.publish_status != PublishStatus.PENDING:
        raise ValidationError("该项目没有待审核的发布申请")
    if not approve and not comment.strip():
        raise ValidationError({"comment": "不通过时请填写意见"})
    comment = limited(comment, "comment", "发布审核意见", 200)
    status = PublishStatus.PUBLISHED if approve else PublishStatus.REJECTED
    _bump(Project, project.pk, expected_version, publish_status=status, publish_comment=comment)
    project.refresh_from_db()
    record(
        AuditAction.WORKFLOW, actor=user, obj=project, detail=f"公开发布审核：{PublishStatus(status).label}"
    )
    if approve:
        _publication_changed(project)
    return project


def _publication_changed(project: Project) -> None:
    from qinqing.investment.signals import publication_changed

    pk = project.pk
    transaction.on_commit(lambda: publication_changed.send(sender=Project, project_id=pk))


WITHDRAWN = "已下架："


@transaction.atomic
def withdraw_publication(user: Any, project: Project, *, expected_version: int, reason: str) -> Project:
    """下架: take a published project out of the public catalogue (investment.publish_review, in scope).

    The project goes back to 不公开 with the reason as the publication comment; it may be submitted for
    publication again later. The audit row carries the reason; apps showing the catalogue are told after
    the commit (signals.publication_changed)."""
    require(user, "investment.publish_review")
    _in_scope(user, project.location_unit)
    if project.publish_status != PublishStatus.PUBLISHED:
        raise ValidationError("该项目未在公开项目库中")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"comment": "下架时请填写原因"})
    # stored as "已下架：<reason>" in the 200-character publication comment
    reason = limited(reason, "comment", "下架原因", 200 - len(WITHDRAWN))
    _bump(
        Project,
        project.pk,
        expected_version,
        publish_status=PublishStatus.NONE,
        publish_comment=f"{WITHDRAWN}{reason}",
    )
    project.refresh_from_db()
    record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=project,
        changes={"publish_status": [PublishStatus.PUBLISHED, PublishStatus.NONE]},
        detail=f"从公开项目库下架：{reason}",
    )
    _publication_changed(project)
    return project


# --- funds in place -----------------------------------------------------------------------------
FUNDS_AUDIT_FIELDS = ("project_id", "month", "amount_wan", "outside_amount_wan", "evidence_note")


def _funds_snapshot(entry: FundsEntry) -> dict[str, Any]:
    return snapshot(entry, FUNDS_AUDIT_FIELDS)


def funds_warnings(
    project: Project, month: dt.date, amount_wan: Decimal, exclude_pk: int | None = None
) -> list[str]:
    """Non-blocking warnings for a funds entry (shown on save and kept on the row)."""
    warnings: list[str] = []
    others = FundsEntry.objects.filter(project=project)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    total = (others.aggregate(s=Sum("amount_wan"))["s"] or ZERO) + amount_wan
    if total > project.planned_investment_wan:
        warnings.append(
            f"累计到位资金 {total:.2f} 万元超过计划总投资 {project.planned_investment_wan:.2f} 万元"
        )
    if project.first_signed_on is None or first_of_month(project.first_signed_on) > month:
        warnings.append("项目尚未签约即有到位资金")
    return warnings


@transaction.atomic
def record_funds(
    user: Any,
    project: Project,
    *,
    month: dt.date,
    amount_wan: Decimal,
    outside_amount_wan: Decimal,
    evidence: UploadedFile | None = None,
    evidence_note: str = "",
) -> FundsEntry:
    require(user, "investment.change")
    _in_scope(user, project.location_unit)
    month = first_of_month(month)
    if FundsEntry.objects.filter(project=project, month=month).exists():
        raise ValidationError({"month": f"该项目{rules.month_label(month)}已填报到位资金，请修改原记录"})
    assert_period_open(project.location_unit_id, month)
    entry = FundsEntry(
        project=project,
        unit_id=project.location_unit_id,
        month=month,
        amount_wan=amount_wan,
        outside_amount_wan=outside_amount_wan,
        evidence_note=evidence_note,
        created_by=user,
    )
    if evidence is not None:
        evidence.name = uploads.stored_name(check_attachment(evidence, field="evidence"))
        entry.evidence = evidence
    _full_clean(entry, exclude=["project", "unit", "created_by", "evidence"])
    entry.warnings = funds_warnings(project, month, amount_wan)
    entry.save()
    aggregates.refresh(entry.project_id, entry.unit_id, month.year)
    record(
        AuditAction.CREATE,
        actor=user,
        obj=entry,
        changes={k: [None, v] for k, v in _funds_snapshot(entry).items()},
    )
    return entry


@transaction.atomic
def update_funds(
    user: Any,
    entry: FundsEntry,
    *,
    expected_version: int,
    amount_wan: Decimal,
    outside_amount_wan: Decimal,
    evidence_note: str | None = None,
) -> FundsEntry:
    require(user, "investment.change")
    _in_scope(user, entry.unit)
    assert_period_open(entry.unit_id, entry.month)
    before = _funds_snapshot(entry)
    entry.amount_wan, entry.outside_amount_wan = amount_wan, outside_amount_wan
    if evidence_note is not None:
        entry.evidence_note = evidence_note
    _full_clean(entry, exclude=["project", "unit", "created_by", "evidence"])
    warnings = funds_warnings(entry.project, entry.month, amount_wan, exclude_pk=entry.pk)
    _bump(
        FundsEntry,
        entry.pk,
        expected_version,
        amount_wan=amount_wan,
        outside_amount_wan=outside_amount_wan,
        evidence_note=entry.evidence_note,
        warnings=warnings,
    )
    entry.refresh_from_db()
    aggregates.refresh(entry.project_id, entry.unit_id, entry.month.year)
    record_update(user, entry, before)
    return entry


@transaction.atomic
def delete_funds(user: Any, entry: FundsEntry, *, expected_version: int) -> None:
    require(user, "investment.change")
    _in_scope(user, entry.unit)
    assert_period_open(entry.unit_id, entry.month)
    if FundsEntry.objects.filter(pk=entry.pk, version=expected_version).delete()[0] != 1:
        raise StaleError()
    aggregates.refresh(entry.project_id, entry.unit_id, entry.month.year)
    record(AuditAction.DELETE, actor=user, obj=entry, changes={"amount_wan": [str(entry.amount_wan), None]})


# --- monthly reports ----------------------------------------------------------------------------
def _report_for_update(report: MonthlyReport, expected_version: int) -> MonthlyReport:
    current = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    if current.version != expected_version:
        raise StaleError()
    return current


@transaction.atomic
def prepare_report(user: Any, *, unit: Unit, month: dt.date, remarks: str = "") -> MonthlyReport:
    """Create or refresh UNIT's report for MONTH from the library (only while editable)."""
    require(user, "investment.report_prepare")
    _in_scope(user, unit)
    if unit.kind not in REPORTING_KINDS:
        raise ValidationError("只有县市区和园区报送招商月报")
    month = first_of_month(month)
    if month >= first_of_month(_today()):
        raise ValidationError({"month": "只能报送已结束月份的月报"})
    settings = InvestmentSettings.current()
    report = MonthlyReport.objects.select_for_update().filter(unit=unit, month=month).first()
    if report is None:
        deadline, provisional = rules.report_deadline(month, settings.report_deadline_working_days)
        report = MonthlyReport.objects.create(
            unit=unit,
            month=month,
            deadline=deadline,
            deadline_provisional=provisional,
            remarks=remarks,
            prepared_by=user,
            prepared_at=timezone.now(),
        )
        record_create(user, report)
    else:
        if report.status not in EDITABLE_REPORT_STATUSES:
            raise ValidationError(f"月报状态为“{report.get_status_display()}”，不能修改")
        _bump(
            MonthlyReport,
            report.pk,
            report.version,
            remarks=remarks,
            prepared_by=user,
            prepared_at=timezone.now(),
        )
        report.refresh_from_db()
        record(AuditAction.UPDATE, actor=user, obj=report, detail="重新生成月报")
    _write_lines(report, settings)
    return report


def _write_lines(report: MonthlyReport, settings: InvestmentSettings) -> None:
    from qinqing.investment.queries import report_lines

    ReportLine.objects.filter(report=report).delete()
    ReportLine.objects.bulk_create(
        [ReportLine(report=report, **line) for line in report_lines(report.unit, report.month, settings)]
    )


@transaction.atomic
def submit_report(
    user: Any, report: MonthlyReport, *, expected_version: int, remarks: str | None = None
) -> MonthlyReport:
    require(user, "investment.report_submit")
    _in_scope(user, report.unit)
    current = _report_for_update(report, expected_version)
    if current.status not in EDITABLE_REPORT_STATUSES:
        raise ValidationError(f"月报状态为“{current.get_status_display()}”，不能报送")
    values: dict[str, Any] = {
        "status": ReportStatus.SUBMITTED,
        "submitted_by": user,
        "submitted_at": timezone.now(),
    }
    if remarks is not None:
        values["remarks"] = remarks
    _bump(MonthlyReport, current.pk, expected_version, **values)
    current.refresh_from_db()
    _write_lines(current, InvestmentSettings.current())  # the reviewer sees exactly the library as submitted
    record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=current,
        detail="报送月报" + ("（逾期）" if current.is_late else ""),
    )
    return current


def _require_reviewer(user: Any, report: MonthlyReport) -> None:
    require(user, "investment.report_review")
    scope = user.scope_unit
    if scope is None or scope.tier > Tier.PREFECTURE or scope.pk == report.unit_id:
        raise PermissionDenied("月报由州（市）级审核")
    _in_scope(user, report.unit)


@transaction.atomic
def approve_report(
    user: Any, report: MonthlyReport, *, expected_version: int, comment: str = ""
) -> MonthlyReport:
    _require_reviewer(user, report)
    current = _report_for_update(report, expected_version)
    if current.status != ReportStatus.SUBMITTED:
        raise ValidationError("只能审核已报送的月报")
    _bump(
        MonthlyReport,
        current.pk,
        expected_version,
        status=ReportStatus.APPROVED,
        review_comment=comment,
        reviewed_by=user,
        reviewed_at=timezone.now(),
    )
    current.refresh_from_db()
    record(AuditAction.WORKFLOW, actor=user, obj=current, detail="审核通过并锁定")
    return current


@transaction.atomic
def return_report(user: Any, report: MonthlyReport, *, expected_version: int, comment: str) -> MonthlyReport:
    _require_reviewer(user, report)
    if not comment.strip():
        raise ValidationError({"comment": "退回时请填写审核意见"})
    current = _report_for_update(report, expected_version)
    if current.status != ReportStatus.SUBMITTED:
        raise ValidationError("只能退回已报送的月报")
    _bump(
        MonthlyReport,
        current.pk,
        expected_version,
        status=ReportStatus.RETURNED,
        review_comment=comment.strip(),
        reviewed_by=user,
        reviewed_at=timezone.now(),
    )
    current.refresh_from_db()
    record(AuditAction.WORKFLOW, actor=user, obj=current, detail=f"退回月报：{comment.strip()}")
    return current


@transaction.atomic
def reopen_report(user: Any, report: MonthlyReport, *, expected_version: int, reason: str) -> MonthlyReport:
    """Unlock an approved period for a correction (prefecture only, audited with the reason)."""
    _require_reviewer(user, report)
    if not reason.strip():
        raise ValidationError({"reason": "重新开放时请填写原因"})
    current = _report_for_update(report, expected_version)
    if current.status != ReportStatus.APPROVED:
        raise ValidationError("只能重新开放已审核锁定的月报")
    _bump(
        MonthlyReport,
        current.pk,
        expected_version,
        status=ReportStatus.REOPENED,
        review_comment=f"重新开放：{reason.strip()}",
    )
    current.refresh_from_db()
    record(AuditAction.WORKFLOW, actor=user, obj=current, detail=f"重新开放已锁定月报：{reason.strip()}")
    return current


# --- targets ------------------------------------------------------------------------------------
@transaction.atomic
def set_targets(user: Any, *, year: int, values: Mapping[tuple[int, str], Decimal]) -> list[Target]:
    """Set annual targets: VALUES maps (unit id, indicator) to a value. Prefecture level only."""
    require(user, "investment.targets")
    scope = user.scope_unit
    if scope is None or scope.tier > Tier.PREFECTURE:
        raise PermissionDenied("年度目标由州（市）级下达")
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度无效"})
    units = {u.pk: u for u in Unit.objects.filter(pk__in={k[0] for k in values})}
    saved: list[Target] = []
    errors: dict[str, list[str]] = {}
    for (unit_id, indicator), value in values.items():
        unit = units.get(unit_id)
        if unit is None or not unit.path.startswith(scope.path):
            raise PermissionDenied("该单位不在您的数据范围内")
        if indicator not in Indicator.values:
            errors.setdefault("indicator", []).append(f"指标无效：{indicator}")
            continue
        if value < 0:
            errors.setdefault(f"{unit_id}.{indicator}", []).append(f"{unit.display_name} 的目标不能为负数")
            continue
        if indicator != Indicator.OUTSIDE_FUNDS and value != value.to_integral_value():
            errors.setdefault(f"{unit_id}.{indicator}", []).append(f"{unit.display_name} 的项目个数应为整数")
            continue
        target, created = Target.objects.get_or_create(
            year=year, unit=unit, indicator=indicator, defaults={"value": value, "updated_by": user}
        )
        if created:
            record_create(user, target)
        elif target.value != value:
            before = snapshot(target)
            target.value, target.updated_by = value, user
            target.save()
            record_update(user, target, before)
        saved.append(target)
    if errors:
        raise ValidationError(errors)
    return saved


@transaction.atomic
def update_settings(user: Any, data: Mapping[str, Any]) -> InvestmentSettings:
    require(user, "investment.settings")
    scope = user.scope_unit
    if scope is None or scope.tier > Tier.PREFECTURE:
        raise PermissionDenied("统计口径由州（市）级设置")
    obj = InvestmentSettings.current()
    before = snapshot(obj)
    for key, value in data.items():
        if key != "id" and hasattr(obj, key):
            setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    obj.refresh_from_db()  # decimals as stored (5000 -> 5000.00) in the audit diff
    record_update(user, obj, before)
    return obj


# --- imports ------------------------------------------------------------------------------------
class _RollBack(Exception):
    """Raised inside the import savepoint when any row failed, so that nothing is kept."""


def _import_audit(actor: Any, result: Any, filename: str, label: str) -> None:
    if result.errors:
        record(
            AuditAction.IMPORT,
            actor=actor,
            object_type=f"investment.{label}",
            result=AuditResult.FAILURE,
            changes={"file": filename, "errors": len(result.errors)},
            detail=f"导入失败：{filename}，{len(result.errors)} 处错误，未保存任何数据",
        )
    else:
        record(
            AuditAction.IMPORT,
            actor=actor,
            object_type=f"investment.{label}",
            changes={"file": filename, **result.counts()},
            detail=f"导入{'项目' if label == 'project' else '到位资金'}：新增 {result.created}，"
            f"更新 {result.updated}，未变 {result.unchanged}",
        )


@transaction.atomic
def import_projects(actor: Any, filename: str, content: bytes) -> importing.ImportResult:
    """Import a project list: every row is checked, then applied through create_project/update_project
    inside a savepoint; any problem in any row keeps nothing and returns one error per problem."""
    require(actor, "investment.change")
    plan = importing.plan_projects(actor, filename, content)
    result = importing.ImportResult("projects", errors=list(plan.errors))
    try:
        with transaction.atomic():
            for row in plan.projects:
                try:
                    with transaction.atomic():
                        _apply_project(actor, row, result)
                except ValidationError as exc:
                    result.errors += importing.error_rows(row.row, exc, importing.PROJECT_HEADERS, "项目")
                except PermissionDenied as exc:
                    result.errors.append(importing.RowError(row.row, "落地单位", str(exc)))
            if result.errors:
                raise _RollBack
    except _RollBack:
        result.created = result.updated = result.unchanged = 0
        result.errors.sort(key=lambda e: e.row)
    _import_audit(actor, result, filename, "project")
    return result


def _apply_project(actor: Any, row: importing.ProjectRow, result: importing.ImportResult) -> None:
    project = row.existing
    if project is None:
        data = dict(row.fields)
        if row.number:
            data["number"] = row.number
        initial = dict(row.initial)
        if initial.get("stage") is None:
            initial.pop("stage", None)
        create_project(actor, data, initial=initial)
        result.created += 1
        return
    changed = {k: v for k, v in row.fields.items() if getattr(project, k) != v}
    if not changed:
        result.unchanged += 1
        return
    update_project(actor, project, changed, expected_version=project.version)
    result.updated += 1


@transaction.atomic
def import_funds(actor: Any, filename: str, content: bytes) -> importing.ImportResult:
    """Import monthly funds figures (one row per project and month); same all-or-nothing rule."""
    require(actor, "investment.change")
    plan = importing.plan_funds(actor, filename, content)
    result = importing.ImportResult("funds", errors=list(plan.errors))
    try:
        with transaction.atomic():
            for row in plan.funds:
                try:
                    with transaction.atomic():
                        _apply_funds(actor, row, result)
                except ValidationError as exc:
                    result.errors += importing.error_rows(row.row, exc, importing.FUNDS_HEADERS, "月份")
            if result.errors:
                raise _RollBack
    except _RollBack:
        result.created = result.updated = result.unchanged = 0
        result.errors.sort(key=lambda e: e.row)
    _import_audit(actor, result, filename, "fundsentry")
    return result


def _apply_funds(actor: Any, row: importing.FundsRow, result: importing.ImportResult) -> None:
    entry = row.existing
    if entry is None:
        record_funds(
            actor,
            row.project,
            month=row.month,
            amount_wan=row.amount_wan,
            outside_amount_wan=row.outside_amount_wan,
            evidence_note=row.evidence_note or "",
        )
        result.created += 1
        return
    note_same = row.evidence_note is None or row.evidence_note == entry.evidence_note
    if (
        entry.amount_wan == row.amount_wan
        and entry.outside_amount_wan == row.outside_amount_wan
        and note_same
    ):
        result.unchanged += 1
        return
    update_funds(
        actor,
        entry,
        expected_version=entry.version,
        amount_wan=row.amount_wan,
        outside_amount_wan=row.outside_amount_wan,
        evidence_note=row.evidence_note,
    )
    result.updated += 1
