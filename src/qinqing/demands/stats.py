"""Demand statistics per unit (with descendants) and period. Formulas: docs/metrics.md "Enterprise demands".

One grouped query does all the counting: the demands of the period in the unit's subtree, grouped
by month, by type, by category and by (receiving unit, lead unit), each group carrying the numerators
and denominators below. Totals, the breakdowns, the monthly trend and the ranking of the child units
are sums of those groups in Python (every metric is a ratio of sums, so the roll-up is exact). On
PostgreSQL the four groupings are one scan (GROUPING SETS, a few hundred groups for a prefecture's
year); elsewhere the query groups by all five keys and Python splits the groups.

A demand belongs to a unit's statistics when its receiving office or its lead unit is in the unit's
subtree; it belongs to the period by its submission time (``created_at``, Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from qinqing.core.scoping import subtree_unit_ids
from qinqing.demands.clocks import TZ
from qinqing.demands.models import SATISFIED_MIN, Category, Demand, DemandType, Status
from qinqing.demands.paging import without_jit
from qinqing.orgs.models import SEGMENT, Unit


@dataclass
class Counts:
    submitted: int = 0  # 提交量
    accepted: int = 0  # 受理量
    accept_due: int = 0
    accept_timely: int = 0
    sign_due: int = 0
    sign_timely: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    redone: int = 0
    returns: int = 0
    dispatches: int = 0
    handle_days_sum: int = 0
    handle_days_n: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @staticmethod
    def _pct(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    def metrics(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "accepted": self.accepted,
            "timely_accept_rate": self._pct(self.accept_timely, self.accept_due),
            "timely_sign_rate": self._pct(self.sign_timely, self.sign_due),
            "close_rate": self._pct(self.closed, self.accepted),
            "on_time_close_rate": self._pct(self.closed_on_time, self.closed),
            "satisfaction_rate": self._pct(self.satisfied, self.rated),
            "redo_rate": self._pct(self.redone, self.closed),
            "return_rate": self._pct(self.returns, self.dispatches),
            "avg_handle_days": round(self.handle_days_sum / self.handle_days_n, 1)
            if self.handle_days_n
            else None,
            "closed": self.closed,
            "rated": self.rated,
        }


METRIC_LABELS = [
    ("submitted", "提交量"),
    ("accepted", "受理量"),
    ("timely_accept_rate", "及时受理率(%)"),
    ("timely_sign_rate", "及时签收率(%)"),
    ("close_rate", "办结率(%)"),
    ("on_time_close_rate", "按时办结率(%)"),
    ("satisfaction_rate", "满意率(%)"),
    ("redo_rate", "重办率(%)"),
    ("return_rate", "退回率(%)"),
    ("avg_handle_days", "平均办理用时(工作日)"),
]


@dataclass
class StatsResult:
    unit: Unit
    start: dt.date
    end: dt.date
    total: dict[str, Any]
    by_type: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    by_category: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    trend: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ranking: list[tuple[Unit, dict[str, Any]]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "unit": {"id": self.unit.pk, "name": self.unit.name},
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "total": self.total,
            "by_type": [{"type": k, **v} for k, v in self.by_type],
            "by_category": [{"category": k, **v} for k, v in self.by_category],
            "trend": [{"month": k, **v} for k, v in self.trend],
            "ranking": [{"unit_id": u.pk, "unit": u.name, **v} for u, v in self.ranking],
        }


def _aggregates(now: dt.datetime) -> dict[str, Any]:
    return {
        "submitted": Count("id"),
        "accepted": Count("id", filter=Q(accept_decided_at__isnull=False) & ~Q(status=Status.REJECTED)),
        "accept_due": Count("id", filter=Q(accept_decided_at__isnull=False) | Q(accept_due_at__lt=now)),
        "accept_timely": Count("id", filter=Q(accepted_on_time=True)),
        "sign_due": Count("id", filter=Q(signed_at__isnull=False) | Q(sign_due_at__lt=now)),
        "sign_timely": Count("id", filter=Q(signed_on_time=True)),
        "closed": Count("id", filter=Q(status=Status.CLOSED)),
        "closed_on_time": Count("id", filter=Q(status=Status.CLOSED, closed_on_time=True)),
        "rated": Count("id", filter=Q(rating__isnull=False)),
        "satisfied": Count("id", filter=Q(rating__gte=SATISFIED_MIN)),
        "redone": Count("id", filter=Q(redo_count__gt=0)),
        "returns": Sum("return_count"),
        "dispatches": Sum("dispatch_count"),
        "handle_days_sum": Sum("handle_working_days", filter=Q(status=Status.CLOSED)),
        "handle_days_n": Count("id", filter=Q(status=Status.CLOSED, handle_working_days__isnull=False)),
    }


@dataclass
class Split:
    """The period's counts grouped four ways (each grouping covers every demand once)."""

    by_type: list[tuple[str, Counts]] = field(default_factory=list)
    by_category: list[tuple[int, Counts]] = field(default_factory=list)
    by_month: list[tuple[Any, Counts]] = field(default_factory=list)
    by_units: list[tuple[dict[str, Any], Counts]] = field(default_factory=list)


