"""Return on promotion (推介成效): what each visit, trip, task force and cluster brought in.

For a year, the sources are the receptions and trips that began in it and the task forces active in it,
in the user's scope. Every project touched by one of them is attributed to its touches by the rule in
``PromotionSettings.attribution`` (first touch by default; docs/promotion.md ## Metrics). A project's
results: 1 lead; 1 signing if it has a first signing date on or before AS_OF; its planned total; and its
funds in place (到位资金 and 区外到位资金, all months to date) read from the investment funds ledger's
pre-aggregated table ``ProjectYearFunds`` for counted projects only (investment.rules.counted_q).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Case, DecimalField, ExpressionWrapper, F, Q, Sum, Value, When
from django.utils import timezone

from qinqing.investment import rules as inv_rules
from qinqing.investment.models import IndustryCluster, InvestmentSettings, Project, ProjectYearFunds
from qinqing.orgs.models import Unit
from qinqing.promotion.models import (
    ZERO,
    Attribution,
    PromotionSettings,
    Reception,
    TaskForce,
    Touch,
    Trip,
    TripKind,
)

WAN_PER_YI = Decimal("10000")
YUAN_PER_WAN = Decimal("10000")
Key = tuple[str, int]  # ("r", reception id) / ("t", trip id) / ("f", task force id)


@dataclass(slots=True)
class Result:
    leads: Decimal = ZERO
    signed: Decimal = ZERO
    planned_wan: Decimal = ZERO
    funds_wan: Decimal = ZERO
    outside_wan: Decimal = ZERO
    cost_yuan: Decimal = ZERO

    def add(self, other: Result) -> None:
        self.leads += other.leads
        self.signed += other.signed
        self.planned_wan += other.planned_wan
        self.funds_wan += other.funds_wan
        self.outside_wan += other.outside_wan
        self.cost_yuan += other.cost_yuan

    @property
    def funds_yi(self) -> Decimal:
        return (self.funds_wan / WAN_PER_YI).quantize(Decimal("0.0001"))

    @property
    def cost_per_signed_yuan(self) -> Decimal | None:
        return (self.cost_yuan / self.signed).quantize(Decimal("0.01")) if self.signed else None

    @property
    def cost_per_yi_yuan(self) -> Decimal | None:
        """Cost per 亿元 of funds in place (元 ÷ 亿元)."""
        if not self.funds_wan:
            return None
        return (self.cost_yuan * WAN_PER_YI / self.funds_wan).quantize(Decimal("0.01"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "leads": self.leads,
            "signed": self.signed,
            "planned_wan": self.planned_wan,
            "funds_wan": self.funds_wan,
            "outside_wan": self.outside_wan,
            "funds_yi": self.funds_yi,
            "cost_yuan": self.cost_yuan,
            "cost_per_signed_yuan": self.cost_per_signed_yuan,
            "cost_per_yi_yuan": self.cost_per_yi_yuan,
        }


@dataclass(slots=True)
class Row:
    key: Key
    label: str
    kind: str
    date: dt.date | None
    result: Result = field(default_factory=Result)


@dataclass
class YearReturn:
    year: int
    attribution: str
    total: Result
    by_kind: list[Row]
    by_cluster: list[Row]
    by_task_force: list[Row]
    sources: list[Row]  # ordered by funds in place, then signings, then date


@dataclass(frozen=True)
class ProjectFacts:
    signed: bool
    planned_wan: Decimal
    funds_wan: Decimal
    outside_wan: Decimal
    first_signed_on: dt.date | None = None


def _key(reception_id: int | None, trip_id: int | None, task_force_id: int | None) -> Key:
    if reception_id:
        return ("r", reception_id)
    if trip_id:
        return ("t", trip_id)
    return ("f", task_force_id or 0)


def attribute(
    touches: list[tuple[int, Key, dt.date, int]], signed_on: dict[int, dt.date | None], rule: str
) -> dict[int, list[tuple[Key, Decimal]]]:
    """Per project, the touches (source keys) it is attributed to with their weights (summing to 1).

    TOUCHES: (project id, source key, date, touch id). first: the earliest touch (date, then id); last:
    the latest touch on or before the first signing (the latest of all if unsigned or none before it);
    even: every touch of the project 1/n."""
    per: dict[int, list[tuple[dt.date, int, Key]]] = defaultdict(list)
    for project_id, key, on, touch_id in touches:
        per[project_id].append((on, touch_id, key))
    out: dict[int, list[tuple[Key, Decimal]]] = {}
    for project_id, rows in per.items():
        rows.sort()
        if rule == Attribution.EVEN:
            distinct = list(dict.fromkeys(key for _, _, key in rows))
            share = Decimal(1) / len(distinct)
            out[project_id] = [(key, share) for key in distinct]
        elif rule == Attribution.LAST:
            signed = signed_on.get(project_id)
            before = [r for r in rows if signed is None or r[0] <= signed] or rows
            out[project_id] = [(before[-1][2], Decimal(1))]
        else:
            out[project_id] = [(rows[0][2], Decimal(1))]
    return out


def _scope_filter(qs: Any, user: Any, unit: Unit | None) -> Any:
    qs = qs.visible_to(user)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def _months(prefix: str) -> Any:
    """a01 + … + a12 (or the o… columns) of a ProjectYearFunds row."""
    expr: Any = F(f"{prefix}01")
    for m in range(2, 13):
        expr = expr + F(f"{prefix}{m:02d}")
    return ExpressionWrapper(expr, output_field=DecimalField(max_digits=16, decimal_places=2))


def _counted(prefix: str = "") -> Any:
    """True for projects the investment counting rules count (investment.rules.counted_q)."""
    q = inv_rules.counted_q(InvestmentSettings.current(), prefix)
    if not q:
        return Value(True)
    return Case(When(q, then=True), default=False, output_field=BooleanField())


def _funds(counted: list[int], as_of: dt.date) -> dict[int, tuple[Decimal, Decimal]]:
    """到位资金 and 区外到位资金 to date of the COUNTED projects (万元), from the funds ledger's year table."""
    rows = (
        ProjectYearFunds.objects.filter(project_id__in=counted, year__lte=as_of.year)
        .values("project_id")
        .annotate(a=Sum(_months("a")), o=Sum(_months("o")))
        .values_list("project_id", "a", "o")
    )
    return {
        pid: (inv_rules.quantize(Decimal(a or 0)), inv_rules.quantize(Decimal(o or 0))) for pid, a, o in rows
    }


