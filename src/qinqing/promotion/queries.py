"""Reads: year figures against targets, the reception calendar and statistics, owners' next steps."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.urls import reverse
from django.utils import timezone

from qinqing.core.queries import Card
from qinqing.investment.models import IndustryCluster
from qinqing.orgs.models import Unit
from qinqing.promotion import rules
from qinqing.promotion.models import (
    ZERO,
    NextStep,
    Organiser,
    PromotionSettings,
    Reception,
    ReceptionFirm,
    TaskForce,
    Trip,
    TripKind,
    YearPlan,
)


def _in_unit(qs: QuerySet[Any], unit: Unit) -> QuerySet[Any]:
    return qs.filter(unit__path__startswith=unit.path)


# --- figures over a unit's subtree and a period (the metrics read these too) -------------------
def firms_received(unit: Unit, start: dt.date, end: dt.date) -> int:
    return ReceptionFirm.objects.filter(
        reception__unit__path__startswith=unit.path, reception__start_date__range=(start, end)
    ).count()


def people_received(unit: Unit, start: dt.date, end: dt.date) -> int:
    total = (
        _in_unit(Reception.objects.all(), unit)
        .filter(start_date__range=(start, end))
        .aggregate(n=Sum("delegation_size"))["n"]
    )
    return int(total or 0)


def trips_counted(unit: Unit, start: dt.date, end: dt.date, kind: str, organiser: str | None = None) -> int:
    qs = _in_unit(Trip.objects.all(), unit).filter(start_date__range=(start, end), kind=kind)
    if organiser is not None:
        qs = qs.filter(organiser=organiser)
    return qs.count()


def task_forces(unit: Unit, start: dt.date, end: dt.date) -> int:
    return TaskForce.objects.filter(unit__path__startswith=unit.path).active_in(start, end).count()


def spending_yuan(unit: Unit, start: dt.date, end: dt.date) -> Decimal:
    rec = (
        _in_unit(Reception.objects.all(), unit)
        .filter(start_date__range=(start, end))
        .aggregate(s=Sum("total_yuan"))["s"]
    )
    trip = (
        _in_unit(Trip.objects.all(), unit)
        .filter(start_date__range=(start, end))
        .aggregate(s=Sum("total_yuan"))["s"]
    )
    return Decimal(rec or 0) + Decimal(trip or 0)


@dataclass(frozen=True)
class Figure:
    code: str
    label: str
    unit_label: str
    actual: Decimal | int
    target: Decimal | int
    light: rules.Light
    remaining: Decimal | None = None  # the budget line: what remains


def year_figures(unit: Unit, year: int, today: dt.date | None = None) -> list[Figure]:
    """The year's figures of UNIT's subtree against UNIT's plan (targets and budget line), with lights."""
    today = today or timezone.localdate()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    plan = YearPlan.objects.filter(year=year, unit=unit).first() or YearPlan(year=year, unit=unit)
    elapsed = rules.year_elapsed_pct(year, today)
    counts: list[tuple[str, str, str, int, int]] = [
        ("firms_received", "考察洽谈企业", "家", firms_received(unit, start, end), plan.target_firms),
        ("people_received", "接待人数", "人次", people_received(unit, start, end), plan.target_people),
        (
            "exhibitions_region",
            "参加自治区组织的会展",
            "次",
            trips_counted(unit, start, end, TripKind.EXPO, Organiser.REGION),
            plan.target_exhibitions_region,
        ),
        (
            "exhibitions_department",
            "参加委办局组织的展会",
            "次",
            trips_counted(unit, start, end, TripKind.EXPO, Organiser.DEPARTMENT),
            plan.target_exhibitions_department,
        ),
        ("task_forces", "驻外招商工作组", "个", task_forces(unit, start, end), plan.target_task_forces),
        (
            "exchange_meetings",
            "组织参加招商交流会",
            "次",
            trips_counted(unit, start, end, TripKind.EXCHANGE),
            plan.target_exchange_meetings,
        ),
        (
            "work_meetings",
            "召开招商引资总结交流会议",
            "次",
            trips_counted(unit, start, end, TripKind.WORK_MEETING),
            plan.target_work_meetings,
        ),
    ]
    out = [Figure(c, label, u, a, t, rules.target_light(a, t, elapsed)) for c, label, u, a, t in counts]
    spent = spending_yuan(unit, start, end)
    warn = PromotionSettings.current().warn_budget_share
    out.append(
        Figure(
            "spending_yuan",
            "招商经费支出（上限）",
            "元",
            spent,
            plan.budget_yuan,
            rules.budget_light(spent, plan.budget_yuan, warn),
            remaining=(plan.budget_yuan - spent) if plan.budget_yuan else None,
        )
    )
    return out


