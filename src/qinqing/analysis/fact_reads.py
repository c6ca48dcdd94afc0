"""Reading the pre-aggregated facts (``analysis.facts``): the dashboard's and the statistics page's
figures of a unit (with descendants) and period, exactly equal to the live computation.

A read has two parts:

- **the stored part**, a function of the facts' state (``FactState.version``) alone: the whole months of
  the period (and of the previous one) from ``MonthlyFact``/``TermFact`` — the unit's own rows and its
  children's for the ranking, 12 × (keys) rows for a year whatever the size of the demands table — and
  the partial months at either end from the ``DemandFact`` rows of those days (the days in the period,
  or the whole month minus the days outside it, whichever reads fewer rows). It is kept in the cache
  (Redis in production) under the version, the unit, the period, the plan, the children and the
  category tree, so it is read from the tables once per fact update (the queue job commits every 10 s
  at most, and only when something changed);
- **the live part**, read on every request with bounded, indexed queries: the "now" parts (demands of
  the period whose 受理 or 签收 deadline has passed undecided or unsigned: the partial indexes on
  ``DemandFact.accept_open_due``/``sign_open_due``) and the correction for the pending demands (queued,
  not yet processed): minus their stored row wherever the stored part counted it, plus their row
  derived now.

``FactState.version`` moves with every commit of the job; a read that saw it move is repeated (and
caches nothing). When the facts cannot answer (too many pending demands) ``figures()`` returns None and
the caller computes live.
"""

# The SQL here is built from fixed table and column names; every value is a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from qinqing.analysis import facts as _facts
from qinqing.analysis.facts import (
    CLOSED_AT,
    DIM_COLUMN,
    FACT_COUNTERS,
    FACT_FIELDS,
    _add,
    _db_time,
    _zero,
    counts,
    derived_rows,
    month_key,
    units_of,
    vector,
)
from qinqing.analysis.models import DemandFact, MonthlyFact, TermFact
from qinqing.demands.clocks import TZ
from qinqing.demands.models import Category
from qinqing.demands.stats import Counts, StatsResult, assemble
from qinqing.orgs.models import SEGMENT, Unit

logger = logging.getLogger(__name__)

# What a read needs: everything the dashboard shows, the top terms only, or the statistics page's
# figures only (the period's totals, types, categories, months and the children's ranking).
ALL, TERMS, STATS = "all", "terms", "stats"
CACHE_SECONDS = 3600  # an entry is keyed by the facts' version: a newer version never reads it
CACHE_PREFIX = "analysis:figures:v1:"


def month_of(day: dt.date) -> int:
    return day.year * 100 + day.month


Range = tuple[dt.datetime, dt.datetime, int]  # [lo, hi) and +1 (add its rows) or -1 (take them away)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def plan_period(start: dt.date, end: dt.date, today: dt.date) -> tuple[list[int], list[Range]]:
    """How to sum the demands submitted in [START, END]: the months (yyyymm) taken from the monthly
    sums, and the ranges of stored fact rows to add or take away. A month partly in the period is
    either its days in the period (added) or the whole month minus its days outside (taken away),
    whichever reads fewer days (days after TODAY hold no demands yet, so they cost nothing)."""
    months: list[int] = []
    ranges: list[Range] = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        last = following - dt.timedelta(days=1)
        lo, hi = max(first, start), min(last, end)
        if lo == first and hi == last:
            months.append(month_of(first))
        else:
            outside = [
                (a, b)
                for a, b in ((first, lo - dt.timedelta(days=1)), (hi + dt.timedelta(days=1), last))
                if a <= b
            ]

            def cost(a: dt.date, b: dt.date) -> int:
                return max(0, (min(b, today) - a).days + 1)

            if sum(cost(a, b) for a, b in outside) < cost(lo, hi):
                months.append(month_of(first))
                ranges += [(_midnight(a), _midnight(b + dt.timedelta(days=1)), -1) for a, b in outside]
            else:
                ranges.append((_midnight(lo), _midnight(hi + dt.timedelta(days=1)), 1))
        first = following
    return months, ranges


BREAKDOWN_DIMS = ("category", "industry", "scale", "ownership", "channel")


@dataclass
class FactFigures:
    """What the dashboard shows, from the facts (``queries.dashboard`` turns it into slices)."""

    stats: Any  # demands.stats.StatsResult
    # dimension -> key -> [count, closed] in the period and [count] in the previous one
    current: dict[str, dict[str, list[int]]]
    previous: dict[str, dict[str, int]]
    obstacles: dict[str, Counter[int]]  # top category id -> child unit id -> demands
    terms: Counter[str]
    terms_before: Counter[str]