Touches = list[tuple[int, Key, dt.date, int]]


def touches_and_facts(projects: Any, as_of: dt.date) -> tuple[Touches, dict[int, ProjectFacts]]:
    """Every touch of PROJECTS (ids or a subquery of ids) and each project's facts, in two queries:
    the touches joined to their projects (signing, planned total, counted), then the funds of the
    counted ones."""
    touches: Touches = []
    info: dict[int, tuple[dt.date | None, Decimal, bool]] = {}
    for pid, r, t, f, on, tid, signed, planned, counted in (
        Touch.objects.filter(project_id__in=projects)
        .annotate(counted=_counted("project__"))
        .values_list(
            "project_id",
            "reception_id",
            "trip_id",
            "task_force_id",
            "on",
            "pk",
            "project__first_signed_on",
            "project__planned_investment_wan",
            "counted",
        )
    ):
        touches.append((pid, _key(r, t, f), on, tid))
        info[pid] = (signed, planned, counted)
    funds = _funds([pid for pid, (_, _, c) in info.items() if c], as_of)
    facts: dict[int, ProjectFacts] = {}
    for pid, (first_signed, planned, _) in info.items():
        a, o = funds.get(pid, (ZERO, ZERO))
        facts[pid] = ProjectFacts(
            signed=first_signed is not None and first_signed <= as_of,
            planned_wan=inv_rules.quantize(Decimal(planned or 0)),
            funds_wan=a,
            outside_wan=o,
            first_signed_on=first_signed,
        )
    return touches, facts