def budget_status(unit: Unit, year: int) -> tuple[Decimal, Decimal, Decimal | None]:
    """(budget, spent, remaining) of UNIT's year; remaining None without a budget line."""
    plan = YearPlan.objects.filter(year=year, unit=unit).first()
    spent = spending_yuan(unit, dt.date(year, 1, 1), dt.date(year, 12, 31))
    budget = plan.budget_yuan if plan else ZERO
    return budget, spent, (budget - spent) if budget else None


# --- reception calendar and statistics ----------------------------------------------------------
def month_calendar(user: Any, year: int, month: int) -> list[list[tuple[dt.date, list[Reception]]]]:
    """Weeks (Monday first) of the month, each day with the visible receptions under way that day."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, pycalendar.monthrange(year, month)[1])
    receptions = list(
        Reception.objects.visible_to(user)
        .filter(start_date__lte=last, end_date__gte=first)
        .only("pk", "title", "start_date", "end_date", "delegation_size")
        .order_by("start_date", "id")
    )
    by_day: dict[dt.date, list[Reception]] = defaultdict(list)
    for r in receptions:
        day = max(r.start_date, first)
        while day <= min(r.end_date, last):
            by_day[day].append(r)
            day += dt.timedelta(days=1)
    weeks: list[list[tuple[dt.date, list[Reception]]]] = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([(d, by_day.get(d, []) if d.month == month else []) for d in week])
    return weeks


def reception_stats(user: Any, year: int) -> dict[str, Any]:
    """Firms and people received in YEAR by month, origin and cluster (visible receptions)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    base = Reception.objects.visible_to(user).filter(start_date__range=(start, end))
    firms = ReceptionFirm.objects.filter(reception__in=base.values("pk"))
    months = {m: [0, 0, 0] for m in range(1, 13)}  # receptions, firms, people
    for m, n, people in (
        base.annotate(m=ExtractMonth("start_date"))
        .values("m")
        .annotate(n=Count("pk"), p=Sum("delegation_size"))
    ).values_list("m", "n", "p"):
        months[m][0], months[m][2] = n, int(people or 0)
    for m, n in (
        firms.annotate(m=ExtractMonth("reception__start_date")).values("m").annotate(n=Count("pk"))
    ).values_list("m", "n"):
        months[m][1] = n
    origins = list(
        base.values("origin")
        .annotate(n=Count("pk"), people=Sum("delegation_size"))
        .order_by("-people", "origin")
    )
    firms_by_origin = dict(
        firms.values("reception__origin").annotate(n=Count("pk")).values_list("reception__origin", "n")
    )
    for row in origins:
        row["firms"] = firms_by_origin.get(row["origin"], 0)
    names = dict(IndustryCluster.objects.values_list("pk", "name"))
    clusters = [
        {"cluster": names.get(cid, "未分类") if cid else "未分类", "n": n, "people": int(p or 0)}
        for cid, n, p in base.values("cluster_id")
        .annotate(n=Count("pk"), p=Sum("delegation_size"))
        .order_by("-p")
        .values_list("cluster_id", "n", "p")
    ]
    return {
        "months": [
            {"month": m, "receptions": v[0], "firms": v[1], "people": v[2]} for m, v in months.items()
        ],
        "origins": origins,
        "clusters": clusters,
    }


# --- next steps ---------------------------------------------------------------------------------
def my_open_steps(user: Any) -> QuerySet[NextStep]:
    return (
        NextStep.objects.filter(owner=user, done_at__isnull=True)
        .select_related("reception", "trip")
        .order_by("due_on", "id")
    )


def home_cards(user: Any) -> list[Card]:
    if not getattr(user, "is_authenticated", False) or getattr(user, "enterprise_id", None):
        return []
    if not user.can("promotion.view"):
        return []
    today = timezone.localdate()
    counts = NextStep.objects.filter(owner=user, done_at__isnull=True).aggregate(
        n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today))
    )
    label = "招商下一步工作（待办）"
    if counts["late"]:
        label = f"招商下一步工作（待办，{counts['late']} 项逾期）"
    return [Card(label, counts["n"], reverse("promotion:todo"))]
