"""Every state change of the liaison app: assignments, rules, visits, 疑难 marks, escalation, meetings.

Each function is atomic, takes the acting user first, checks the capability, writes the audit row in
the same transaction. Demands are created and moved only through the demands app's services
(``qinqing.liaison.bridge`` names exactly what is used).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction, AuditResult
from qinqing.core import uploads
from qinqing.core.limits import length_error, limited
from qinqing.core.permissions import require
from qinqing.demands.models import Category, Demand, DemandType, Status
from qinqing.enterprises.models import Enterprise
from qinqing.investment.models import Project, Stage
from qinqing.liaison import bridge
from qinqing.liaison.models import (
    LEVELS,
    Assignment,
    DifficultMark,
    EscalationMode,
    EscalationProposal,
    EscalationRule,
    FollowUp,
    FollowUpKind,
    LiaisonRule,
    Meeting,
    MeetingKind,
    ProposalReason,
    ProposalStatus,
    Visit,
    VisitFile,
    VisitForm,
    VisitProblem,
)
from qinqing.orgs.models import Tier, Unit

SIGNED_STAGES = (Stage.SIGNED, Stage.STARTED, Stage.PRODUCING)
# Where a demand can still go up the ladder (a suspended demand waits for the enterprise: its clock is paused).
ESCALATABLE = (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING)
MAX_PROBLEMS = 20
MAX_FILES = 10
MAX_FILE_SIZE = 10 * uploads.MB


def _get(qs: Any, pk: int) -> Any:
    """The row PK of QS (already narrowed by visible_to); out of scope answers 404."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404("未找到，或无权访问")
    return obj


def leader_level(leader: User) -> int | None:
    """The level a leader acts at (州 1, 县 2, 乡 3) from the tier of the leader's unit."""
    if leader.unit is None or leader.unit.tier not in LEVELS:
        return None
    return int(leader.unit.tier)


def _is_leader(user: Any) -> bool:
    return bool(user is not None and user.is_active and user.has_role(Role.LEADER))


# --- rules ------------------------------------------------------------------------------------------
@transaction.atomic
def set_liaison_rule(
    user: Any, *, level: int, min_enterprises: int, visit_interval_months: int
) -> LiaisonRule:
    require(user, "liaison.configure")
    if level not in LEVELS:
        raise ValidationError({"level": "请选择州级、县级或乡级"})
    rule = LiaisonRule.objects.select_for_update().filter(level=level).first() or LiaisonRule(level=level)
    before = audit.snapshot(rule) if rule.pk else {}
    rule.min_enterprises = min_enterprises
    rule.visit_interval_months = visit_interval_months
    rule.full_clean()
    rule.save()
    audit.record(AuditAction.UPDATE, actor=user, obj=rule, changes=audit.diff(before, audit.snapshot(rule)))
    return rule


@transaction.atomic
def set_escalation_rule(
    user: Any, *, level: int, overdue_days: int, redo_count: int, on_difficult: bool, mode: str
) -> EscalationRule:
    require(user, "liaison.configure")
    if level not in LEVELS:
        raise ValidationError({"level": "请选择州级、县级或乡级"})
    if mode not in EscalationMode.values:
        raise ValidationError({"mode": "请选择提级方式"})
    rule = EscalationRule.objects.select_for_update().filter(level=level).first() or EscalationRule(
        level=level
    )
    before = audit.snapshot(rule) if rule.pk else {}
    rule.overdue_days, rule.redo_count, rule.on_difficult, rule.mode = (
        overdue_days,
        redo_count,
        on_difficult,
        mode,
    )
    rule.full_clean()
    rule.save()
    audit.record(AuditAction.UPDATE, actor=user, obj=rule, changes=audit.diff(before, audit.snapshot(rule)))
    return rule


# --- assignments --------------------------------------------------------------------------------------
@dataclass
class AssignmentData:
    leader: User | None
    start_date: dt.date | None
    enterprise: Enterprise | None = None
    project: Project | None = None
    end_date: dt.date | None = None
    commissioner: User | None = None
    task_force: Sequence[User] = ()
    note: str = ""