def _pair() -> list[int]:
    return [0, 0]


class _Figures:
    """Accumulates the dashboard's sums for UNIT over the period and the previous one."""

    SUMS = ("by_type", "by_category", "by_month", "by_child", "current", "previous", "obstacles")

    def __init__(
        self,
        unit: Unit,
        children: list[Unit],
        periods: dict[str, tuple[dt.datetime, dt.datetime]],
        now: dt.datetime,
        top_of: dict[int, int],
    ) -> None:
        self.unit = unit
        self.children = {c.pk: c for c in children}
        self.child_of_path = {c.path: c.pk for c in children}
        self.periods = periods
        self.now = now
        self.top_of = top_of
        self.by_type: dict[str, list[int]] = defaultdict(_zero)
        self.by_category: dict[int, list[int]] = defaultdict(_zero)
        self.by_month: dict[str, list[int]] = defaultdict(_zero)
        self.by_child: dict[int, list[int]] = defaultdict(_zero)
        self.current: dict[str, dict[str, list[int]]] = {d: defaultdict(_pair) for d in BREAKDOWN_DIMS}
        self.previous: dict[str, Counter[str]] = {d: Counter() for d in BREAKDOWN_DIMS}
        self.obstacles: dict[str, Counter[int]] = defaultdict(Counter)
        self.terms: Counter[str] = Counter()
        self.terms_before: Counter[str] = Counter()

    # --- the stored part in the cache: plain dicts and lists
    def dump(self) -> dict[str, Any]:
        return {
            "by_type": dict(self.by_type),
            "by_category": dict(self.by_category),
            "by_month": dict(self.by_month),
            "by_child": dict(self.by_child),
            "current": {d: dict(v) for d, v in self.current.items()},
            "previous": {d: dict(v) for d, v in self.previous.items()},
            "obstacles": {k: dict(v) for k, v in self.obstacles.items()},
            "terms": dict(self.terms),
            "terms_before": dict(self.terms_before),
        }

    def load(self, stored: dict[str, Any]) -> None:
        """The sums of DUMP (a fresh copy: the cache hands out unpickled objects)."""
        self.by_type.update(stored["by_type"])
        self.by_category.update(stored["by_category"])
        self.by_month.update(stored["by_month"])
        self.by_child.update(stored["by_child"])
        for d in BREAKDOWN_DIMS:
            self.current[d].update(stored["current"][d])
            self.previous[d].update(stored["previous"][d])
        for k, v in stored["obstacles"].items():
            self.obstacles[k].update(v)
        self.terms.update(stored["terms"])
        self.terms_before.update(stored["terms_before"])

    def key(self, dim: str, value: Any) -> str:
        if dim == "category":
            return str(self.top_of.get(int(value), 0))
        return str(value)

    def slice(self, dim: str, value: Any, current: bool, n: int, closed: int) -> None:
        key = self.key(dim, value)
        if current:
            entry = self.current[dim][key]
            entry[0] += n
            entry[1] += closed
        else:
            self.previous[dim][key] += n

    def stats(self, month: str, demand_type: str, vec: Sequence[int], sign: int = 1) -> None:
        _add(self.by_type[demand_type], vec, sign)
        _add(self.by_month[month], vec, sign)

    def child_ids(self, *paths: str) -> set[int]:
        return {self.child_of_path[p] for p in paths if p in self.child_of_path}

    def _count(
        self, row: dict[str, Any], units: set[int], current: bool, vec: list[int], sign: int, *, own: bool
    ) -> None:
        """Count ROW (OWN: for the unit itself too, not only for its children) in the period (CURRENT)
        or the previous one."""
        words = row["terms"].split() if row["terms"] else []
        if own:
            for dim in BREAKDOWN_DIMS:
                self.slice(dim, row[DIM_COLUMN[dim]], current, sign, sign * vec[CLOSED_AT])
            for w in words:
                (self.terms if current else self.terms_before)[w] += sign
            if current:
                self.stats(month_key(row["month"]), row["demand_type"], vec, sign)
                _add(self.by_category[row["category_id"]], vec, sign)
        if current:
            top = self.key("category", row["category_id"])
            for child in units & set(self.children):
                _add(self.by_child[child], vec, sign)
                self.obstacles[top][child] += sign

    def add_live(self, row: dict[str, Any]) -> None:
        """A pending demand's row derived now: counted when submitted in either period and in the unit."""
        units = units_of(row["r_path"], row["l_path"])
        if self.unit.pk not in units:
            return
        at = row["created_at"]
        lo, hi = self.periods["current"]
        p_lo, p_hi = self.periods["previous"]
        if lo <= at < hi or p_lo <= at < p_hi:
            self._count(row, units, lo <= at < hi, vector(row, self.now), 1, own=True)

    def remove_stored(self, row: dict[str, Any], plan: Plan) -> None:
        """A pending demand's stored row, taken away as often as the stored part counted it: once for
        a whole month of the period, plus the sign of each partial-month range holding it (0 or 1 in
        all). The children's monthly sums are read by their ids, so a row stored under a unit that has
        since moved below UNIT counts there even when UNIT itself does not hold it (the ranges, read by
        UNIT's path, do not). Not the "now" parts: the live read skips pending demands."""
        units = units_of(row["r_path"], row["l_path"])
        own = self.unit.pk in units
        at = row["created_at"]
        for current, months in ((True, plan.months), (False, plan.before)):
            weight = int(row["month"] in months)
            if own:
                weight += sum(sign for cur, (lo, hi, sign) in plan.ranges if cur == current and lo <= at < hi)
            if weight:
                self._count(row, units, current, vector(row, None), -weight, own=own)


