"""Analysis of obstacles (堵点难点): breakdowns, period-over-period change, concentration, top terms,
repeated problems and the leaders' dashboard.

Every figure starts from the same demand set as the statistics page (``demands.stats``): demands
visible to the user, submitted in the period (Asia/Shanghai), whose receiving office or lead unit is in
the unit's subtree. The dashboard's totals, trend, category table and ranking *are*
``demands.stats.compute`` — so the dashboard, the monthly report and the statistics page agree to the
unit by construction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from qinqing.analysis import fact_reads, text
from qinqing.analysis.models import DemandIndex, DemandTerm
from qinqing.core.scoping import subtree_unit_ids
from qinqing.demands.clocks import TZ
from qinqing.demands.models import OPEN_STATUSES, Category, Channel, Demand, DemandType, Status
from qinqing.demands.stats import StatsResult, compute, months_between, period_bounds
from qinqing.enterprises.industries import SECTION_CHOICES
from qinqing.enterprises.models import Ownership, Scale
from qinqing.orgs.models import SEGMENT, Unit

REPEAT_WINDOW = dt.timedelta(days=90)


def _within_scope(user: Any, unit: Unit) -> bool:
    """Whether UNIT lies in a staff user's scope: then "receiving office or lead unit in UNIT's subtree"
    already implies ``visible_to(user)`` (the staff rule OR-s the same two columns over a larger subtree)."""
    scope = getattr(user, "scope_unit", None)
    return (
        not getattr(user, "enterprise_id", None)
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and scope is not None
        and unit.path.startswith(scope.path)
    )


def demand_base(user: Any, unit: Unit, start: dt.date, end: dt.date) -> QuerySet[Demand]:
    """The statistics page's demand set (see module docstring). The subtree is a literal id list (a few
    hundred ids at most), which PostgreSQL plans better than the subquery on large tables; the
    ``visible_to`` condition is dropped when implied (``_within_scope``) — same rows, simpler plan."""
    lo, hi = period_bounds(start, end)
    ids = list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
    qs = Demand.objects.all() if _within_scope(user, unit) else Demand.objects.visible_to(user)
    return qs.filter(created_at__gte=lo, created_at__lt=hi).filter(
        Q(receiving_unit_id__in=ids) | Q(lead_unit_id__in=ids)
    )


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [START, END] (a calendar month maps to the month before)."""
    if start.day == 1 and (end + dt.timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        month0 = start.month - 1 - months
        p_start = dt.date(start.year + month0 // 12, month0 % 12 + 1, 1)
        return p_start, start - dt.timedelta(days=1)
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def stats_from_facts(
    user: Any, unit: Unit, start: dt.date, end: dt.date, now: dt.datetime
) -> StatsResult | None:
    """``demands.stats.compute`` from the pre-aggregated facts (registered as its source): for a unit in
    the user's scope, where the facts need no row-by-row ``visible_to``; None otherwise or when the
    facts cannot answer."""
    if not _within_scope(user, unit):
        return None
    found = fact_reads.figures(unit, start, end, now, mode=fact_reads.STATS)
    return found.stats if found is not None else None


# --- breakdowns -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    field: str  # the GROUP BY path
    labels: dict[str, str]


def _category_labels() -> dict[str, str]:
    return {str(c.pk): c.name for c in Category.objects.filter(parent__isnull=True)}


def dimensions() -> dict[str, Dimension]:
    return {
        "category": Dimension("category", "诉求分类", "top_category", _category_labels()),
        "type": Dimension("type", "诉求类型", "demand_type", dict(DemandType.choices)),
        "industry": Dimension("industry", "行业门类", "enterprise__industry_section", dict(SECTION_CHOICES)),
        "scale": Dimension("scale", "企业规模", "enterprise__scale", dict(Scale.choices)),
        "ownership": Dimension("ownership", "所有制", "enterprise__ownership", dict(Ownership.choices)),
        "channel": Dimension("channel", "来源渠道", "channel", dict(Channel.choices)),
    }


DIMENSION_KEYS = ("category", "type", "unit", "industry", "scale", "ownership", "channel", "month")
DIMENSION_LABELS = {
    "category": "诉求分类",
    "type": "诉求类型",
    "unit": "单位",
    "industry": "行业门类",
    "scale": "企业规模",
    "ownership": "所有制",
    "channel": "来源渠道",
    "month": "月份",
}


@dataclass
class Slice:
    key: str
    label: str
    count: int
    previous: int = 0
    closed: int = 0
    overdue: int = 0
    share: float = 0.0

    @property
    def change(self) -> float | None:
        return round(100.0 * (self.count - self.previous) / self.previous, 1) if self.previous else None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "previous": self.previous,
            "change_pct": self.change,
            "share_pct": self.share,
            "closed": self.closed,
            "overdue": self.overdue,
        }


def _with_top_category(qs: QuerySet[Demand]) -> Any:
    from django.db.models.functions import Coalesce

    return qs.annotate(top_category=Coalesce(F("category__parent_id"), F("category_id")))


def _grouped_two_periods(
    qs: Any, path: str, current_from: dt.datetime, now: dt.datetime
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """One grouped scan over both periods (QS spans the previous and the current one): per key, the
    current period's count, closed and overdue, and the previous period's count."""
    current = Q(created_at__gte=current_from)
    rows = (
        qs.values(path)
        .annotate(
            n=Count("id", filter=current),
            closed=Count("id", filter=current & Q(status=Status.CLOSED)),
            overdue=Count("id", filter=current & Q(status__in=OPEN_STATUSES, due_at__lt=now)),
            before=Count("id", filter=~current),
        )
        .order_by()
    )
    cur: dict[str, dict[str, int]] = {}
    prev: dict[str, dict[str, int]] = {}
    for r in rows:
        key = str(r[path])
        if r["n"]:
            cur[key] = {"n": r["n"], "closed": r["closed"], "overdue": r["overdue"]}
        if r["before"]:
            prev[key] = {"n": r["before"]}
    return cur, prev


def _child_units(unit: Unit) -> list[Unit]:
    return list(Unit.objects.filter(parent=unit, is_active=True).order_by("ordering", "id"))


def _by_child(qs: QuerySet[Demand], unit: Unit, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Counts per child unit of UNIT: a demand counts for the child holding its receiving office or its
    lead unit (once per child, as on the statistics page's ranking)."""
    rows = (
        qs.values("receiving_unit_id", "lead_unit_id")
        .annotate(
            n=Count("id"),
            closed=Count("id", filter=Q(status=Status.CLOSED)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        )
        .order_by()
    )
    paths = dict(Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    width = len(unit.path) + SEGMENT
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "closed": 0, "overdue": 0})
    for r in rows:
        keys = {paths.get(r["receiving_unit_id"], "")[:width]}
        if r["lead_unit_id"]:
            keys.add(paths.get(r["lead_unit_id"], "")[:width])
        for key in keys:
            if len(key) == width:
                for k in ("n", "closed", "overdue"):
                    out[key][k] += r[k]
    return out


def _by_month(qs: QuerySet[Demand], now: dt.datetime) -> dict[str, dict[str, int]]:
    rows = (
        qs.annotate(month=TruncMonth("created_at", tzinfo=TZ))
        .values("month")
        .annotate(
            n=Count("id"),
            closed=Count("id", filter=Q(status=Status.CLOSED)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        )
        .order_by()
    )
    out = {}
    for r in rows:
        month = r["month"]
        key = (
            timezone.localtime(month, TZ).strftime("%Y-%m")
            if isinstance(month, dt.datetime)
            else str(month)[:7]
        )
        out[key] = {"n": r["n"], "closed": r["closed"], "overdue": r["overdue"]}
    return out


def breakdown(
    user: Any, unit: Unit, start: dt.date, end: dt.date, dimension: str, now: dt.datetime | None = None
) -> list[Slice]:
    """Demand counts of the period by DIMENSION, with the previous period's count and the change."""
    if dimension not in DIMENSION_KEYS:
        raise ValueError(dimension)
    now = now or timezone.now()
    current = demand_base(user, unit, start, end)
    p_start, p_end = previous_period(start, end)
    before = demand_base(user, unit, p_start, p_end)
    if dimension == "unit":
        cur, prev = _by_child(current, unit, now), _by_child(before, unit, now)
        slices = [
            Slice(
                str(c.pk),
                c.display_name,
                cur[c.path]["n"],
                prev[c.path]["n"] if c.path in prev else 0,
                cur[c.path]["closed"],
                cur[c.path]["overdue"],
            )
            for c in _child_units(unit)
            if c.path in cur or c.path in prev
        ]
    elif dimension == "month":
        cur = _by_month(current, now)
        slices = [
            Slice(
                m,
                m,
                cur.get(m, {}).get("n", 0),
                0,
                cur.get(m, {}).get("closed", 0),
                cur.get(m, {}).get("overdue", 0),
            )
            for m in months_between(start, end)
        ]
    else:
        dim = dimensions()[dimension]
        both = demand_base(user, unit, p_start, end)
        if dimension == "category":
            both = _with_top_category(both)
        cur, prev = _grouped_two_periods(both, dim.field, period_bounds(start, end)[0], now)
        return _slices(dim, cur, prev)
    total = sum(s.count for s in slices) if dimension != "unit" else current.count()
    for s in slices:
        s.share = round(100.0 * s.count / total, 1) if total else 0.0
    return slices


@dataclass
class Concentration:
    category: Slice
    units: list[tuple[Unit, int]] = field(default_factory=list)


def top_obstacles(
    user: Any,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    n: int = 5,
    per: int = 3,
    categories: list[Slice] | None = None,
) -> list[Concentration]:
    """The N largest obstacle categories (top level) and, for each, the PER child units holding most of them."""
    categories = (categories if categories is not None else breakdown(user, unit, start, end, "category"))[:n]
    if not categories:
        return []
    qs = _with_top_category(demand_base(user, unit, start, end)).filter(
        top_category__in=[int(c.key) for c in categories if c.key.isdigit()]
    )
    rows = qs.values("top_category", "receiving_unit_id", "lead_unit_id").annotate(n=Count("id")).order_by()
    paths = dict(Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    children = {c.path: c for c in _child_units(unit)}
    width = len(unit.path) + SEGMENT
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        keys = {paths.get(r["receiving_unit_id"], "")[:width]}
        if r["lead_unit_id"]:
            keys.add(paths.get(r["lead_unit_id"], "")[:width])
        for key in keys:
            if key in children:
                counts[str(r["top_category"])][key] += r["n"]
    out = []
    for c in categories:
        ranked = sorted(counts[c.key].items(), key=lambda kv: (-kv[1], kv[0]))[:per]
        out.append(Concentration(c, [(children[p], k) for p, k in ranked]))
    return out


# --- top terms ------------------------------------------------------------------------------------------
def _term_frequencies(
    user: Any, unit: Unit, start: dt.date, end: dt.date, category: Category | None
) -> Counter[str]:
    """Document frequency of every term over the period's demands. One grouped query over the
    per-demand index (one row per demand, not per term): identical term sets collapse in SQL and are
    expanded here."""
    base = demand_base(user, unit, start, end)
    if category is not None:
        base = base.filter(Q(category=category) | Q(category__parent=category))
    lo, hi = period_bounds(start, end)
    rows = (
        DemandIndex.objects.filter(created_at__gte=lo, created_at__lt=hi, demand_id__in=base.values("pk"))
        .values("terms")
        .annotate(n=Count("demand_id"))
        .order_by()
    )
    counts: Counter[str] = Counter()
    for row in rows.iterator(chunk_size=5000):
        n = row["n"]
        for term in row["terms"].split():
            counts[term] += n
    return counts


def term_counts(
    user: Any,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    *,
    category: Category | None = None,
    limit: int | None = 20,
) -> list[tuple[str, int]]:
    """The terms found in the most demands of the period, ties by term."""
    ranked = sorted(
        _term_frequencies(user, unit, start, end, category).items(), key=lambda kv: (-kv[1], kv[0])
    )
    return ranked[:limit] if limit is not None else ranked


def top_terms(
    user: Any,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    *,
    category: Category | None = None,
    limit: int = 20,
    use_facts: bool = True,
) -> list[text.Trend]:
    """Top terms of the period with their count in the previous period (trend). Without a category and
    for a unit in the user's scope, from the pre-aggregated facts (same counts, ``analysis.facts``)."""
    if use_facts and category is None and _within_scope(user, unit):
        found = fact_reads.figures(unit, start, end, timezone.now(), only_terms=True)
        if found is not None:
            ranked = sorted(found.terms.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            return text.with_trend(ranked, found.terms_before) if ranked else []
    current = term_counts(user, unit, start, end, category=category, limit=limit)
    if not current:
        return []
    p_start, p_end = previous_period(start, end)
    prev = _term_frequencies(user, unit, p_start, p_end, category)
    return text.with_trend(current, prev)


def top_terms_by_category(
    user: Any, unit: Unit, start: dt.date, end: dt.date, per: int = 5
) -> list[tuple[str, list[text.Trend]]]:
    out = []
    for c in Category.objects.filter(parent__isnull=True, is_active=True).order_by("ordering", "id"):
        trends = top_terms(user, unit, start, end, category=c, limit=per)
        if trends:
            out.append((c.name, trends))
    return out


# --- repeated problems ------------------------------------------------------------------------------------
def repeated_problems(user: Any, unit: Unit, start: dt.date, end: dt.date) -> QuerySet[Demand]:
    """Demands of the period whose enterprise raised a demand of the same category in the 90 days before."""
    earlier = Demand.objects.filter(
        enterprise_id=OuterRef("enterprise_id"),
        category_id=OuterRef("category_id"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - REPEAT_WINDOW,
    )
    return (
        demand_base(user, unit, start, end)
        .filter(Exists(earlier))
        .select_related("enterprise", "category__parent", "receiving_unit", "lead_unit")
        .order_by("-created_at")
    )


def enterprises_with_open_demands(user: Any, unit: Unit, minimum: int = 3) -> list[dict[str, Any]]:
    """Enterprises with at least MINIMUM open demands in the unit's subtree (any submission date)."""
    ids = subtree_unit_ids(unit)
    rows = (
        Demand.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(receiving_unit_id__in=ids) | Q(lead_unit_id__in=ids))
        .values("enterprise_id", "enterprise__name")
        .annotate(n=Count("id"))
        .filter(n__gte=minimum)
        .order_by("-n", "enterprise__name")
    )
    return [
        {"enterprise_id": r["enterprise_id"], "enterprise": r["enterprise__name"], "open": r["n"]}
        for r in rows
    ]


# --- the dashboard -------------------------------------------------------------------------------------------
@dataclass
class Dashboard:
    unit: Unit
    start: dt.date
    end: dt.date
    stats: StatsResult
    categories: list[Slice]
    industries: list[Slice]
    scales: list[Slice]
    ownerships: list[Slice]
    channels: list[Slice]
    obstacles: list[Concentration]
    terms: list[text.Trend]
    overdue: list[Demand]
    overdue_count: int
    coverage: Any
    visits_by_month: list[tuple[str, int]]

    @property
    def red_list(self) -> list[tuple[Unit, dict[str, Any]]]:
        return self.stats.ranking[:5]

    @property
    def black_list(self) -> list[tuple[Unit, dict[str, Any]]]:
        ranked = self.stats.ranking
        return list(reversed(ranked[5:]))[:5] if len(ranked) > 5 else []

    def as_json(self) -> dict[str, Any]:
        cov = self.coverage
        return {
            **self.stats.as_json(),
            "categories": [s.as_json() for s in self.categories],
            "industries": [s.as_json() for s in self.industries],
            "scales": [s.as_json() for s in self.scales],
            "ownerships": [s.as_json() for s in self.ownerships],
            "channels": [s.as_json() for s in self.channels],
            "obstacles": [
                {
                    **o.category.as_json(),
                    "units": [{"unit_id": u.pk, "unit": u.name, "count": n} for u, n in o.units],
                }
                for o in self.obstacles
            ],
            "top_terms": [
                {"term": t.term, "count": t.count, "previous": t.previous, "trend": t.arrow}
                for t in self.terms
            ],
            "overdue_count": self.overdue_count,
            "overdue": [
                {
                    "id": d.pk,
                    "number": d.number,
                    "title": d.title,
                    "unit": (d.lead_unit or d.coordinating_unit).name,
                    "due_at": d.due_at.isoformat() if d.due_at else None,
                }
                for d in self.overdue
            ],
            "coverage": {
                "enterprises": cov.enterprises,
                "covered": cov.covered,
                "coverage_rate": cov.coverage_rate,
                "leaders": cov.leaders,
                "leaders_below_quota": cov.leaders_below_quota,
                "visits_overdue": cov.visits_overdue,
                "visits_due_soon": cov.visits_due_soon,
                "visits_in_period": cov.visits_in_period,
            },
            "visits_by_month": [{"month": m, "visits": n} for m, n in self.visits_by_month],
        }


def overdue_demands(
    user: Any, unit: Unit, start: dt.date, end: dt.date, now: dt.datetime
) -> QuerySet[Demand]:
    return (
        demand_base(user, unit, start, end)
        .filter(status__in=OPEN_STATUSES, due_at__lt=now)
        .select_related("lead_unit", "coordinating_unit", "category")
        .order_by("due_at", "id")
    )


DASHBOARD_DIMENSIONS = ("category", "industry", "scale", "ownership", "channel")
_SET_COLUMNS = {
    "category": "COALESCE(c.parent_id, c.id)",
    "type": "d.demand_type",
    "industry": "e.industry_section",
    "scale": "e.scale",
    "ownership": "e.ownership",
    "channel": "d.channel",
}


def _breakdowns_grouping_sets(
    unit: Unit, start: dt.date, end: dt.date, keys: tuple[str, ...], now: dt.datetime
) -> dict[str, list[Slice]]:
    """PostgreSQL: every breakdown of KEYS for both periods in one scan (GROUPING SETS). Same rows and
    figures as ``breakdown`` for a unit inside the user's scope (tested against it on PostgreSQL)."""
    from django.db import connection

    p_start, _ = previous_period(start, end)
    lo, _ = period_bounds(p_start, end)
    current_from, hi = period_bounds(start, end)
    ids = list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
    columns = [_SET_COLUMNS[k] for k in keys]
    grouping = ", ".join(f"GROUPING({col})" for col in columns)
    open_statuses = [str(x) for x in OPEN_STATUSES]
    sql = (
        f"SELECT {', '.join(columns)}, {grouping}, "  # noqa: S608 - fixed column names, values are parameters
        "COUNT(*) FILTER (WHERE d.created_at >= %s), "
        "COUNT(*) FILTER (WHERE d.created_at >= %s AND d.status = %s), "
        "COUNT(*) FILTER (WHERE d.created_at >= %s AND d.status = ANY(%s) AND d.due_at < %s), "
        "COUNT(*) FILTER (WHERE d.created_at < %s) "
        "FROM demands_demand d JOIN enterprises_enterprise e ON e.id = d.enterprise_id "
        "JOIN demands_category c ON c.id = d.category_id "
        "WHERE d.created_at >= %s AND d.created_at < %s AND (d.receiving_unit_id = ANY(%s) OR d.lead_unit_id = ANY(%s)) "
        f"GROUP BY GROUPING SETS ({', '.join(f'({col})' for col in columns)})"
    )
    params: list[Any] = [current_from, current_from, Status.CLOSED, current_from, open_statuses, now, current_from,
              lo, hi, ids, ids]  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    n = len(keys)
    dims = dimensions()
    found: dict[str, tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]] = {
        k: ({}, {}) for k in keys
    }
    for row in rows:
        flags = row[n : 2 * n]
        index = next(i for i, g in enumerate(flags) if g == 0)
        key = str(row[index])
        count, closed, overdue, before = row[2 * n :]
        cur_map, prev_map = found[keys[index]]
        if count:
            cur_map[key] = {"n": count, "closed": closed, "overdue": overdue}
        if before:
            prev_map[key] = {"n": before}
    return {k: _slices(dims[k], *found[k]) for k in keys}


def _slices(dim: Dimension, cur: dict[str, dict[str, int]], prev: dict[str, dict[str, int]]) -> list[Slice]:
    keys = [k for k in dim.labels if k in cur or k in prev] + [k for k in cur if k not in dim.labels]
    slices = [
        Slice(
            k,
            dim.labels.get(k, "—"),
            cur.get(k, {}).get("n", 0),
            prev.get(k, {}).get("n", 0),
            cur.get(k, {}).get("closed", 0),
            cur.get(k, {}).get("overdue", 0),
        )
        for k in keys
    ]
    slices.sort(key=lambda s: (-s.count, s.key))
    total = sum(s.count for s in slices)
    for s in slices:
        s.share = round(100.0 * s.count / total, 1) if total else 0.0
    return slices


def dashboard_breakdowns(
    user: Any, unit: Unit, start: dt.date, end: dt.date, now: dt.datetime
) -> dict[str, list[Slice]]:
    from django.db import connection

    if connection.vendor == "postgresql" and _within_scope(user, unit):
        return _breakdowns_grouping_sets(unit, start, end, DASHBOARD_DIMENSIONS, now)
    return {k: breakdown(user, unit, start, end, k, now) for k in DASHBOARD_DIMENSIONS}


def _overdue_by_key(overdue: QuerySet[Demand]) -> tuple[int, dict[str, Counter[str]]]:
    """The overdue demands (few: open with a passed deadline) counted per breakdown key."""
    rows = _with_top_category(overdue.order_by()).values_list(
        "top_category",
        "enterprise__industry_section",
        "enterprise__scale",
        "enterprise__ownership",
        "channel",
    )
    by_key: dict[str, Counter[str]] = {k: Counter() for k in DASHBOARD_DIMENSIONS}
    total = 0
    for values in rows:
        total += 1
        for dim, value in zip(("category", "industry", "scale", "ownership", "channel"), values, strict=True):
            by_key[dim][str(value)] += 1
    return total, by_key


def _fact_slices(found: fact_reads.FactFigures, late: dict[str, Counter[str]]) -> dict[str, list[Slice]]:
    dims = dimensions()
    out = {}
    for dim in DASHBOARD_DIMENSIONS:
        cur = {
            k: {"n": v[0], "closed": v[1], "overdue": late[dim].get(k, 0)}
            for k, v in found.current[dim].items()
        }
        prev = {k: {"n": n} for k, n in found.previous[dim].items()}
        out[dim] = _slices(dims[dim], cur, prev)
    return out


def _fact_obstacles(
    found: fact_reads.FactFigures, unit: Unit, categories: list[Slice], n: int = 5, per: int = 3
) -> list[Concentration]:
    """``top_obstacles`` from the facts' per-child category counts (same ranking: count, then path)."""
    children = {c.pk: c for c in _child_units(unit)}
    out = []
    for c in categories[:n]:
        counts = [
            (children[pk].path, k, pk) for pk, k in found.obstacles.get(c.key, {}).items() if pk in children
        ]
        ranked = sorted(counts, key=lambda x: (-x[1], x[0]))[:per]
        out.append(Concentration(c, [(children[pk], k) for _, k, pk in ranked]))
    return out


def dashboard(
    user: Any,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
    *,
    use_facts: bool = True,
) -> Dashboard:
    """Everything the leaders' dashboard shows. For a unit in the user's scope the demand figures come
    from the pre-aggregated facts (``analysis.facts``: equal to the live figures, tested), otherwise
    (or with USE_FACTS=False) they are computed from the demands."""
    from qinqing.liaison.models import Visit
    from qinqing.liaison.queries import coverage_summary

    now = now or timezone.now()
    overdue = overdue_demands(user, unit, start, end, now)
    found = fact_reads.figures(unit, start, end, now) if use_facts and _within_scope(user, unit) else None
    if found is not None:
        overdue_count, late = _overdue_by_key(overdue)
        slices = _fact_slices(found, late)
        stats = found.stats
        obstacles = _fact_obstacles(found, unit, slices["category"])
        ranked = sorted(found.terms.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        terms = text.with_trend(ranked, found.terms_before) if ranked else []
    else:
        slices = dashboard_breakdowns(user, unit, start, end, now)
        stats = compute(user, unit, start, end, now, live=True)
        obstacles = top_obstacles(user, unit, start, end, categories=slices["category"])
        terms = top_terms(user, unit, start, end, use_facts=False)
        overdue_count = overdue.count()
    categories = slices["category"]
    visits = (
        Visit.objects.visible_to(user)
        .filter(visited_on__range=(start, end), enterprise__registered_unit__path__startswith=unit.path)
        .annotate(month=TruncMonth("visited_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    by_month = {f"{r['month']:%Y-%m}": r["n"] for r in visits}
    return Dashboard(
        unit=unit,
        start=start,
        end=end,
        stats=stats,
        categories=categories,
        industries=slices["industry"],
        scales=slices["scale"],
        ownerships=slices["ownership"],
        channels=slices["channel"],
        obstacles=obstacles,
        terms=terms,
        overdue=list(overdue[:20]),
        overdue_count=overdue_count,
        coverage=coverage_summary(user, min(end, timezone.localdate()), unit=unit, period=(start, end)),
        visits_by_month=[(m, by_month.get(m, 0)) for m in months_between(start, end)],
    )


def drill_down(
    user: Any,
    unit: Unit,
    start: dt.date,
    end: dt.date,
    dimension: str,
    key: str,
    now: dt.datetime | None = None,
) -> QuerySet[Demand]:
    """The demands behind one bar or slice of the dashboard."""
    now = now or timezone.now()
    qs = demand_base(user, unit, start, end)
    if dimension == "all":
        pass
    elif dimension == "category" and key.isdigit():
        qs = qs.filter(Q(category_id=int(key)) | Q(category__parent_id=int(key)))
    elif dimension == "unit" and key.isdigit():
        child = Unit.objects.filter(pk=int(key), path__startswith=unit.path).first()
        if child is None:
            return qs.none()
        ids = subtree_unit_ids(child)
        qs = qs.filter(Q(receiving_unit_id__in=ids) | Q(lead_unit_id__in=ids))
    elif dimension == "month" and len(key) == 7:
        year, month = int(key[:4]), int(key[5:])
        lo = dt.datetime(year, month, 1, tzinfo=TZ)
        hi = (lo + dt.timedelta(days=32)).replace(day=1)
        qs = qs.filter(created_at__gte=lo, created_at__lt=hi)
    elif dimension == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    elif dimension == "term":
        lo, hi = period_bounds(start, end)
        qs = qs.filter(
            pk__in=DemandTerm.objects.filter(term=key, created_at__gte=lo, created_at__lt=hi).values(
                "demand_id"
            )
        )
    elif dimension in ("type", "industry", "scale", "ownership", "channel"):
        qs = qs.filter(**{dimensions()[dimension].field: key})
    else:
        return qs.none()
    return qs.select_related("enterprise", "category__parent", "receiving_unit", "lead_unit").order_by(
        "-created_at", "-id"
    )