def year_return(
    user: Any, year: int, *, unit: Unit | None = None, as_of: dt.date | None = None
) -> YearReturn:
    as_of = as_of or timezone.localdate()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rule = PromotionSettings.current().attribution
    rec_qs = _scope_filter(Reception.objects, user, unit).filter(start_date__range=(start, end))
    trip_qs = _scope_filter(Trip.objects, user, unit).filter(start_date__range=(start, end))
    receptions = list(rec_qs.values_list("pk", "title", "start_date", "cluster_id", "total_yuan"))
    trips = list(
        trip_qs.values_list("pk", "title", "start_date", "cluster_id", "total_yuan", "kind", "task_force_id")
    )
    forces = list(
        _scope_filter(TaskForce.objects, user, unit)
        .active_in(start, end)
        .values_list("pk", "name", "start_date")
    )
    rows: dict[Key, Row] = {}
    cluster_of: dict[Key, int | None] = {}
    force_of: dict[Key, int] = {}
    for pk, title, day, cluster_id, cost in receptions:
        rows[("r", pk)] = Row(("r", pk), title, "reception", day, Result(cost_yuan=cost))
        cluster_of[("r", pk)] = cluster_id
    for pk, title, day, cluster_id, cost, kind, tf in trips:
        rows[("t", pk)] = Row(("t", pk), title, kind, day, Result(cost_yuan=cost))
        cluster_of[("t", pk)] = cluster_id
        if tf:
            force_of[("t", pk)] = tf
    for pk, name, day in forces:
        rows[("f", pk)] = Row(("f", pk), name, "task_force", day)
        cluster_of[("f", pk)] = None
        force_of[("f", pk)] = pk

    # the projects touched by the year's sources, and every touch of those projects (any year, any unit)
    year_touch = Touch.objects.filter(
        Q(reception_id__in=rec_qs.values("pk"))
        | Q(trip_id__in=trip_qs.values("pk"))
        | Q(task_force_id__in=[pk for pk, _, _ in forces])
    )
    # the ids as a literal list: PostgreSQL then reads the projects by primary key instead of hashing
    # the whole project table (it misjudges the subquery's size)
    project_ids = list(year_touch.order_by().values_list("project_id", flat=True).distinct())
    touches, facts = touches_and_facts(project_ids, as_of)
    signed_on = {pid: fact.first_signed_on for pid, fact in facts.items()}
    weights = attribute(touches, signed_on, rule)
    for pid, shares in weights.items():
        fact = facts.get(pid)
        if fact is None:
            continue
        for key, w in shares:
            row = rows.get(key)
            if row is None:  # attributed to a source of another year or outside the scope
                continue
            res = row.result
            res.leads += w
            res.signed += w if fact.signed else ZERO
            res.planned_wan += fact.planned_wan * w
            res.funds_wan += fact.funds_wan * w
            res.outside_wan += fact.outside_wan * w
    for row in rows.values():
        r = row.result
        r.planned_wan, r.funds_wan, r.outside_wan = (
            inv_rules.quantize(r.planned_wan),
            inv_rules.quantize(r.funds_wan),
            inv_rules.quantize(r.outside_wan),
        )

    total = Result()
    kinds: dict[str, Row] = {}
    clusters: dict[int | None, Row] = {}
    task_forces: dict[int, Row] = {}
    cluster_names = dict(IndustryCluster.objects.values_list("pk", "name"))
    force_names = {pk: name for pk, name, _ in forces}
    kind_labels = {"reception": "考察接待", "task_force": "驻外招商工作组", **dict(TripKind.choices)}
    for key, row in rows.items():
        res = row.result
        total.add(res)
        kind_row = kinds.get(row.kind)
        if kind_row is None:
            kind_row = kinds[row.kind] = Row(("k", 0), kind_labels.get(row.kind, row.kind), row.kind, None)
        kind_row.result.add(res)
        cid = cluster_of.get(key)
        cluster_row = clusters.get(cid)
        if cluster_row is None:
            label = cluster_names.get(cid, "未分类") if cid else "未分类"
            cluster_row = clusters[cid] = Row(("c", cid or 0), label, "cluster", None)
        cluster_row.result.add(res)
        tf = force_of.get(key)
        if tf is not None and tf in force_names:
            tf_row = task_forces.get(tf)
            if tf_row is None:
                tf_row = task_forces[tf] = Row(("f", tf), force_names[tf], "task_force", None)
            tf_row.result.add(res)
    kind_order = ["reception", *TripKind.values, "task_force"]
    # by funds, signings, leads (descending), then date and key: two stable sorts, no Decimal negation
    ordered = sorted(rows.values(), key=lambda r: (r.date or start, r.key))
    ordered.sort(key=lambda r: (r.result.funds_wan, r.result.signed, r.result.leads), reverse=True)
    return YearReturn(
        year=year,
        attribution=rule,
        total=total,
        by_kind=sorted(
            kinds.values(), key=lambda r: kind_order.index(r.kind) if r.kind in kind_order else 99
        ),
        by_cluster=sorted(clusters.values(), key=lambda r: (-r.result.funds_wan, r.label)),
        by_task_force=sorted(task_forces.values(), key=lambda r: (-r.result.funds_wan, r.label)),
        sources=ordered,
    )


@dataclass(frozen=True)
class SourceProject:
    project: Project
    touch: Touch
    weight: Decimal
    facts: ProjectFacts


def source_projects(
    user: Any, source: Reception | Trip | TaskForce, as_of: dt.date | None = None
) -> list[SourceProject]:
    """The projects a source touched, with the share attributed to it and their signing and funds."""
    as_of = as_of or timezone.localdate()
    field_name = {"Reception": "reception", "Trip": "trip", "TaskForce": "task_force"}[type(source).__name__]
    mine = list(Touch.objects.filter(**{field_name: source}).select_related("project").order_by("on", "id"))
    if not mine:
        return []
    ids = [t.project_id for t in mine]
    touches, facts = touches_and_facts(ids, as_of)
    rule = PromotionSettings.current().attribution
    weights = attribute(touches, {pid: f.first_signed_on for pid, f in facts.items()}, rule)
    visible = set(Project.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    key = _key(
        source.pk if field_name == "reception" else None,
        source.pk if field_name == "trip" else None,
        source.pk if field_name == "task_force" else None,
    )
    out: list[SourceProject] = []
    for touch in mine:
        if touch.project_id not in visible:
            continue
        w = sum((s for k, s in weights.get(touch.project_id, []) if k == key), ZERO)
        out.append(SourceProject(touch.project, touch, w, facts[touch.project_id]))
    return out
