"""Annual inspection (年检): the bureau opens the year's campaign, each organisation files its annual
report online by the deadline (default 31 March), the bureau concludes 合格 / 基本合格 / 不合格, and after
基本合格 or 不合格 a rectification report is due by a date. Bulk conclusions and reminders for the bureau.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create
from qinqing.calendar.services import add_working_days
from qinqing.chambers import rules
from qinqing.chambers.models import AnnualReport, Campaign, Organisation, OrganisationAccount, ReviewSettings
from qinqing.chambers.rules import Conclusion, OrgStatus, ReportStatus
from qinqing.chambers.services import StaleError, _bump, event, require_own, require_staff, side_of, today
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.orgs.models import Unit

# (state, action) -> (next state, who)
REPORT_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (ReportStatus.NOT_STARTED, "submit"): (ReportStatus.SUBMITTED, rules.ORG),
    (ReportStatus.RETURNED, "submit"): (ReportStatus.SUBMITTED, rules.ORG),
    (ReportStatus.SUBMITTED, "return"): (ReportStatus.RETURNED, rules.STAFF),
    (ReportStatus.SUBMITTED, "conclude"): (ReportStatus.CONCLUDED, rules.STAFF),
}
ACTION_LABELS = {"submit": "报送年度报告", "return": "退回年度报告", "conclude": "作出年检结论"}
REMIND_AGAIN_AFTER = dt.timedelta(days=7)
REMIND_FROM_DAYS_BEFORE = 10


@transaction.atomic
def open_campaign(user: Any, *, area: Unit, year: int, deadline: dt.date | None = None) -> Campaign:
    """Open the annual inspection of YEAR for AREA: one report row per registered organisation."""
    require(user, "chambers.manage")
    scope = getattr(user, "scope_unit", None)
    if scope is None or not area.path.startswith(scope.path):
        raise PermissionDenied("该地区不在您的数据范围内")
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度应在2000至2100之间"})
    deadline = deadline or rules.default_deadline(year)
    if deadline.year <= year - 1:
        raise ValidationError({"deadline": "截止日期应在检查年度之后"})
    if Campaign.objects.filter(area=area, year=year).exists():
        raise ValidationError({"year": f"{area.name}{year}年度年检已开启"})
    campaign = Campaign.objects.create(area=area, year=year, deadline=deadline, opened_by=user)
    orgs = Organisation.objects.filter(
        area__path__startswith=area.path, status=OrgStatus.ACTIVE, registered_on__lte=dt.date(year, 12, 31)
    ).values_list("pk", flat=True)
    AnnualReport.objects.bulk_create([AnnualReport(campaign=campaign, organisation_id=pk) for pk in orgs])
    record_create(user, campaign)
    return campaign


def _locked(report: AnnualReport, expected_version: int) -> AnnualReport:
    current = (
        AnnualReport.objects.select_for_update()
        .select_related("campaign", "organisation__area")
        .get(pk=report.pk)
    )
    if current.version != expected_version:
        raise StaleError()
    return current


def _transition(
    user: Any, report: AnnualReport, action: str, expected_version: int
) -> tuple[AnnualReport, str]:
    current = _locked(report, expected_version)
    allowed = REPORT_TRANSITIONS.get((current.status, action))
    if allowed is None:
        raise ValidationError(f"当前状态（{current.get_status_display()}）不能{ACTION_LABELS[action]}")
    target, side = allowed
    if side == rules.ORG:
        require_own(user, current.organisation)
    else:
        require_staff(user, "chambers.review", current.organisation)
    return current, target


def _money(field: str, raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).replace(",", ""))
    except InvalidOperation:
        raise ValidationError({field: "请输入金额（元）"}) from None
    if field != "net_assets_yuan" and value < 0:
        raise ValidationError({field: "金额不能为负数"})
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def save_report(
    user: Any, report: AnnualReport, data: Mapping[str, Any], *, expected_version: int
) -> AnnualReport:
    """The organisation fills in (or corrects) its annual report before submitting it."""
    current = _locked(report, expected_version)
    require_own(user, current.organisation)
    if current.status not in (ReportStatus.NOT_STARTED, ReportStatus.RETURNED):
        raise ValidationError("年度报告已报送，不能修改")
    sections = dict(current.sections)
    for key, label in rules.REPORT_SECTIONS:
        if key in data:
            sections[key] = limited(str(data[key] or ""), key, label, 5000)
    values: dict[str, Any] = {"sections": sections}
    for field, _label in rules.FINANCE_FIELDS:
        if field in data:
            values[field] = _money(field, data[field])
    if "declared" in data:
        values["declared"] = data["declared"] in (True, "true", "on", "1", "是")
    _bump(AnnualReport, current.pk, expected_version, **values)
    current.refresh_from_db()
    return current


def report_problems(report: AnnualReport) -> list[str]:
    problems = [f"请填写“{label}”" for key, label in rules.REPORT_SECTIONS if not report.sections.get(key)]
    problems += [f"请填写{label}" for field, label in rules.FINANCE_FIELDS if getattr(report, field) is None]
    if not report.declared:
        problems.append("请阅读并签署声明页（承诺所报内容真实、准确、完整）")
    return problems


@transaction.atomic
def submit_report(user: Any, report: AnnualReport, *, expected_version: int) -> AnnualReport:
    current, target = _transition(user, report, "submit", expected_version)
    problems = report_problems(current)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    late = timezone.localtime(now).date() > current.campaign.deadline
    _bump(
        AnnualReport,
        current.pk,
        expected_version,
        status=target,
        submitted_at=now,
        late=late,
        return_comment="",
    )
    event(
        user,
        current.organisation,
        "annual_submit",
        f"{current.campaign.year}年度报告" + ("（逾期）" if late else ""),
    )
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    current.refresh_from_db()
    return current


@transaction.atomic
def return_report(user: Any, report: AnnualReport, *, expected_version: int, comment: str) -> AnnualReport:
    current, target = _transition(user, report, "return", expected_version)
    if not comment.strip():
        raise ValidationError({"comment": "请写明退回意见"})
    _bump(AnnualReport, current.pk, expected_version, status=target, return_comment=comment.strip())
    event(user, current.organisation, "annual_return", comment.strip())
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    current.refresh_from_db()
    return current


@transaction.atomic
def conclude(
    user: Any,
    report: AnnualReport,
    *,
    expected_version: int,
    conclusion: str,
    comment: str = "",
    rectification_due: dt.date | None = None,
) -> AnnualReport:
    current, target = _transition(user, report, "conclude", expected_version)
    if conclusion not in Conclusion.values:
        raise ValidationError({"conclusion": "请选择年检结论：合格、基本合格或不合格"})
    due = None
    if conclusion in rules.NEEDS_RECTIFICATION:
        if not comment.strip():
            raise ValidationError({"comment": "基本合格或不合格须写明问题和整改要求"})
        due = rectification_due or add_working_days(today(), ReviewSettings.current().rectification_days).date
        if due <= today():
            raise ValidationError({"rectification_due": "整改截止日期应晚于今天"})
    _bump(
        AnnualReport,
        current.pk,
        expected_version,
        status=target,
        conclusion=conclusion,
        conclusion_comment=comment.strip(),
        concluded_at=timezone.now(),
        concluded_by=user,
        rectification_due=due,
    )
    label = Conclusion(conclusion).label
    detail = f"{current.campaign.year}年度：{label}" + (f"，整改报告于 {due:%Y-%m-%d} 前提交" if due else "")
    event(user, current.organisation, "annual_conclude", detail)
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"conclusion": [None, conclusion]})
    _notify(current.organisation, f"年检结论：{label}", detail, f"chrep:{current.pk}:c")
    current.refresh_from_db()
    return current


@transaction.atomic
def submit_rectification(
    user: Any, report: AnnualReport, *, expected_version: int, text: str
) -> AnnualReport:
    current = _locked(report, expected_version)
    require_own(user, current.organisation)
    if current.status != ReportStatus.CONCLUDED or not current.needs_rectification:
        raise ValidationError("只有年检结论为基本合格或不合格时才需提交整改报告")
    if current.rectification_submitted_at is not None:
        raise ValidationError("整改报告已提交")
    if not text.strip():
        raise ValidationError({"text": "请填写整改报告"})
    text = limited(text, "text", "整改报告", 10000)
    _bump(
        AnnualReport,
        current.pk,
        expected_version,
        rectification_text=text,
        rectification_submitted_at=timezone.now(),
    )
    event(user, current.organisation, "rectification", f"{current.campaign.year}年度整改报告")
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"rectification": [None, "submitted"]})
    current.refresh_from_db()
    return current


# --- bulk actions ---------------------------------------------------------------------------------------
@transaction.atomic
def bulk_conclude(
    user: Any, report_ids: Iterable[int], *, conclusion: str, comment: str = ""
) -> tuple[int, list[str]]:
    """Conclude many submitted reports at once; returns (done, messages for the ones skipped)."""
    require(user, "chambers.review")
    done, skipped = 0, []
    reports = (
        AnnualReport.objects.visible_to(user).filter(pk__in=list(report_ids)).select_related("organisation")
    )
    for report in reports:
        try:
            with transaction.atomic():
                conclude(
                    user, report, expected_version=report.version, conclusion=conclusion, comment=comment
                )
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            skipped.append(f"{report.organisation.name}：{'；'.join(getattr(exc, 'messages', [str(exc)]))}")
    return done, skipped


def _notify(org: Organisation, subject: str, body: str, key: str) -> None:
    from qinqing.demands import notifications

    users = [a.user for a in OrganisationAccount.objects.filter(organisation=org).select_related("user")]
    transaction.on_commit(lambda: notifications.enqueue(users, subject, body, key=key[:60], email=False))


def pending_filter(campaign: Campaign) -> Q:
    return Q(campaign=campaign, status__in=[ReportStatus.NOT_STARTED, ReportStatus.RETURNED])


@transaction.atomic
def remind(user: Any | None, campaign: Campaign, report_ids: Iterable[int] | None = None) -> int:
    """Remind the organisations that have not filed (all, or the ones picked); returns how many."""
    if user is not None:
        require(user, "chambers.manage")
        if not Campaign.objects.visible_to(user).filter(pk=campaign.pk).exists():
            raise PermissionDenied("该年检不在您的数据范围内")
    qs = AnnualReport.objects.filter(pending_filter(campaign))
    if report_ids is not None:
        qs = qs.filter(pk__in=list(report_ids))
    now = timezone.now()
    if user is None:  # the periodic job: at most once a week per organisation
        qs = qs.filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=now - REMIND_AGAIN_AFTER))
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return 0
    AnnualReport.objects.filter(pk__in=ids).update(reminded_at=now)
    from qinqing.demands import notifications

    accounts = OrganisationAccount.objects.filter(organisation__annual_reports__pk__in=ids).select_related(
        "user"
    )
    overdue = today() > campaign.deadline
    subject = f"{campaign.year}年度年检报告{'已逾期' if overdue else '即将截止'}"
    body = f"请于 {campaign.deadline:%Y年%m月%d日} 前在线报送{campaign.year}年度报告" + (
        "（已逾期，请尽快报送）" if overdue else ""
    )
    stamp = now.strftime("%Y%m%d%H%M")
    rows = notifications.outbox_rows(
        [a.user for a in accounts], subject, body, key=f"chrem:{campaign.pk}:{stamp}", email=False
    )
    transaction.on_commit(lambda: notifications.write(rows))
    if user is not None:
        record(
            AuditAction.WORKFLOW, actor=user, obj=campaign, changes={"reminded": len(ids)}, detail="年检催报"
        )
    return len(ids)


def due_campaigns(day: dt.date) -> list[Campaign]:
    """Campaigns whose deadline is near (within REMIND_FROM_DAYS_BEFORE days) or passed this year."""
    return list(
        Campaign.objects.filter(
            deadline__lte=day + dt.timedelta(days=REMIND_FROM_DAYS_BEFORE),
            deadline__gte=day - dt.timedelta(days=180),
        )
    )


def side(user: Any) -> str:
    return side_of(user)