@dataclass(frozen=True)
class Plan:
    """Where the stored part of a period's read comes from (``plan_period`` of both periods)."""

    months: list[int]
    before: list[int]
    ranges: list[tuple[bool, Range]]  # (current period?, range)


def _edge_sql(ranges: int, mode: str) -> str:
    counters = ", ".join(FACT_COUNTERS)
    sums = ", ".join(f"SUM(sgn * {c})" for c in FACT_COUNTERS) + ", 0, 0"  # no "now" parts here
    zeros = ", ".join("0" for _ in FACT_COUNTERS) + ", 0, 0"
    child = "CASE WHEN {p} LIKE %s AND length({p}) >= %s THEN substr({p}, 1, %s) ELSE '' END"
    one = (
        "SELECT %s AS cur, %s AS sgn, month, demand_type, category_id, channel, industry, scale, ownership, "
        f"terms, {child.format(p='r_path')} AS cr, {child.format(p='l_path')} AS cl, {counters} "
        "FROM analysis_demandfact WHERE created_at >= %s AND created_at < %s AND (r_path LIKE %s OR l_path LIKE %s)"
    )
    parts = [
        "SELECT 'type', cur, month, demand_type, cr, cl, SUM(sgn), "
        f"{sums} FROM e WHERE cur = 1 GROUP BY cur, month, demand_type, cr, cl",
        "SELECT 'category', cur, 0, CAST(category_id AS VARCHAR(20)), cr, cl, SUM(sgn), "
        f"{sums} FROM e GROUP BY cur, category_id, cr, cl",
        *(
            f"SELECT '{dim}', cur, 0, {dim}, '', '', SUM(sgn), {sums} FROM e GROUP BY cur, {dim}"
            for dim in ("channel", "industry", "scale", "ownership")
        ),
        f"SELECT 'terms', cur, 0, terms, '', '', SUM(sgn), {zeros} FROM e WHERE terms <> '' GROUP BY cur, terms",
    ]
    if mode == TERMS:
        parts = parts[-1:]
    elif mode == STATS:
        parts = parts[:2]
    return f"WITH e AS ({' UNION ALL '.join([one] * ranges)}) " + " UNION ALL ".join(parts)


def _read_edges(fig: _Figures, ranges: list[tuple[bool, Range]], mode: str) -> None:
    """The stored fact rows of RANGES (the partial months; (current period?, range)), added or taken
    away by the range's sign (pending demands included: the correction takes their stored rows away)."""
    if mode == STATS:
        ranges = [r for r in ranges if r[0]]  # the statistics have no previous period
    if not ranges:
        return
    like, width = fig.unit.path + "%", len(fig.unit.path) + SEGMENT
    params: list[Any] = []
    for current, (lo, hi, sign) in ranges:
        params += [int(current), sign, like, width, width, like, width, width]
        params += [_db_time(lo), _db_time(hi), like, like]
    with connection.cursor() as cursor:
        cursor.execute(_edge_sql(len(ranges), mode), params)
        rows = cursor.fetchall()
    for grouping, cur, month, key, cr, cl, *vals in rows:
        current = bool(cur)
        vec = [int(v or 0) for v in vals]
        if grouping == "terms":
            target = fig.terms if current else fig.terms_before
            for w in str(key).split():
                target[w] += vec[0]
            continue
        if grouping == "type":
            fig.stats(month_key(int(month)), key, vec)
            for child in fig.child_ids(cr, cl):
                _add(fig.by_child[child], vec)
            continue
        fig.slice(grouping, key, current, vec[0], vec[CLOSED_AT])
        if grouping == "category" and current:
            _add(fig.by_category[int(key)], vec)
            top = fig.key("category", key)
            for child in fig.child_ids(cr, cl):
                fig.obstacles[top][child] += vec[0]