def _assignment_errors(user: Any, data: AssignmentData) -> dict[str, str]:
    """Every problem with DATA, keyed by form field (empty when valid)."""
    errors: dict[str, str] = {}
    staff = User.objects.visible_to(user)
    if data.leader is None:
        errors["leader"] = "请选择包联领导"
    elif not _is_leader(data.leader) or not staff.filter(pk=data.leader.pk).exists():
        errors["leader"] = "请选择本辖区内角色为“领导”的用户"
    elif leader_level(data.leader) is None:
        errors["leader"] = "包联领导须为州、县或乡级单位的领导"
    if (data.enterprise is None) == (data.project is None):
        errors["enterprise"] = "请选择一家企业或一个项目（二者选一）"
    elif data.enterprise is not None:
        if not Enterprise.objects.visible_to(user).filter(pk=data.enterprise.pk).exists():
            errors["enterprise"] = "请选择本辖区内的企业"
    elif data.project is not None:
        if not Project.objects.visible_to(user).filter(pk=data.project.pk).exists():
            errors["project"] = "请选择本辖区内的项目"
        elif data.project.stage not in SIGNED_STAGES:
            errors["project"] = "只有已签约的项目才能安排包联领导和专班"
    if data.start_date is None:
        errors["start_date"] = "请填写开始日期"
    elif data.end_date is not None and data.end_date < data.start_date:
        errors["end_date"] = "结束日期不能早于开始日期"
    if (
        data.commissioner is not None
        and not staff.filter(pk=data.commissioner.pk, unit__isnull=False).exists()
    ):
        errors["commissioner"] = "服务专员须为本辖区内的工作人员"
    if data.task_force and data.project is None:
        errors["task_force"] = "专班只用于招商项目"
    elif data.task_force and staff.filter(pk__in=[u.pk for u in data.task_force]).count() != len(
        {u.pk for u in data.task_force}
    ):
        errors["task_force"] = "专班成员须为本辖区内的工作人员"
    if len(data.note or "") > 200:
        errors["note"] = "备注不能超过200个字"
    if not errors and data.leader is not None and data.start_date is not None:
        overlapping = Assignment.objects.filter(leader=data.leader).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=data.start_date)
        )
        if data.end_date is not None:
            overlapping = overlapping.filter(start_date__lte=data.end_date)
        if data.enterprise is not None:
            overlapping = overlapping.filter(enterprise=data.enterprise)
        else:
            overlapping = overlapping.filter(project=data.project)
        if overlapping.exists():
            errors["leader"] = "该领导在此期间已包联该企业（项目）"
    return errors


def _create_assignment(user: Any, data: AssignmentData) -> Assignment:
    assert data.leader is not None and data.leader.unit is not None and data.start_date is not None
    level = leader_level(data.leader)
    assert level is not None
    assignment = Assignment.objects.create(
        leader=data.leader,
        unit=data.leader.unit,
        level=level,
        enterprise=data.enterprise,
        project=data.project,
        commissioner=data.commissioner,
        start_date=data.start_date,
        end_date=data.end_date,
        note=(data.note or "").strip(),
        created_by=user,
    )
    if data.task_force:
        assignment.task_force.set(data.task_force)
    return assignment


@transaction.atomic
def create_assignment(user: Any, data: AssignmentData) -> Assignment:
    """包联: a leader takes on an enterprise or a signed project."""
    require(user, "liaison.assign")
    errors = _assignment_errors(user, data)
    if errors:
        raise ValidationError(errors)
    assignment = _create_assignment(user, data)
    audit.record_create(user, assignment, detail=str(assignment))
    return assignment


@transaction.atomic
def end_assignment(user: Any, assignment_id: int, *, end_date: dt.date) -> Assignment:
    require(user, "liaison.assign")
    assignment = _get(Assignment.objects.visible_to(user).select_for_update(of=("self",)), assignment_id)
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期"})
    before = audit.snapshot(assignment)
    assignment.end_date = end_date
    assignment.save(update_fields=["end_date"])
    audit.record_update(user, assignment, before, detail=f"结束包联 {assignment}")
    return assignment


