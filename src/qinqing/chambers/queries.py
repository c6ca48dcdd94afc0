"""Careful reads: review lights, the campaign's progress, the bureau's figures against its targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Collate, ExtractMonth
from django.utils import timezone

from qinqing.calendar.services import working_days_between
from qinqing.chambers.models import (
    AnnualReport,
    Application,
    Campaign,
    Certificate,
    Complaint,
    Organisation,
    RegistrationError,
    ReviewSettings,
    YearTarget,
)
from qinqing.chambers.rules import AppKind, AppStatus, Conclusion, Light, OrgStatus, ReportStatus
from qinqing.core.metrics import Period, rate
from qinqing.core.scoping import subtree_unit_ids
from qinqing.orgs.models import Unit


# --- review lights ------------------------------------------------------------------------------------
def light_for(app: Application, day: dt.date, remind_days: int) -> str:
    """Green while more than REMIND_DAYS working days remain, yellow from then, red once overdue."""
    if app.status != AppStatus.SUBMITTED or app.due_on is None:
        return Light.NONE
    if day > app.due_on:
        return Light.RED
    left = working_days_between(day, app.due_on).days
    return Light.YELLOW if left <= remind_days else Light.GREEN


def with_lights(apps: list[Application], day: dt.date | None = None) -> list[Application]:
    day = day or timezone.localdate()
    remind = ReviewSettings.current().remind_days
    for app in apps:
        app.light = light_for(app, day, remind)  # type: ignore[attr-defined]
    return apps


# --- the campaign ------------------------------------------------------------------------------------
PROGRESS_BUCKETS = ("not_started", "submitted", "returned", "concluded", "overdue")
BUCKET_LABELS = {
    "not_started": "未报送",
    "submitted": "已报送待审",
    "returned": "已退回",
    "concluded": "已结论",
    "overdue": "逾期未报",
}


def bucket_filter(bucket: str, campaign: Campaign, day: dt.date) -> Q:
    if bucket == "overdue":
        if day <= campaign.deadline:
            return Q(pk__in=[])
        return Q(status__in=[ReportStatus.NOT_STARTED, ReportStatus.RETURNED])
    return Q(status=bucket)


def campaign_reports(campaign: Campaign, user: Any) -> QuerySet[AnnualReport]:
    """The campaign's reports USER may see. A campaign only holds organisations of its area's subtree
    (and an organisation's area never changes), so staff whose scope covers the campaign's area see all of
    them: the scope join over the organisations is skipped (it doubled the page's cost at 5,000 rows)."""
    from qinqing.chambers.models import account_org_id

    scope = getattr(user, "scope_unit", None)
    if (
        account_org_id(user) is None
        and scope is not None
        and user.can("chambers.view")
        and campaign.area.path.startswith(scope.path)
    ):
        return AnnualReport.objects.filter(campaign=campaign)
    return AnnualReport.objects.visible_to(user).filter(campaign=campaign)


def progress(campaign: Campaign, user: Any, day: dt.date | None = None) -> dict[str, int]:
    """Counts per bucket in one query (overdue = not filed once the deadline has passed)."""
    day = day or timezone.localdate()
    qs = campaign_reports(campaign, user)
    agg = qs.aggregate(
        total=Count("pk"),
        **{b: Count("pk", filter=bucket_filter(b, campaign, day)) for b in PROGRESS_BUCKETS},
        late=Count("pk", filter=Q(late=True)),
        passed=Count("pk", filter=Q(conclusion=Conclusion.PASS)),
        basic=Count("pk", filter=Q(conclusion=Conclusion.BASIC)),
        failed=Count("pk", filter=Q(conclusion=Conclusion.FAIL)),
        rectified=Count("pk", filter=Q(rectification_submitted_at__isnull=False)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def campaign_rows(
    campaign: Campaign, user: Any, *, bucket: str = "", q: str = "", day: dt.date | None = None
) -> QuerySet[AnnualReport]:
    day = day or timezone.localdate()
    qs = campaign_reports(campaign, user).select_related("organisation").only(*ROW_FIELDS)
    if bucket in PROGRESS_BUCKETS:
        qs = qs.filter(bucket_filter(bucket, campaign, day))
    if q:
        qs = qs.filter(organisation__name__contains=q)
    # By the organisation's name, as a register is read (the status is a column and a filter of its own);
    # pinyin order on PostgreSQL, code-point order elsewhere.
    return qs.order_by(name_order("organisation__name"), "pk")


def name_order(field: str) -> Any:
    """An ORDER BY expression for a Chinese name: PostgreSQL's ICU collation zh-Hans sorts by pinyin
    (as readers expect: 河南 before 浙江); SQLite has no such collation and sorts by code point."""
    if connection.vendor == "postgresql":
        return Collate(field, "zh-Hans-x-icu").asc()
    return F(field).asc()


ROW_FIELDS = (
    "status",
    "late",
    "submitted_at",
    "conclusion",
    "rectification_due",
    "rectification_submitted_at",
    "campaign_id",
    "organisation_id",
    "organisation__name",
)


# --- the bureau's figures ---------------------------------------------------------------------------------
def _window(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _units(unit: Unit) -> Any:
    return subtree_unit_ids(unit)


def decided(
    unit: Unit, period: Period, kind: str | None = None, status: str = AppStatus.APPROVED
) -> QuerySet[Application]:
    start, end = _window(period)
    qs = Application.objects.filter(
        organisation__area__in=_units(unit), status=status, decided_at__gte=start, decided_at__lt=end
    )
    return qs.filter(kind=kind) if kind else qs


def count(unit: Unit, period: Period, figure: str) -> int:
    """One of the counted figures over UNIT's subtree and PERIOD (the metrics' one definition)."""
    start, end = _window(period)
    units = _units(unit)
    if figure in ("registrations", "changes", "deregistrations"):
        kind = {
            "registrations": AppKind.REGISTRATION,
            "changes": AppKind.CHANGE,
            "deregistrations": AppKind.DEREGISTRATION,
        }[figure]
        return decided(unit, period, kind).count()
    if figure == "revocations":
        return Organisation.objects.filter(
            area__in=units, status=OrgStatus.REVOKED, ended_on__gte=period.start, ended_on__lte=period.end
        ).count()
    if figure == "inspections":
        return AnnualReport.objects.filter(
            organisation__area__in=units,
            status=ReportStatus.CONCLUDED,
            concluded_at__gte=start,
            concluded_at__lt=end,
        ).count()
    if figure == "certificates":
        return Certificate.objects.filter(
            organisation__area__in=units, issued_on__gte=period.start, issued_on__lte=period.end
        ).count()
    if figure == "complaints":
        return Complaint.objects.filter(
            area__in=units, received_on__gte=period.start, received_on__lte=period.end
        ).count()
    raise ValueError(figure)


def ontime_rate(unit: Unit, period: Period) -> Decimal | None:
    """按时办结率: applications decided (approved or refused) in the period on or before their review
    deadline ÷ applications decided in the period."""
    start, end = _window(period)
    rows = list(
        Application.objects.filter(
            organisation__area__in=_units(unit),
            status__in=[AppStatus.APPROVED, AppStatus.REFUSED],
            decided_at__gte=start,
            decided_at__lt=end,
        ).values_list("decided_at", "due_on")
    )
    in_time = sum(1 for at, due in rows if due is None or timezone.localtime(at).date() <= due)
    return rate(in_time, len(rows))


def error_rate(unit: Unit, period: Period) -> Decimal | None:
    """登记差错率: applications approved in the period that later needed a correction (≥ 1 registration
    error recorded against them) ÷ applications approved in the period."""
    approved = decided(unit, period)
    total = approved.count()
    wrong = approved.filter(Exists(RegistrationError.objects.filter(application=OuterRef("pk")))).count()
    return rate(wrong, total)


FIGURES = (
    ("registrations", "新登记"),
    ("changes", "变更"),
    ("deregistrations", "注销"),
    ("revocations", "撤销"),
    ("inspections", "年检"),
    ("certificates", "发放证书"),
    ("complaints", "公众投诉"),
)


def monthly(unit: Unit, year: int) -> dict[str, list[int]]:
    """Each counted figure by month (12 values), a grouped query per figure."""
    period = Period.year(year)
    start, end = _window(period)
    units = _units(unit)
    out: dict[str, list[int]] = {}

    def grouped(qs: QuerySet[Any], field: str) -> list[int]:
        months = [0] * 12
        for row in qs.annotate(m=ExtractMonth(field)).values("m").annotate(n=Count("pk")).order_by():
            months[row["m"] - 1] = row["n"]
        return months

    apps = Application.objects.filter(
        organisation__area__in=units, status=AppStatus.APPROVED, decided_at__gte=start, decided_at__lt=end
    )
    out["registrations"] = grouped(apps.filter(kind=AppKind.REGISTRATION), "decided_at")
    out["changes"] = grouped(apps.filter(kind=AppKind.CHANGE), "decided_at")
    out["deregistrations"] = grouped(apps.filter(kind=AppKind.DEREGISTRATION), "decided_at")
    out["revocations"] = grouped(
        Organisation.objects.filter(area__in=units, status=OrgStatus.REVOKED, ended_on__year=year), "ended_on"
    )
    reports = AnnualReport.objects.filter(
        organisation__area__in=units,
        status=ReportStatus.CONCLUDED,
        concluded_at__gte=start,
        concluded_at__lt=end,
    )
    out["inspections"] = grouped(reports, "concluded_at")
    for code in Conclusion:
        out[f"inspections_{code.value}"] = grouped(reports.filter(conclusion=code), "concluded_at")
    out["certificates"] = grouped(
        Certificate.objects.filter(organisation__area__in=units, issued_on__year=year), "issued_on"
    )
    out["complaints"] = grouped(
        Complaint.objects.filter(area__in=units, received_on__year=year), "received_on"
    )
    return out


@dataclass(frozen=True)
class TargetRow:
    key: str
    label: str
    actual: Decimal | int | None
    target: Decimal | int | None
    kind: str  # "count" (reach), "max" (stay below), "min" (stay above)
    light: str
    unit: str


def _count_light(actual: int, target: int, elapsed: Decimal) -> str:
    if target <= 0:
        return Light.NONE
    if actual >= target:
        return Light.GREEN
    expected = Decimal(target) * elapsed
    if actual >= expected:
        return Light.GREEN
    return Light.YELLOW if actual >= expected * Decimal("0.8") else Light.RED


def elapsed_share(year: int, day: dt.date) -> Decimal:
    if day.year > year:
        return Decimal(1)
    if day.year < year:
        return Decimal(0)
    start = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - start).days
    return (Decimal((day - start).days + 1) / days).quantize(Decimal("0.0001"))


def target_for(unit: Unit, year: int) -> YearTarget | None:
    """The targets entered for UNIT, or for its nearest ancestor with targets."""
    ids = [int(unit.path[i : i + 6]) for i in range(0, len(unit.path), 6)]
    rows = {t.area_id: t for t in YearTarget.objects.filter(area_id__in=ids, year=year)}
    for pk in reversed(ids):
        if pk in rows:
            return rows[pk]
    return None


def figures(unit: Unit, year: int, day: dt.date | None = None) -> dict[str, Any]:
    day = day or timezone.localdate()
    period = Period.year(year)
    by_month = monthly(unit, year)
    totals = {key: sum(values) for key, values in by_month.items()}
    target = target_for(unit, year)
    elapsed = elapsed_share(year, day)
    on_time, errors = ontime_rate(unit, period), error_rate(unit, period)
    rows: list[TargetRow] = []
    for key, label, unit_label in (
        ("inspections", "年检", "家次"),
        ("revocations", "撤销", "件"),
        ("changes", "变更", "件"),
        ("registrations", "新登记", "件"),
        ("certificates", "登记证书", "件"),
    ):
        goal = getattr(target, key) if target else None
        light = _count_light(totals[key], goal, elapsed) if goal else Light.NONE
        rows.append(TargetRow(key, label, totals[key], goal, "count", light, unit_label))
    goal_err = target.error_rate_max if target else None
    rows.append(
        TargetRow(
            "error_rate",
            "登记差错率",
            errors,
            goal_err,
            "max",
            Light.NONE
            if errors is None or goal_err is None
            else (Light.GREEN if errors <= goal_err else Light.RED),
            "%",
        )
    )
    goal_on = target.ontime_rate_min if target else None
    rows.append(
        TargetRow(
            "ontime_rate",
            "按时办结率",
            on_time,
            goal_on,
            "min",
            Light.NONE
            if on_time is None or goal_on is None
            else (Light.GREEN if on_time >= goal_on else Light.RED),
            "%",
        )
    )
    goal_c = target.complaints_max if target else None
    rows.append(
        TargetRow(
            "complaints",
            "公众投诉",
            totals["complaints"],
            goal_c,
            "max",
            Light.NONE if goal_c is None else (Light.GREEN if totals["complaints"] <= goal_c else Light.RED),
            "件",
        )
    )
    return {
        "year": year,
        "unit": unit,
        "monthly": by_month,
        "totals": totals,
        "target": target,
        "rows": rows,
        "elapsed": elapsed,
        "ontime_rate": on_time,
        "error_rate": errors,
    }


def home_cards(user: Any) -> list[Any]:
    """The bureau: applications waiting for review. An organisation's own account: its status, open
    application and annual report (so it lands on its work from the platform's home page)."""
    from django.urls import reverse

    from qinqing.chambers.models import account_org_id
    from qinqing.core.queries import Card

    if not user.is_authenticated:
        return []
    org_id = account_org_id(user)
    if org_id is not None:
        org = Organisation.objects.filter(pk=org_id).only("name", "status").first()
        if org is None:
            return []
        url = reverse("chambers:org", args=[org.pk])
        cards = [Card(f"{org.name}：登记状态", org.get_status_display(), url)]
        app = Application.objects.filter(
            organisation_id=org_id, status__in=[AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.RETURNED]
        ).first()
        if app is not None:
            cards.append(
                Card(
                    f"{app.get_kind_display()}申请",
                    app.get_status_display(),
                    reverse("chambers:application", args=[app.pk]),
                )
            )
        report = (
            AnnualReport.objects.filter(
                organisation_id=org_id, status__in=[ReportStatus.NOT_STARTED, ReportStatus.RETURNED]
            )
            .select_related("campaign")
            .first()
        )
        if report is not None:
            cards.append(
                Card(
                    f"{report.campaign.year}年度报告（{report.campaign.deadline:%m月%d日}截止）",
                    report.get_status_display(),
                    reverse("chambers:report", args=[report.pk]),
                )
            )
        return cards
    if not user.can("chambers.review"):
        return []
    pending = Application.objects.visible_to(user).filter(status=AppStatus.SUBMITTED).count()
    return [Card("商会登记待审核", pending, reverse("chambers:applications") + "?status=submitted")]