def _read_months(fig: _Figures, months: list[int], before: list[int], mode: str) -> None:
    """Whole months from the monthly sums: UNIT's own, and its children's for the ranking."""
    if mode == STATS:
        before = []
    if mode != STATS:
        for period, target in ((months, fig.terms), (before, fig.terms_before)):
            if period:
                for term, n in (
                    TermFact.objects.filter(unit_id=fig.unit.pk, month__in=period)
                    .values("term")
                    .annotate(total=Sum("n"))
                    .values_list("term", "total")
                ):
                    target[term] += int(n)
    if mode == TERMS:
        return
    counters = ["submitted", *FACT_COUNTERS]
    current = set(months)
    own = MonthlyFact.objects.filter(unit_id=fig.unit.pk, month__in=[*months, *before])
    if mode == STATS:
        own = own.filter(dim__in=["type", "category"])
    for dim, month, key, *vals in own.values_list("dim", "month", "key", *counters):
        vec = [*vals, 0, 0]
        is_current = month in current
        if dim in BREAKDOWN_DIMS:
            fig.slice(dim, key, is_current, vec[0], vec[CLOSED_AT])
        if not is_current:
            continue
        if dim == "type":
            fig.stats(month_key(month), key, vec)
        elif dim == "category":
            _add(fig.by_category[int(key)], vec)
    if months and fig.children:
        rows = MonthlyFact.objects.filter(
            unit_id__in=list(fig.children), month__in=months, dim__in=["type", "category"]
        ).values_list("unit_id", "dim", "key", *counters)
        for unit_id, dim, key, *vals in rows:
            if dim == "type":
                _add(fig.by_child[unit_id], [*vals, 0, 0])
            else:
                fig.obstacles[fig.key("category", key)][unit_id] += vals[0]


def _read_late(fig: _Figures, pending: list[int]) -> None:
    """The "now" parts of the period: its demands whose 受理 or 签收 deadline has passed undecided or
    unsigned (a few: the partial indexes on the two columns hold only the running deadlines)."""
    now = fig.now
    lo, hi = fig.periods["current"]
    rows = (
        DemandFact.objects.filter(Q(accept_open_due__lt=now) | Q(sign_open_due__lt=now))
        .filter(created_at__gte=lo, created_at__lt=hi)
        .filter(Q(r_path__startswith=fig.unit.path) | Q(l_path__startswith=fig.unit.path))
        .exclude(demand_id__in=pending)
        .values_list(
            "month", "demand_type", "category_id", "r_path", "l_path", "accept_open_due", "sign_open_due"
        )
    )
    for month, demand_type, category_id, r_path, l_path, accept_due, sign_due in rows:
        vec = _zero()
        vec[-2] = int(accept_due is not None and accept_due < now)
        vec[-1] = int(sign_due is not None and sign_due < now)
        fig.stats(month_key(month), demand_type, vec)
        _add(fig.by_category[category_id], vec)
        for child in units_of(r_path, l_path) & set(fig.children):
            _add(fig.by_child[child], vec)


def _stats_result(fig: _Figures, start: dt.date, end: dt.date, children: list[Unit]) -> StatsResult:
    """``demands.stats.StatsResult`` from the sums, assembled exactly as ``demands.stats.compute`` does."""
    total = Counts()
    by_type: dict[str, Counts] = {}
    for t in sorted(fig.by_type):
        vec = fig.by_type[t]
        if vec[0] > 0:
            by_type[t] = counts(vec)
            total.add(by_type[t])
    categories = {c.pk: c for c in Category.objects.all()}
    by_cat: dict[int, Counts] = defaultdict(Counts)
    for leaf in sorted(fig.by_category):
        vec = fig.by_category[leaf]
        if vec[0] > 0:
            cat = categories.get(leaf)
            top = cat.parent_id or cat.pk if cat is not None else 0
            by_cat[top].add(counts(vec))
    by_month = {m: counts(v) for m, v in fig.by_month.items() if v[0] > 0}
    ranking = [
        (child, counts(fig.by_child[child.pk]).metrics())
        for child in children
        if child.pk in fig.by_child and fig.by_child[child.pk][0] > 0
    ]
    return assemble(fig.unit, start, end, total, by_type, by_cat, categories, by_month, ranking)