# --- bulk import ------------------------------------------------------------------------------------------
IMPORT_HEADERS = ("领导账号", "统一社会信用代码", "项目编号", "开始日期", "结束日期", "服务专员账号", "备注")
IMPORT_MAX_ROWS = 2000
FIELD_HEADERS = {
    "leader": "领导账号",
    "enterprise": "统一社会信用代码",
    "project": "项目编号",
    "start_date": "开始日期",
    "end_date": "结束日期",
    "commissioner": "服务专员账号",
    "task_force": "专班成员",
    "note": "备注",
}


@dataclass
class ImportResult:
    created: int = 0
    errors: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_date(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    if "T" in text:
        text = text.split("T", 1)[0]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def plan_import(
    user: Any, filename: str, content: bytes
) -> tuple[list[tuple[int, AssignmentData]], list[Any]]:
    """Read and validate every row; (rows, errors). Errors are RowError("第 n 行 字段: 问题")."""
    from qinqing.enterprises.importing import FileError, RowError, read_table

    try:
        table = read_table(filename, content)
    except FileError as exc:
        return [], [RowError(1, "文件", str(exc))]
    table = [(n, cells) for n, cells in table if any(c.strip() for c in cells)]
    if not table:
        return [], [RowError(1, "文件", "文件为空")]
    header_row, header = table[0]
    header = ["".join(h.split()).strip("*＊") for h in header]
    missing = [h for h in ("领导账号", "开始日期") if h not in header]
    if "统一社会信用代码" not in header and "项目编号" not in header:
        missing.append("统一社会信用代码")
    if missing:
        return [], [RowError(header_row, "表头", f"缺少列：{'、'.join(missing)}")]
    rows = table[1:]
    if len(rows) > IMPORT_MAX_ROWS:
        return [], [RowError(header_row, "文件", f"一次最多导入{IMPORT_MAX_ROWS}行")]
    index = {h: i for i, h in enumerate(header)}

    # One query per lookup table for the whole file.
    def column(name: str) -> set[str]:
        i = index.get(name)
        return {
            cells[i].strip() for _, cells in rows if i is not None and i < len(cells) and cells[i].strip()
        }

    from qinqing.enterprises import creditcode

    users = {
        u.username: u
        for u in User.objects.visible_to(user)
        .select_related("unit")
        .prefetch_related("role_rows")
        .filter(username__in=column("领导账号") | column("服务专员账号"))
    }
    codes = {c: creditcode.check(c).code or c for c in column("统一社会信用代码")}
    enterprises = {
        e.credit_code: e for e in Enterprise.objects.visible_to(user).filter(credit_code__in=codes.values())
    }
    projects = {p.number: p for p in Project.objects.visible_to(user).filter(number__in=column("项目编号"))}

    planned: list[tuple[int, AssignmentData]] = []
    errors: list[Any] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in rows:

        def cell(name: str, cells: list[str] = cells) -> str:
            i = index.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        row_errors: list[Any] = []
        leader = users.get(cell("领导账号"))
        if not cell("领导账号"):
            row_errors.append(RowError(number, "领导账号", "必填"))
        elif leader is None:
            row_errors.append(RowError(number, "领导账号", f"本辖区内没有账号“{cell('领导账号')}”"))
        code, project_no = cell("统一社会信用代码"), cell("项目编号")
        enterprise = enterprises.get(codes.get(code, code)) if code else None
        project = projects.get(project_no) if project_no else None
        if code and project_no:
            row_errors.append(RowError(number, "统一社会信用代码", "企业和项目只能填写一项"))
        elif not code and not project_no:
            row_errors.append(RowError(number, "统一社会信用代码", "请填写企业统一社会信用代码或项目编号"))
        elif code and enterprise is None:
            row_errors.append(RowError(number, "统一社会信用代码", f"本辖区内没有信用代码为“{code}”的企业"))
        elif project_no and project is None:
            row_errors.append(RowError(number, "项目编号", f"本辖区内没有编号为“{project_no}”的项目"))
        start = _parse_date(cell("开始日期")) if cell("开始日期") else None
        if not cell("开始日期"):
            row_errors.append(RowError(number, "开始日期", "必填"))
        elif start is None:
            row_errors.append(RowError(number, "开始日期", "日期格式应为 2026-01-31"))
        end = _parse_date(cell("结束日期")) if cell("结束日期") else None
        if cell("结束日期") and end is None:
            row_errors.append(RowError(number, "结束日期", "日期格式应为 2026-01-31"))
        commissioner = users.get(cell("服务专员账号")) if cell("服务专员账号") else None
        if cell("服务专员账号") and commissioner is None:
            row_errors.append(RowError(number, "服务专员账号", f"本辖区内没有账号“{cell('服务专员账号')}”"))
        if not row_errors:
            data = AssignmentData(
                leader=leader,
                start_date=start,
                enterprise=enterprise,
                project=project,
                end_date=end,
                commissioner=commissioner,
                note=cell("备注"),
            )
            for key, message in _assignment_errors(user, data).items():
                row_errors.append(RowError(number, FIELD_HEADERS.get(key, key), message))
            assert leader is not None
            target = f"e{enterprise.pk}" if enterprise is not None else f"p{project.pk if project else 0}"
            earlier = seen.get((leader.pk, target))
            if earlier is not None:
                row_errors.append(RowError(number, "领导账号", f"与第 {earlier} 行重复"))
            seen.setdefault((leader.pk, target), number)
            if not row_errors:
                planned.append((number, data))
        errors.extend(row_errors)
    return planned, errors


@transaction.atomic
def import_assignments(user: Any, filename: str, content: bytes) -> ImportResult:
    """Bulk 包联 from Excel/CSV: every row is checked first; any error saves nothing."""
    require(user, "liaison.assign")
    planned, errors = plan_import(user, filename, content)
    if errors:
        audit.record(
            AuditAction.IMPORT,
            actor=user,
            object_type="liaison.assignment",
            result=AuditResult.FAILURE,
            changes={"file": filename, "errors": len(errors)},
            detail=f"包联导入失败：{filename}，{len(errors)} 处错误",
        )
        return ImportResult(errors=errors)
    for _, data in planned:
        _create_assignment(user, data)
    audit.record(
        AuditAction.IMPORT,
        actor=user,
        object_type="liaison.assignment",
        changes={"file": filename, "created": len(planned)},
        detail=f"包联导入：{filename}，{len(planned)} 条",
    )
    return ImportResult(created=len(planned))


# --- visits ---------------------------------------------------------------------------------------------
@dataclass
class ProblemData:
    title: str
    description: str
    category: Category | None
    demand_type: str = DemandType.HELP


@dataclass
class VisitData:
    enterprise: Enterprise | None
    visited_on: dt.date | None
    form: str
    topics: str
    situation: str = ""
    companions: Sequence[User] = ()
    companions_text: str = ""
    problems: Sequence[ProblemData] = ()
    files: Sequence[UploadedFile] = ()
    contact_name: str = ""
    contact_phone: str = ""
    leader: User | None = None  # defaults to the acting user


def _check_file(upload: UploadedFile) -> uploads.Checked:
    return uploads.check_upload(upload, allowed=uploads.ATTACHMENTS, max_bytes=MAX_FILE_SIZE, field="files")


def _visit_errors(user: Any, data: VisitData, leader: User) -> dict[str, str]:
    errors: dict[str, str] = {}
    if (
        data.enterprise is None
        or not Enterprise.objects.visible_to(user).filter(pk=data.enterprise.pk).exists()
    ):
        errors["enterprise"] = "请选择本辖区内的企业"
    today = timezone.localdate()
    if data.visited_on is None:
        errors["visited_on"] = "请填写走访日期"
    elif data.visited_on > today:
        errors["visited_on"] = "走访日期不能晚于今天"
    if data.form not in VisitForm.values:
        errors["form"] = "请选择走访形式"
    data.topics = (data.topics or "").strip()
    if not data.topics:
        errors["topics"] = "请填写走访主题"
    elif len(data.topics) > 200:
        errors["topics"] = "走访主题不能超过200个字"
    if len(data.situation or "") > 2000:
        errors["situation"] = "企业情况不能超过2000个字"
    if too_long := length_error(data.companions_text, "其他陪同人员", 200):
        errors["companions_text"] = too_long
    if len(data.problems) > MAX_PROBLEMS:
        errors["problems"] = f"一次最多登记{MAX_PROBLEMS}个问题"
    for i, p in enumerate(data.problems, start=1):
        if not (p.title or "").strip():
            errors[f"problems.{i}.title"] = f"问题{i}：请填写标题"
        if not (p.description or "").strip():
            errors[f"problems.{i}.description"] = f"问题{i}：请填写问题描述"
        if p.category is None:
            errors[f"problems.{i}.category"] = f"问题{i}：请选择诉求分类"
    staff = User.objects.visible_to(user)
    if data.companions and staff.filter(pk__in=[u.pk for u in data.companions]).count() != len(
        {u.pk for u in data.companions}
    ):
        errors["companions"] = "陪同人员须为本辖区内的工作人员"
    if len(data.files) > MAX_FILES:
        errors["files"] = f"附件最多{MAX_FILES}个"
    if leader_level(leader) is None:
        errors["leader"] = "走访领导须为州、县或乡级单位的领导"
    return errors


def _contact(enterprise: Enterprise, data: VisitData) -> tuple[str, str]:
    name, phone = (data.contact_name or "").strip(), (data.contact_phone or "").strip()
    if name and phone:
        return name, phone
    primary = enterprise.contacts.order_by("-is_primary", "id").first()
    if primary is not None:
        return name or primary.name, phone or primary.mobile
    return name, phone


@transaction.atomic
def log_visit(user: Any, data: VisitData) -> Visit:
    """走访: record the visit; each problem found becomes a demand (channel 走访收集) linked to it."""
    require(user, "liaison.visit")
    leader = data.leader or user
    if leader.pk != user.pk:
        require(user, "liaison.assign")  # an office may log a visit on a leader's behalf
        if not User.objects.visible_to(user).filter(pk=leader.pk).exists():
            raise ValidationError({"leader": "请选择本辖区内的领导"})
    if not _is_leader(leader):
        raise ValidationError({"leader": "走访领导须具有“领导”角色"})
    errors = _visit_errors(user, data, leader)
    if errors:
        raise ValidationError(errors)
    checked = [_check_file(f) for f in data.files]
    assert data.enterprise is not None and data.visited_on is not None and leader.unit is not None
    level = leader_level(leader)
    assert level is not None
    assignment = (
        Assignment.objects.filter(leader=leader, enterprise=data.enterprise)
        .active_on(data.visited_on)
        .order_by("-start_date")
        .first()
    )
    visit = Visit.objects.create(
        leader=leader,
        unit=leader.unit,
        level=level,
        enterprise=data.enterprise,
        assignment=assignment,
        visited_on=data.visited_on,
        form=data.form,
        companions_text=(data.companions_text or "").strip(),
        topics=data.topics,
        situation=(data.situation or "").strip(),
        created_by=user,
    )
    if data.companions:
        visit.companions.set(data.companions)
    for upload, c in zip(data.files, checked, strict=True):
        vf = VisitFile(
            visit=visit,
            token=secrets.token_hex(16),
            name=c.name,
            extension=c.extension,
            content_type=c.content_type,
            size=upload.size or 0,
        )
        upload.seek(0)
        vf.file.save(f"{vf.token}{c.extension}", upload, save=False)
        vf.save()
    contact_name, contact_phone = _contact(data.enterprise, data)
    for position, problem in enumerate(data.problems, start=1):
        try:
            demand = bridge.submit_visit_problem(
                user,
                enterprise=data.enterprise,
                category=problem.category,
                demand_type=problem.demand_type,
                title=problem.title,
                description=problem.description,
                contact_name=contact_name,
                contact_phone=contact_phone,
            )
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"problems": exc.messages}
            raise ValidationError(
                {f"problems.{position}.{k}": [f"问题{position}：{m}" for m in v] for k, v in messages.items()}
            ) from exc
        VisitProblem.objects.create(visit=visit, demand=demand, position=position)
    audit.record_create(user, visit, detail=f"走访 {visit}，发现问题 {len(data.problems)} 个")
    return visit


