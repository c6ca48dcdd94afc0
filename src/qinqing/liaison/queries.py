"""Reads of the liaison app: coverage (企业无包联领导, 领导未达最少包联数, 走访到期/逾期) and the problem
ledger (问题台账), every one starting from ``visible_to``."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands.models import SATISFIED_MIN, Demand, Light, Status
from qinqing.enterprises.models import Enterprise, EnterpriseStatus
from qinqing.liaison.models import LEVELS, Assignment, LiaisonRule, Visit, VisitProblem
from qinqing.orgs.models import Unit

DUE_SOON_DAYS = 15


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- coverage ---------------------------------------------------------------------------------------------
def active_assignment(day: dt.date) -> Any:
    return Assignment.objects.filter(enterprise=OuterRef("pk")).active_on(day)


def enterprises_without_leader(user: Any, day: dt.date | None = None) -> QuerySet[Enterprise]:
    """Operating enterprises in the user's scope with no active 包联 leader."""
    day = day or timezone.localdate()
    return (
        Enterprise.objects.visible_to(user)
        .filter(status=EnterpriseStatus.OPERATING)
        .filter(~Exists(active_assignment(day)))
        .select_related("registered_unit")
        .order_by("registered_unit__path", "name")
    )


@dataclass(frozen=True)
class LeaderLoad:
    leader: User
    level: int
    enterprises: int
    projects: int
    minimum: int

    @property
    def below_quota(self) -> bool:
        return self.enterprises < self.minimum

    @property
    def shortfall(self) -> int:
        return max(0, self.minimum - self.enterprises)


def leader_loads(user: Any, day: dt.date | None = None, *, level: int | None = None) -> list[LeaderLoad]:
    """Every leader in scope with the enterprises and projects they look after and their level's quota."""
    day = day or timezone.localdate()
    rules = LiaisonRule.all_levels()
    active = Q(liaison_assignments__start_date__lte=day) & (
        Q(liaison_assignments__end_date__isnull=True) | Q(liaison_assignments__end_date__gte=day)
    )
    leaders = (
        User.objects.visible_to(user)
        .filter(is_active=True, role_rows__role=Role.LEADER, unit__tier__in=LEVELS)
        .select_related("unit")
        .annotate(
            n_enterprises=Count(
                "liaison_assignments",
                filter=active & Q(liaison_assignments__enterprise__isnull=False),
                distinct=True,
            ),
            n_projects=Count(
                "liaison_assignments",
                filter=active & Q(liaison_assignments__project__isnull=False),
                distinct=True,
            ),
        )
        .order_by("unit__tier", "unit__path", "username")
    )
    if level is not None:
        leaders = leaders.filter(unit__tier=level)
    return [
        LeaderLoad(
            leader=u,
            level=u.unit.tier if u.unit else 0,
            enterprises=u.n_enterprises,  # type: ignore[attr-defined]
            projects=u.n_projects,  # type: ignore[attr-defined]
            minimum=rules[u.unit.tier].min_enterprises if u.unit else 0,
        )
        for u in leaders
    ]


def leaders_below_quota(user: Any, day: dt.date | None = None) -> list[LeaderLoad]:
    return [row for row in leader_loads(user, day) if row.below_quota]


@dataclass(frozen=True)
class VisitDue:
    assignment: Assignment
    last_visit: dt.date | None
    due: dt.date
    interval_months: int
    today: dt.date

    @property
    def overdue(self) -> bool:
        return self.due < self.today

    @property
    def days_left(self) -> int:
        return (self.due - self.today).days

    @property
    def state(self) -> str:
        if self.overdue:
            return "overdue"
        if self.days_left <= DUE_SOON_DAYS:
            return "due"
        return "ok"

    @property
    def state_label(self) -> str:
        return {"overdue": "已逾期", "due": "即将到期", "ok": "正常"}[self.state]