COUNT_NAMES = [f.name for f in fields(Counts)]


def _month_key(month: Any) -> str:
    if isinstance(month, dt.datetime):
        return (timezone.localtime(month, TZ) if timezone.is_aware(month) else month).strftime("%Y-%m")
    return str(month)[:7]


def _split(base: QuerySet[Demand], now: dt.datetime) -> Split:
    """Portable: group by all five keys, then split the groups in Python."""
    rows = (
        base.annotate(month=TruncMonth("created_at", tzinfo=TZ))
        .values("receiving_unit_id", "lead_unit_id", "demand_type", "category_id", "month")
        .annotate(**_aggregates(now))
        .order_by()
    )
    by_type: dict[str, Counts] = defaultdict(Counts)
    by_cat: dict[int, Counts] = defaultdict(Counts)
    by_month: dict[str, Counts] = defaultdict(Counts)
    by_units: dict[tuple[int, int | None], Counts] = defaultdict(Counts)
    for row in rows:
        counts = Counts(**{n: row[n] or 0 for n in COUNT_NAMES})
        by_type[row["demand_type"]].add(counts)
        by_cat[row["category_id"]].add(counts)
        by_month[_month_key(row["month"])].add(counts)
        by_units[(row["receiving_unit_id"], row["lead_unit_id"])].add(counts)
    return Split(
        by_type=list(by_type.items()),
        by_category=list(by_cat.items()),
        by_month=list(by_month.items()),
        by_units=[({"receiving_unit_id": r, "lead_unit_id": ld}, c) for (r, ld), c in by_units.items()],
    )


# The same numerators and denominators as _aggregates(), in SQL for GROUPING SETS (PostgreSQL).
GROUPED_SQL = """
SELECT GROUPING(d.month) AS g_month, GROUPING(d.demand_type) AS g_type,
       GROUPING(d.category_id) AS g_category, d.month, d.demand_type, d.category_id,
       d.receiving_unit_id, d.lead_unit_id,
       count(*) AS submitted,
       count(*) FILTER (WHERE d.accept_decided_at IS NOT NULL AND d.status <> %s) AS accepted,
       count(*) FILTER (WHERE d.accept_decided_at IS NOT NULL OR d.accept_due_at < %s) AS accept_due,
       count(*) FILTER (WHERE d.accepted_on_time) AS accept_timely,
       count(*) FILTER (WHERE d.signed_at IS NOT NULL OR d.sign_due_at < %s) AS sign_due,
       count(*) FILTER (WHERE d.signed_on_time) AS sign_timely,
       count(*) FILTER (WHERE d.status = %s) AS closed,
       count(*) FILTER (WHERE d.status = %s AND d.closed_on_time) AS closed_on_time,
       count(*) FILTER (WHERE d.rating IS NOT NULL) AS rated,
       count(*) FILTER (WHERE d.rating >= %s) AS satisfied,
       count(*) FILTER (WHERE d.redo_count > 0) AS redone,
       coalesce(sum(d.return_count), 0) AS returns,
       coalesce(sum(d.dispatch_count), 0) AS dispatches,
       coalesce(sum(d.handle_working_days) FILTER (WHERE d.status = %s), 0) AS handle_days_sum,
       count(*) FILTER (WHERE d.status = %s AND d.handle_working_days IS NOT NULL) AS handle_days_n
FROM ({inner}) d
GROUP BY GROUPING SETS ((d.month), (d.demand_type), (d.category_id), (d.receiving_unit_id, d.lead_unit_id))
"""
INNER_COLUMNS = (
    "receiving_unit_id", "lead_unit_id", "demand_type", "category_id", "month", "status",
    "accept_decided_at", "accept_due_at", "accepted_on_time", "signed_at", "sign_due_at",
    "signed_on_time", "closed_on_time", "rating", "redo_count", "return_count", "dispatch_count",
    "handle_working_days",
)  # fmt: skip


def _grouping_sets(base: QuerySet[Demand], now: dt.datetime) -> Split:
    """PostgreSQL: the four groupings in one scan, JIT off (compiling costs more than it saves here)."""
    inner = base.annotate(month=TruncMonth("created_at", tzinfo=TZ)).values(*INNER_COLUMNS).order_by()
    inner_sql, inner_params = inner.query.sql_with_params()
    closed, rejected = Status.CLOSED.value, Status.REJECTED.value
    params = [rejected, now, now, closed, closed, int(SATISFIED_MIN), closed, closed, *inner_params]
    split = Split()
    without_jit()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '32MB'")  # the four hash tables in memory, not sorted on disk
        cursor.execute(GROUPED_SQL.format(inner=inner_sql), params)
        columns = [c[0] for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            counts = Counts(**{n: int(row[n] or 0) for n in COUNT_NAMES})
            if row["g_month"] == 0:
                split.by_month.append((row["month"], counts))
            elif row["g_type"] == 0:
                split.by_type.append((row["demand_type"], counts))
            elif row["g_category"] == 0:
                split.by_category.append((row["category_id"], counts))
            else:
                split.by_units.append((row, counts))
    return split


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=TZ),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=TZ),
    )