# --- 疑难 and escalation ------------------------------------------------------------------------------------
def _difficult_refusal(user: Any, demand: Demand) -> PermissionDenied | ValidationError | None:
    """Why USER may not mark DEMAND 疑难 now (None: they may)."""
    if not user.can("liaison.mark_difficult"):
        return PermissionDenied("无权标记疑难")
    holder_id = demand.lead_unit_id or demand.coordinating_unit_id
    if user.unit_id != holder_id:
        return PermissionDenied("只有当前承办单位可以标记疑难")
    if demand.status not in ESCALATABLE:
        return ValidationError({"reason": "该诉求不在办理中，不能标记疑难"})
    return None


def may_mark_difficult(user: Any, demand: Demand) -> bool:
    """Whether the demand page should offer 标记疑难 (the service checks again when it is used)."""
    return (
        _difficult_refusal(user, demand) is None and not DifficultMark.objects.filter(demand=demand).exists()
    )


@transaction.atomic
def mark_difficult(user: Any, demand_id: int, *, reason: str) -> DifficultMark:
    """疑难: the lead unit says the demand cannot be solved at its level (may trigger escalation)."""
    require(user, "liaison.mark_difficult")
    demand = _get(Demand.objects.visible_to(user).select_related("lead_unit", "coordinating_unit"), demand_id)
    holder = demand.lead_unit or demand.coordinating_unit
    refusal = _difficult_refusal(user, demand)
    if refusal is not None:
        raise refusal
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请说明疑难原因"})
    reason = limited(reason, "reason", "疑难原因")
    if DifficultMark.objects.filter(demand=demand).exists():
        raise ValidationError({"reason": "该诉求已标记为疑难"})
    mark = DifficultMark.objects.create(demand=demand, unit=holder, reason=reason, marked_by=user)
    audit.record_create(user, mark, detail=f"标记疑难 {demand.number}")
    evaluate_demand(demand.pk, now=timezone.now())
    return mark