def _cache_key(
    seen: tuple[int, int], unit: Unit, plan: Plan, mode: str, children: list[Unit], top_of: dict[int, int]
) -> str:
    """Everything the stored part depends on: the facts' version, the unit's path, the plan, the
    children (their ids and paths) and the category tree."""
    ident = repr(
        (
            unit.pk,
            unit.path,
            plan,
            mode,
            [(c.pk, c.path) for c in children],
            sorted(top_of.items()),
        )
    )
    return f"{CACHE_PREFIX}{seen[0]}.{seen[1]}:{hashlib.sha256(ident.encode()).hexdigest()[:40]}"


def _cache_get(key: str) -> dict[str, Any] | None:
    try:
        found = cache.get(key)
    except Exception:  # the shared cache being down must not stop the dashboard: read the tables
        logger.warning("analysis figures: cache unreachable", exc_info=True)
        return None
    return found if isinstance(found, dict) else None


def _cache_set(key: str, value: dict[str, Any]) -> None:
    try:
        cache.set(key, value, CACHE_SECONDS)
    except Exception:
        logger.warning("analysis figures: cache unreachable", exc_info=True)


def figures(
    unit: Unit,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    *,
    only_terms: bool = False,
    mode: str | None = None,
    attempts: int = 3,
    use_cache: bool = True,
) -> FactFigures | None:
    """The dashboard's figures for UNIT (with descendants; no ``visible_to`` filter — the caller checks
    that UNIT lies in the user's scope) from the facts, or None when they cannot answer. MODE: ``ALL``
    (the default), ``TERMS`` (ONLY_TERMS: just the term counts, ``stats`` is None then) or ``STATS``
    (just ``stats``; the breakdowns and terms are empty then)."""
    from qinqing.analysis.queries import previous_period
    from qinqing.demands.stats import period_bounds

    mode = mode or (TERMS if only_terms else ALL)
    p_start, p_end = previous_period(start, end)
    periods = {"current": period_bounds(start, end), "previous": period_bounds(p_start, p_end)}
    today = timezone.localtime(now, TZ).date()
    months, edges = plan_period(start, end, today)
    before, before_edges = plan_period(p_start, p_end, today) if mode != STATS else ([], [])
    plan = Plan(months, before, [(False, r) for r in before_edges] + [(True, r) for r in edges])
    children = list(Unit.objects.filter(parent=unit, is_active=True).order_by("ordering", "id"))
    top_of = {pk: parent or pk for pk, parent in Category.objects.values_list("pk", "parent_id")}
    for _ in range(attempts):
        seen = _facts.version()
        pending = _facts.pending_ids()
        if pending is None:
            return None
        fig = _Figures(unit, children, periods, now, top_of)
        key = _cache_key(seen, unit, plan, mode, children, top_of)
        stored = _cache_get(key) if use_cache else None
        fresh = False
        if stored is not None:
            fig.load(stored)
        else:
            _read_months(fig, months, before, mode)
            _read_edges(fig, plan.ranges, mode)
            stored = copy.deepcopy(fig.dump()) if use_cache else None  # before the live part
            fresh = stored is not None
        skip = sorted(pending)
        if mode != TERMS:
            _read_late(fig, skip)
        if pending:
            for row in DemandFact.objects.filter(demand_id__in=skip).values(*FACT_FIELDS):
                fig.remove_stored(row, plan)
            for row in derived_rows(skip):
                fig.add_live(row)
        if _facts.version() != seen:
            continue  # the job committed meanwhile: the reads may mix two states
        if stored is not None and fresh:
            _cache_set(key, stored)
        current = {
            dim: {k: list(v) for k, v in fig.current[dim].items() if v[0] > 0} for dim in BREAKDOWN_DIMS
        }
        previous = {dim: {k: n for k, n in fig.previous[dim].items() if n > 0} for dim in BREAKDOWN_DIMS}
        return FactFigures(
            stats=None if mode == TERMS else _stats_result(fig, start, end, children),
            current=current,
            previous=previous,
            obstacles={k: Counter({c: n for c, n in v.items() if n > 0}) for k, v in fig.obstacles.items()},
            terms=Counter({t: n for t, n in fig.terms.items() if n > 0}),
            terms_before=Counter({t: n for t, n in fig.terms_before.items() if n > 0}),
        )
    return None