# Faster sources of the same figures, tried in turn before the grouped query: the analysis app (higher,
# not imported here) registers its pre-aggregated facts in its AppConfig.ready(). A source answers the
# exact StatsResult compute() would, or None when it cannot (then the demands are counted here).
StatsSource = Callable[[Any, Unit, dt.date, dt.date, dt.datetime], "StatsResult | None"]
_SOURCES: list[StatsSource] = []


def register_source(source: StatsSource) -> StatsSource:
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def compute(
    user: Any,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
    *,
    live: bool = False,
) -> StatsResult:
    """Statistics of UNIT (with descendants) for demands submitted in [START, END], within USER's scope.
    From a registered source when one answers, unless LIVE (count the demands here)."""
    now = now or timezone.now()
    if not live:
        for source in _SOURCES:
            found = source(user, unit, start, end, now)
            if found is not None:
                return found
    lo, hi = period_bounds(start, end)
    ids = subtree_unit_ids(unit)
    scope = getattr(user, "scope_unit", None) if getattr(user, "unit_id", None) else None
    if scope is not None and user.is_active and unit.path.startswith(scope.path):
        # Receiving office or lead unit in UNIT's subtree, itself inside the user's scope: the demand is
        # visible to the user (Demand.staff_filter), so the scope test need not run on every row.
        base = Demand.objects.all()
    else:
        base = Demand.objects.visible_to(user)
    base = base.filter(created_at__gte=lo, created_at__lt=hi).filter(
        Q(receiving_unit_id__in=ids) | Q(lead_unit_id__in=ids)
    )
    split = _grouping_sets(base, now) if connection.vendor == "postgresql" else _split(base, now)

    total = Counts()
    by_type: dict[str, Counts] = defaultdict(Counts)
    by_cat: dict[int, Counts] = defaultdict(Counts)
    by_month: dict[str, Counts] = defaultdict(Counts)
    categories = {c.pk: c for c in Category.objects.all()}
    for demand_type, counts in split.by_type:
        total.add(counts)
        by_type[demand_type].add(counts)
    for category_id, counts in split.by_category:
        cat = categories.get(category_id)
        top = cat.parent_id or cat.pk if cat is not None else 0
        by_cat[top].add(counts)
    for month, counts in split.by_month:
        by_month[_month_key(month)].add(counts)

    # Ranking: each active child unit's subtree, by the receiving or lead unit of each group.
    children = list(Unit.objects.filter(parent=unit, is_active=True).order_by("ordering", "id"))
    paths = dict(Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    by_child: dict[str, Counts] = defaultdict(Counts)
    width = len(unit.path) + SEGMENT
    for row, counts in split.by_units:
        keys = {paths.get(row["receiving_unit_id"], "")[:width]}
        if row["lead_unit_id"]:
            keys.add(paths.get(row["lead_unit_id"], "")[:width])
        for key in keys:
            if len(key) == width:
                by_child[key].add(counts)
    ranking = [(child, by_child[child.path].metrics()) for child in children if child.path in by_child]
    return assemble(unit, start, end, total, by_type, by_cat, categories, by_month, ranking)


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """Every month ("yyyy-mm") the period touches, in order."""
    months: list[str] = []
    cursor = start.replace(day=1)
    while cursor <= end:
        months.append(f"{cursor:%Y-%m}")
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def assemble(
    unit: Unit,
    start: dt.date,
    end: dt.date,
    total: Counts,
    by_type: Mapping[str, Counts],
    by_cat: Mapping[int, Counts],
    categories: Mapping[int, Category],
    by_month: Mapping[str, Counts],
    ranking: list[tuple[Unit, dict[str, Any]]],
) -> StatsResult:
    """The result from the summed counts (shared with the analysis app's pre-aggregated facts, so both
    present the same figures in the same order): types in their declared order, top categories in their
    ordering, every month of the period, units ranked by on-time closing, then satisfaction."""
    ranking = sorted(
        ranking,
        key=lambda x: (-(x[1]["on_time_close_rate"] or 0), -(x[1]["satisfaction_rate"] or 0), x[0].path),
    )
    type_labels = dict(DemandType.choices)
    return StatsResult(
        unit=unit,
        start=start,
        end=end,
        total=total.metrics(),
        by_type=[(type_labels[t], by_type[t].metrics()) for t in DemandType.values if t in by_type],
        by_category=[
            (categories[k].name if k in categories else "—", v.metrics())
            for k, v in sorted(
                by_cat.items(), key=lambda kv: categories[kv[0]].ordering if kv[0] in categories else 99
            )
        ],
        trend=[
            (m, by_month[m].metrics() if m in by_month else Counts().metrics())
            for m in months_between(start, end)
        ],
        ranking=ranking,
    )