def rule_level(unit: Unit) -> int:
    """The rule that applies to a demand held by UNIT: the tier of that unit (州 1, 县 2, 乡 3)."""
    return int(min(max(unit.tier, Tier.PREFECTURE), Tier.TOWNSHIP))


def reasons_for(demand: Demand, rule: EscalationRule, now: dt.datetime, difficult: bool) -> list[str]:
    from qinqing.demands.clocks import overdue_working_days

    reasons: list[str] = []
    due = demand.handle_due_at
    if due is not None and due < now and overdue_working_days(due, now) > rule.overdue_days:
        reasons.append(ProposalReason.OVERDUE)
    if demand.redo_count >= rule.redo_count:
        reasons.append(ProposalReason.REDO)
    if difficult and rule.on_difficult:
        reasons.append(ProposalReason.DIFFICULT)
    return reasons


def _detail(demand: Demand, reasons: list[str], rule: EscalationRule, now: dt.datetime) -> str:
    from qinqing.demands.clocks import overdue_working_days

    parts = []
    if ProposalReason.OVERDUE in reasons and demand.handle_due_at is not None:
        parts.append(
            f"超期{overdue_working_days(demand.handle_due_at, now)}个工作日（规则：超过{rule.overdue_days}个）"
        )
    if ProposalReason.REDO in reasons:
        parts.append(f"已发回重办{demand.redo_count}次")
    if ProposalReason.DIFFICULT in reasons:
        parts.append("承办单位标记为疑难")
    return "；".join(parts)[:300]