def visit_schedule(user: Any, day: dt.date | None = None, *, leader: User | None = None) -> list[VisitDue]:
    """For every active enterprise assignment: the leader's last visit and the date the next is due
    (last visit, or the start of the assignment, plus the level's interval). One query."""
    day = day or timezone.localdate()
    rules = LiaisonRule.all_levels()
    last = (
        Visit.objects.filter(
            leader=OuterRef("leader"), enterprise=OuterRef("enterprise"), visited_on__lte=day
        )
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    rows = (
        Assignment.objects.visible_to(user)
        .active_on(day)
        .filter(enterprise__isnull=False)
        .select_related("leader", "enterprise", "unit")
        .annotate(last_visit=Subquery(last))
        .order_by("leader__username", "enterprise__name")
    )
    if leader is not None:
        rows = rows.filter(leader=leader)
    out = []
    for a in rows:
        interval = rules[a.level].visit_interval_months
        base = max(a.last_visit, a.start_date) if a.last_visit else a.start_date  # type: ignore[attr-defined]
        out.append(VisitDue(a, a.last_visit, add_months(base, interval), interval, day))  # type: ignore[attr-defined]
    return sorted(out, key=lambda r: (r.due, r.assignment.leader.username))


def visits_due(user: Any, day: dt.date | None = None) -> list[VisitDue]:
    return [r for r in visit_schedule(user, day) if r.state != "ok"]


@dataclass(frozen=True)
class Coverage:
    enterprises: int
    covered: int
    leaders: int
    leaders_below_quota: int
    visits_overdue: int
    visits_due_soon: int
    visits_in_period: int

    @property
    def coverage_rate(self) -> float | None:
        return round(self.covered / self.enterprises, 4) if self.enterprises else None


def _within_scope(user: Any, unit: Unit) -> bool:
    """Whether UNIT lies in a staff user's scope (then everything registered under UNIT is visible)."""
    scope = getattr(user, "scope_unit", None)
    return bool(
        not getattr(user, "enterprise_id", None)
        and getattr(user, "unit_id", None)
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and scope is not None
        and unit.path.startswith(scope.path)
    )


def coverage_summary(
    user: Any,
    day: dt.date | None = None,
    *,
    unit: Unit | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> Coverage:
    day = day or timezone.localdate()
    enterprises = Enterprise.objects.visible_to(user)
    visits = Visit.objects.visible_to(user)
    if unit is not None:
        # A literal id list of the subtree (no join per enterprise row); for a unit inside the user's
        # scope the enterprise scope rule (registered unit in the scope's subtree) is implied: dropped.
        ids = list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
        if _within_scope(user, unit):
            enterprises = Enterprise.objects.all()
        enterprises = enterprises.filter(registered_unit_id__in=ids)
        visits = visits.filter(enterprise__registered_unit__path__startswith=unit.path)
    enterprises = enterprises.filter(status=EnterpriseStatus.OPERATING)
    # Covered: counted from the (few) active assignments rather than one EXISTS per enterprise row.
    assigned = Assignment.objects.active_on(day).filter(enterprise__isnull=False).values("enterprise_id")
    counts = {"total": enterprises.count(), "covered": enterprises.filter(pk__in=assigned).count()}
    loads = leader_loads(user, day)
    schedule = visit_schedule(user, day)
    start, end = period or (day.replace(day=1), day)
    return Coverage(
        enterprises=counts["total"],
        covered=counts["covered"],
        leaders=len(loads),
        leaders_below_quota=sum(1 for r in loads if r.below_quota),
        visits_overdue=sum(1 for r in schedule if r.state == "overdue"),
        visits_due_soon=sum(1 for r in schedule if r.state == "due"),
        visits_in_period=visits.filter(visited_on__range=(start, end)).count(),
    )


# --- the problem ledger -----------------------------------------------------------------------------------
def is_struck_off(demand: Demand) -> bool:
    """销号: the demand is closed with a non-negative rating (基本满意 or better)."""
    return demand.status == Status.CLOSED and demand.rating is not None and demand.rating >= SATISFIED_MIN


STRUCK = Q(demand__status=Status.CLOSED, demand__rating__gte=SATISFIED_MIN)


@dataclass(frozen=True)
class LedgerRow:
    problem: VisitProblem
    light: str
    struck_off: bool

    @property
    def demand(self) -> Demand:
        return self.problem.demand

    @property
    def visit(self) -> Visit:
        return self.problem.visit

    @property
    def unit(self) -> Unit:
        return self.demand.lead_unit or self.demand.coordinating_unit

    @property
    def deadline(self) -> dt.datetime | None:
        return self.demand.handle_due_at or self.demand.due_at

    @property
    def progress(self) -> str:
        d = self.demand
        if self.struck_off:
            return "已销号"
        if d.status == Status.CLOSED:
            return "已办结（差评，未销号）"
        return str(d.get_status_display())

    @property
    def light_label(self) -> str:
        return "已销号" if self.struck_off else Light(self.light).label


def ledger_queryset(
    user: Any,
    *,
    leader: User | None = None,
    unit: Unit | None = None,
    state: str = "open",
    period: tuple[dt.date, dt.date] | None = None,
) -> QuerySet[VisitProblem]:
    """Visit problems visible to USER (the visit in scope), with everything a ledger row shows joined.

    STATE: "open" (not struck off), "struck" or "all"; UNIT: the handling unit's subtree.
    """
    qs = (
        VisitProblem.objects.filter(visit__in=Visit.objects.visible_to(user).values("pk"))
        .select_related(
            "visit__leader",
            "visit__enterprise",
            "demand__category__parent",
            "demand__lead_unit",
            "demand__coordinating_unit",
        )
        .order_by("-visit__visited_on", "visit_id", "position")
    )
    if leader is not None:
        qs = qs.filter(visit__leader=leader)
    if unit is not None:
        qs = qs.filter(
            Q(demand__lead_unit__path__startswith=unit.path)
            | Q(demand__lead_unit__isnull=True, demand__coordinating_unit__path__startswith=unit.path)
        )
    if state == "open":
        qs = qs.exclude(STRUCK)
    elif state == "struck":
        qs = qs.filter(STRUCK)
    if period is not None:
        qs = qs.filter(visit__visited_on__range=period)
    return qs


def ledger(user: Any, **filters: Any) -> list[LedgerRow]:
    now = timezone.now()
    return [
        LedgerRow(p, p.demand.light_at(now), is_struck_off(p.demand))
        for p in ledger_queryset(user, **filters)
    ]