def evaluate_demand(
    demand_id: int, *, now: dt.datetime, rules: dict[int, EscalationRule] | None = None
) -> Any:
    """Propose (or, in automatic mode, carry out) the escalation of one demand when a rule says so.

    Returns the proposal (new or existing) or None. Idempotent: one proposal per demand and unit left.
    """
    demand = Demand.objects.select_related("lead_unit", "coordinating_unit").get(pk=demand_id)
    if demand.status not in ESCALATABLE:
        return None
    holder = demand.lead_unit or demand.coordinating_unit
    level = rule_level(holder)
    rule = (rules or {}).get(level) or EscalationRule.for_level(level)
    difficult = DifficultMark.objects.filter(demand=demand, unit=holder).exists()
    reasons = reasons_for(demand, rule, now, difficult)
    if not reasons:
        return None
    existing = EscalationProposal.objects.filter(demand=demand, from_unit=holder).first()
    if existing is not None:
        return existing
    target = bridge.escalation_target(demand)
    if target is None:
        return None
    with transaction.atomic():
        proposal = EscalationProposal.objects.create(
            demand=demand,
            from_unit=holder,
            to_unit=target,
            level=level,
            reasons=reasons,
            detail=_detail(demand, reasons, rule, now),
            created_at=now,
        )
        audit.record_create(None, proposal, detail=f"提级建议 {demand.number} → {target.name}")
        if rule.mode == EscalationMode.AUTOMATIC:
            bridge.escalate_by_rule(
                None, demand.pk, to_unit=target, reason=f"按提级规则自动提级：{proposal.detail}"
            )
            proposal.status = ProposalStatus.ESCALATED
            proposal.automatic = True
            proposal.decided_at = now
            proposal.save(update_fields=["status", "automatic", "decided_at"])
        else:
            bridge.notify_office(
                target,
                f"诉求{demand.number}建议提级",
                f"「{demand.title}」{proposal.detail}，请决定是否提级。",
            )
    return proposal


def sweep_escalations(now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: evaluate every open demand a rule may catch (overdue, redone, 疑难)."""
    now = now or timezone.now()
    rules = EscalationRule.objects.in_bulk(field_name="level") if EscalationRule.objects.exists() else {}
    all_rules: dict[int, EscalationRule] = {
        int(lvl): rules.get(int(lvl)) or EscalationRule(level=int(lvl)) for lvl in LEVELS
    }
    min_redo = min(r.redo_count for r in all_rules.values())
    candidates = (
        Demand.objects.filter(status__in=ESCALATABLE)
        .filter(Q(handle_due_at__lt=now) | Q(redo_count__gte=min_redo) | Q(difficult_mark__isnull=False))
        .values_list("pk", flat=True)
    )
    counts = {"proposed": 0, "escalated": 0}
    for pk in list(candidates):
        before = EscalationProposal.objects.filter(demand_id=pk).count()
        try:
            proposal = evaluate_demand(pk, now=now, rules=all_rules)
        except bridge.ActionRefused:
            continue  # the demand moved on meanwhile; the next sweep looks again
        if proposal is not None and EscalationProposal.objects.filter(demand_id=pk).count() > before:
            counts["escalated" if proposal.automatic else "proposed"] += 1
    return counts


@transaction.atomic
def decide_proposal(user: Any, proposal_id: int, *, escalate: bool, note: str = "") -> EscalationProposal:
    """The next level's dispatcher takes the demand up (提级) or declines with a note."""
    require(user, "liaison.escalate")
    proposal = _get(
        EscalationProposal.objects.visible_to(user)
        .select_for_update(of=("self",))
        .select_related("demand", "to_unit", "from_unit"),
        proposal_id,
    )
    if user.unit_id != proposal.to_unit_id:
        raise PermissionDenied(f"只有{proposal.to_unit.name}的调度员可以决定")
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError({"status": f"该建议已{proposal.get_status_display()}"})
    note = limited(note, "note", "决定意见")
    demand = proposal.demand
    holder_id = demand.lead_unit_id or demand.coordinating_unit_id
    now = timezone.now()
    if demand.status not in ESCALATABLE or holder_id != proposal.from_unit_id:
        proposal.status = ProposalStatus.OBSOLETE
    elif escalate:
        try:
            bridge.escalate_by_rule(
                user, demand.pk, to_unit=proposal.to_unit, reason=note or f"按提级规则提级：{proposal.detail}"
            )
        except bridge.ActionRefused as exc:
            raise ValidationError({"status": exc.message}) from exc
        proposal.status = ProposalStatus.ESCALATED
    else:
        if not note:
            raise ValidationError({"note": "请说明不予提级的理由"})
        proposal.status = ProposalStatus.DISMISSED
    proposal.decided_by, proposal.decided_at, proposal.decision_note = user, now, note
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=proposal,
        changes={"status": [ProposalStatus.PROPOSED, proposal.status]},
        detail=f"提级建议 {demand.number}：{proposal.get_status_display()}",
    )
    return proposal


# --- meetings -----------------------------------------------------------------------------------------------
@dataclass
class FollowUpData:
    demand: Demand | None
    action: str
    lead_unit: Unit | None = None
    assisting_units: Sequence[Unit] = ()


@dataclass
class MeetingData:
    kind: str
    title: str
    held_on: dt.date | None
    decisions: str
    location: str = ""
    chair: str = ""
    units_present: Sequence[Unit] = ()
    demands: Sequence[Demand] = ()
    follow_ups: Sequence[FollowUpData] = ()


MEETING_LEVELS = (Tier.PREFECTURE, Tier.COUNTY)


@transaction.atomic
def record_meeting(user: Any, data: MeetingData) -> Meeting:
    """协调会 (county) / 联席会议 (prefecture): the demands handled, units present, decisions; each
    follow-up lands in the workflow — 交办 to the responsible unit when the demand waits at this office,
    otherwise 催办 with the decision."""
    require(user, "liaison.meeting")
    area = user.scope_unit
    errors: dict[str, str] = {}
    if area is None or area.tier not in MEETING_LEVELS:
        raise PermissionDenied("协调会议由县（市、园区）或州级召开")
    if data.kind not in MeetingKind.values:
        errors["kind"] = "请选择会议类型"
    data.title = (data.title or "").strip()
    if not data.title:
        errors["title"] = "请填写会议名称"
    for name, label, limit in (
        ("title", "会议名称", 200),
        ("location", "地点", 200),
        ("chair", "主持人", 50),
    ):
        if too_long := length_error(getattr(data, name), label, limit):
            errors[name] = too_long
    if data.held_on is None:
        errors["held_on"] = "请填写召开日期"
    data.decisions = (data.decisions or "").strip()
    if not data.decisions:
        errors["decisions"] = "请填写会议议定事项"
    visible_units = Unit.objects.subtree(area)
    if data.units_present and visible_units.filter(pk__in=[u.pk for u in data.units_present]).count() != len(
        {u.pk for u in data.units_present}
    ):
        errors["units_present"] = "参会单位须在本辖区内"
    demand_ids = {d.pk for d in data.demands}
    if demand_ids and Demand.objects.visible_to(user).filter(pk__in=demand_ids).count() != len(demand_ids):
        errors["demands"] = "请选择本辖区内的诉求"
    for i, f in enumerate(data.follow_ups, start=1):
        if f.demand is None or f.demand.pk not in demand_ids:
            errors[f"follow_ups.{i}.demand"] = f"落实事项{i}：请选择会议研究的诉求"
        if not (f.action or "").strip():
            errors[f"follow_ups.{i}.action"] = f"落实事项{i}：请填写落实事项"
        elif too_long := length_error(f.action, f"落实事项{i}", 500):
            errors[f"follow_ups.{i}.action"] = too_long
    if errors:
        raise ValidationError(errors)
    assert area is not None and data.held_on is not None
    meeting = Meeting.objects.create(
        kind=data.kind,
        unit=area,
        level=int(area.tier),
        title=data.title,
        held_on=data.held_on,
        location=(data.location or "").strip(),
        chair=(data.chair or "").strip(),
        decisions=data.decisions,
        created_by=user,
    )
    meeting.units_present.set(data.units_present)
    meeting.demands.set(data.demands)
    for i, f in enumerate(data.follow_ups, start=1):
        assert f.demand is not None
        try:
            kind = bridge.land_follow_up(
                user,
                f.demand.pk,
                action=f"{meeting.title}议定：{f.action.strip()}",
                lead_unit=f.lead_unit,
                assisting_units=f.assisting_units,
            )
        except ValidationError as exc:
            raise ValidationError({f"follow_ups.{i}": [f"落实事项{i}：{m}" for m in exc.messages]}) from exc
        row = FollowUp.objects.create(
            meeting=meeting,
            demand=f.demand,
            kind=kind,
            lead_unit=f.lead_unit if kind == FollowUpKind.DISPATCH else None,
            action=f.action.strip(),
        )
        if kind == FollowUpKind.DISPATCH and f.assisting_units:
            row.assisting_units.set(f.assisting_units)
    audit.record_create(user, meeting, detail=f"{meeting.get_kind_display()} {meeting.title}")
    return meeting
