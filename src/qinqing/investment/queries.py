"""Reads that need care: report lines, dashboard figures, target progress, report flags.

Definitions are in docs/metrics.md ("Investment promotion"); the same rules (rules.py) drive the
monthly report lines and the live dashboard, so both agree for approved months.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from qinqing.investment import aggregates, rules
from qinqing.investment.models import (
    MONTHS,
    REPORTING_KINDS,
    WAN_PER_YI,
    ZERO,
    Construction,
    FundsEntry,
    Indicator,
    IndustryChain,
    IndustryCluster,
    InvestmentSettings,
    InvestorType,
    MonthlyReport,
    Project,
    ProjectYearFunds,
    ReportLine,
    ReportStatus,
    SizeBand,
    Source,
    Stage,
    Target,
)
from qinqing.orgs.models import Unit

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)


# --- the per-project figures of one unit's month --------------------------------------------------
def report_lines(unit: Unit, month: dt.date, settings: InvestmentSettings) -> list[dict[str, Any]]:
    """The lines of UNIT's report for MONTH, computed from the library (counted projects only)."""
    start, end = dt.date(month.year, 1, 1), rules.month_end(month.year, month.month)
    funds = {
        row["project_id"]: row
        for row in FundsEntry.objects.filter(unit=unit, month__gte=start, month__lte=month)
        .values("project_id")
        .annotate(
            ytd=Sum("amount_wan"),
            out_ytd=Sum("outside_amount_wan"),
            m=Sum(Case(When(month=month, then="amount_wan"), default=Value(ZERO), output_field=MONEY)),
            out_m=Sum(
                Case(When(month=month, then="outside_amount_wan"), default=Value(ZERO), output_field=MONEY)
            ),
        )
    }
    projects = (
        Project.objects.filter(location_unit=unit)
        .filter(rules.counted_q(settings))
        .filter(Q(first_signed_on__lte=end) | Q(pk__in=list(funds)))
        .order_by("number")
    )
    sign_field = rules.signing_date_field(settings)
    lines: list[dict[str, Any]] = []
    for p in projects:
        f = funds.get(p.pk, {})
        line = project_figures(p, month, settings, sign_field)
        line.update(
            funds_month_wan=f.get("m") or ZERO,
            funds_ytd_wan=f.get("ytd") or ZERO,
            outside_month_wan=f.get("out_m") or ZERO,
            outside_ytd_wan=f.get("out_ytd") or ZERO,
        )
        active = (
            line["in_execution"]
            or line["new_signing_ytd"]
            or line["started_ytd"]
            or line["produced_ytd"]
            or line["funds_ytd_wan"] > 0
        )
        if active:
            lines.append(line)
    return lines


def _within(day: dt.date | None, lo: dt.date, hi: dt.date) -> bool:
    return day is not None and lo <= day <= hi


def project_figures(
    p: Project, month: dt.date, settings: InvestmentSettings, sign_field: str
) -> dict[str, Any]:
    start, end = dt.date(month.year, 1, 1), rules.month_end(month.year, month.month)
    signed_day: dt.date | None = getattr(p, sign_field)
    amount = rules.signed_amount(p.planned_investment_wan, p.increase_amount_wan, settings)
    qualifies = rules.meets_new_signing_threshold(amount, p.is_industrial, settings)
    new_ytd = qualifies and _within(signed_day, start, end)
    in_execution = (
        p.first_signed_on is not None
        and p.first_signed_on <= end
        and not (p.terminated_on is not None and p.terminated_on <= end)
        and not (p.produced_on is not None and p.produced_on < start)
    )
    return {
        "project": p,
        "cluster_id": p.cluster_id,
        "project_name": p.name,
        "construction": Construction.NEW
        if p.first_signed_on is not None and p.first_signed_on >= start
        else Construction.CONTINUING,
        "stage": p.stage,
        "in_execution": in_execution,
        "counted": True,
        "new_signing_month": qualifies and _within(signed_day, month, end),
        "new_signing_ytd": new_ytd,
        "yi_plus": new_ytd and amount >= WAN_PER_YI,
        "signed_amount_wan": amount if new_ytd else ZERO,
        "started_month": _within(p.started_on, month, end),
        "started_ytd": _within(p.started_on, start, end),
        "produced_month": _within(p.produced_on, month, end),
        "produced_ytd": _within(p.produced_on, start, end),
    }


# --- the live dashboard -------------------------------------------------------------------------
@dataclass
class Dashboard:
    year: int
    month: int
    totals: dict[str, Any] = field(default_factory=dict)
    monthly: list[dict[str, Any]] = field(default_factory=list)
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ratios: dict[str, Any] = field(default_factory=dict)
    top_projects: list[dict[str, Any]] = field(default_factory=list)
    stalled: list[dict[str, Any]] = field(default_factory=list)
    stalled_count: int = 0
    report_flags: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "month": self.month,
            "totals": self.totals,
            "monthly": self.monthly,
            "breakdowns": self.breakdowns,
            "ratios": self.ratios,
            "top_projects": self.top_projects,
            "stalled": self.stalled,
            "stalled_count": self.stalled_count,
            "report_flags": self.report_flags,
        }


def _pct(num: Decimal | int, den: Decimal | int) -> Decimal | None:
    if not den:
        return None
    return rules.quantize(Decimal(num) * 100 / Decimal(den), "0.1")


def visible_unit_ids(user: Any) -> list[int]:
    """The ids of the units whose rows USER sees: visible_to's staff rule (the scope unit and its subtree)
    as a literal list. On millions of funds rows PostgreSQL estimates an IN list well and the path-LIKE
    subquery badly (it then nests loops over the project table row by row; bench/RESULTS.md)."""
    if (
        not getattr(user, "is_authenticated", False)
        or not user.is_active
        or getattr(user, "enterprise_id", None)
    ):
        return []
    scope = getattr(user, "scope_unit", None)
    if scope is None:
        return []
    return list(Unit.objects.subtree(scope).values_list("pk", flat=True))


def visible_projects(user: Any) -> QuerySet[Project]:
    """Project.objects.visible_to(USER) with the scope as a literal unit list (one small query first)."""
    return Project.objects.filter(location_unit_id__in=visible_unit_ids(user))


def scoped_funds(user: Any, settings: InvestmentSettings) -> QuerySet[FundsEntry]:
    return FundsEntry.objects.filter(unit_id__in=visible_unit_ids(user)).filter(
        rules.counted_q(settings, "project__")
    )


def scoped_year_funds(user: Any, settings: InvestmentSettings) -> QuerySet[ProjectYearFunds]:
    """The pre-aggregated funds rows of the scoped, counted funds entries (same rows as scoped_funds)."""
    return ProjectYearFunds.objects.filter(unit_id__in=visible_unit_ids(user)).filter(
        rules.counted_q(settings, "project__")
    )


def _months_sum(prefix: str, last_month: int) -> Any:
    """a01 + a02 + … + a<LAST_MONTH> (or the o… columns) of a ProjectYearFunds row."""
    expr: Any = F(f"{prefix}01")
    for m in range(2, last_month + 1):
        expr = expr + F(f"{prefix}{m:02d}")
    return ExpressionWrapper(expr, output_field=MONEY)


def scoped_projects(user: Any, settings: InvestmentSettings) -> QuerySet[Project]:
    return Project.objects.filter(location_unit_id__in=visible_unit_ids(user)).filter(
        rules.counted_q(settings)
    )


def _unit_filter(qs: QuerySet[Any], unit: Unit | None, path: str) -> QuerySet[Any]:
    if unit is None:
        return qs
    return qs.filter(**{f"{path}__in": list(Unit.objects.subtree(unit).values_list("pk", flat=True))})


BREAKDOWN_KEYS = (
    ("unit", "project__location_unit_id", True),
    ("cluster", "project__cluster_id", True),
    ("chain", "project__chain_id", True),
    ("source", "project__source", False),
    ("investor_type", "project__investor_type", False),
    ("size_band", "project__size_band", True),
)


def _decimal(value: Any) -> Decimal:
    """A SUM as a 2-place Decimal (PostgreSQL returns numeric; SQLite may return a float)."""
    if value is None:
        return ZERO
    return rules.quantize(value if isinstance(value, Decimal) else Decimal(str(value)))


def _year_sums(
    rows: QuerySet[Any], top: int
) -> tuple[dict[str, dict[Any, tuple[Decimal, Decimal]]], dict[int, list[Decimal]]]:
    """ROWS (pre-aggregated rows annotated ma/mo) summed by each breakdown key, and the rows that can hold
    the TOP projects by year sum, in one statement: the rows are selected once in a CTE and grouped six
    times (UNION ALL). For the top projects it returns every row of a project with several rows (rare: the
    entries of a moved project keep their unit) and, of the projects with one row, those at or above the
    TOP-th largest: no other project can rank (its sum is below TOP others). The per-project sums are added
    up here rather than with GROUP BY: a hash aggregate of 20,000 numeric sums spills to disk at the default
    work_mem."""
    inner = rows.values_list("project_id", *(path for _, path, _ in BREAKDOWN_KEYS), "ma", "mo").order_by()
    sql, params = inner.query.sql_with_params()
    columns = ", ".join(f"k_{g}" for g, _, _ in BREAKDOWN_KEYS)
    branches = " UNION ALL ".join(
        [
            f"SELECT '{g}', CAST(k_{g} AS TEXT), SUM(a), SUM(o) FROM s GROUP BY k_{g}"  # noqa: S608 - fixed names
            for g, _, _ in BREAKDOWN_KEYS
        ]
        + [
            "SELECT '', CAST(pid AS TEXT), a, o FROM t WHERE n > 1 OR (n = 1 AND a >= "
            "(SELECT MIN(a) FROM (SELECT a FROM t WHERE n = 1 ORDER BY a DESC LIMIT %s) x))"
        ]
    )
    groups: dict[str, dict[Any, tuple[Decimal, Decimal]]] = {g: {} for g, _, _ in BREAKDOWN_KEYS}
    per_project: dict[int, list[Decimal]] = {}
    numeric = {g: is_int for g, _, is_int in BREAKDOWN_KEYS}
    with connection.cursor() as cur:
        # fixed column names and Django's own SQL for the rows; values go in as parameters
        cur.execute(
            f"WITH s (pid, {columns}, a, o) AS ({sql}), "  # noqa: S608
            f"t AS (SELECT pid, a, o, COUNT(*) OVER (PARTITION BY pid) AS n FROM s) {branches}",
            (*params, int(top)),
        )
        for g, key, a, o in cur.fetchall():
            if g:
                k = None if key is None else int(key) if numeric[g] else key
                groups[g][k] = (_decimal(a), _decimal(o))
                continue
            pid = int(key)
            acc = per_project.get(pid)
            if acc is None:
                per_project[pid] = [_decimal(a), _decimal(o)]
            else:
                acc[0] += _decimal(a)
                acc[1] += _decimal(o)
    return groups, per_project


def _top_projects(totals: dict[int, list[Decimal]], n: int) -> list[dict[str, Any]]:
    """The N projects with the most funds (ties by number)."""
    if not totals:
        return []
    cutoff = heapq.nlargest(n, (v[0] for v in totals.values()))[-1]
    candidates = {pid: v for pid, v in totals.items() if v[0] >= cutoff}
    info = {
        pk: (number, name)
        for pk, number, name in Project.objects.filter(pk__in=list(candidates)).values_list(
            "pk", "number", "name"
        )
    }
    top = sorted(candidates.items(), key=lambda kv: (-kv[1][0], info[kv[0]][0]))[:n]
    return [
        {
            "id": pid,
            "number": info[pid][0],
            "name": info[pid][1],
            "amount_wan": rules.quantize(a),
            "outside_wan": rules.quantize(o),
        }
        for pid, (a, o) in top
    ]


def dashboard(user: Any, year: int, month: int, unit: Unit | None = None) -> Dashboard:
    settings = InvestmentSettings.current()
    d = Dashboard(year=year, month=month)
    start, last = dt.date(year, 1, 1), rules.month_start(year, month)
    end = rules.month_end(year, month)
    # 1. and 2. read the pre-aggregated funds (models.ProjectYearFunds: one row per project, unit and
    #    year, kept by the funds services), the same rows as the scoped funds entries: about 2 × 22,500
    #    rows for a prefecture instead of 400,000 entries (docs/investment.md, bench/RESULTS.md)
    agg = _unit_filter(scoped_year_funds(user, settings), unit, "unit")
    # 1. month by month, this year and last year (last year up to MONTH only)
    by_month: dict[dt.date, dict[str, Decimal]] = {}
    sums_by_year: dict[str, Any] = {}
    for m in MONTHS:
        sums_by_year[f"a{m:02d}"] = Sum(f"a{m:02d}")
        sums_by_year[f"o{m:02d}"] = Sum(f"o{m:02d}")
        sums_by_year[f"n{m:02d}"] = Sum(F("months").bitand(1 << (m - 1)))
    for row in agg.filter(year__in=[year, year - 1]).values("year").annotate(**sums_by_year).order_by():
        for m in range(1, month + 1):
            if row[f"n{m:02d}"]:  # a month with at least one entry (as the entries' GROUP BY month)
                by_month[dt.date(row["year"], m, 1)] = {
                    "a": rules.quantize(row[f"a{m:02d}"] or ZERO),
                    "o": rules.quantize(row[f"o{m:02d}"] or ZERO),
                }
    cum_a = cum_o = ZERO
    for m in range(1, month + 1):
        cur = by_month.get(dt.date(year, m, 1), {"a": ZERO, "o": ZERO})
        cum_a += cur["a"]
        cum_o += cur["o"]
        d.monthly.append(
            {
                "month": m,
                "amount_wan": cur["a"],
                "outside_wan": cur["o"],
                "cum_amount_wan": cum_a,
                "cum_outside_wan": cum_o,
            }
        )
    prev_total = sum((v["a"] for k, v in by_month.items() if k.year == year - 1), ZERO)
    prev_outside = sum((v["o"] for k, v in by_month.items() if k.year == year - 1), ZERO)
    this_month = d.monthly[-1]
    before = by_month.get(rules.previous_month(last), {"a": ZERO, "o": ZERO})
    d.totals = {
        "funds_ytd_wan": cum_a,
        "outside_ytd_wan": cum_o,
        "outside_ytd_yi": rules.wan_to_yi(cum_o),
        "funds_month_wan": this_month["amount_wan"],
        "outside_month_wan": this_month["outside_wan"],
        "funds_prev_year_wan": prev_total,
        "outside_prev_year_wan": prev_outside,
        "yoy_pct": _pct(cum_a - prev_total, prev_total),
        "outside_yoy_pct": _pct(cum_o - prev_outside, prev_outside),
        "mom_pct": _pct(this_month["amount_wan"] - before["a"], before["a"]),
    }
    # 2. the year to MONTH by breakdown key and the top projects, from the pre-aggregated rows of the
    #    counted projects in scope (the project filter is the dashboard's project scope, as for the counts)
    bits = aggregates.month_bits(month)
    rows = (
        _unit_filter(agg, unit, "project__location_unit")
        .filter(project__location_unit_id__in=visible_unit_ids(user), year=year)
        .alias(seen=F("months").bitand(bits))
        .filter(seen__gt=0)
        .annotate(ma=_months_sum("a", month), mo=_months_sum("o", month))
    )
    names = _names()
    groups, per_project = _year_sums(rows, 10)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[k for k in groups["unit"] if k is not None])}
    for g, grouped in groups.items():
        label_of = names[g] if g != "unit" else {pk: u.display_name for pk, u in units.items()}
        items = [
            {
                "key": k,
                "label": label_of.get(k, "未分类") if k is not None else "未分类",
                "amount_wan": v[0],
                "outside_wan": v[1],
            }
            for k, v in grouped.items()
        ]
        items.sort(key=lambda i: (-i["amount_wan"], str(i["label"])))
        d.breakdowns[g] = items
    d.top_projects = _top_projects(per_project, 10)
    # 3. project counts and ratios
    projects = _unit_filter(scoped_projects(user, settings), unit, "location_unit")
    d.totals.update(project_counts(projects, year, month, settings))
    cohort = projects.filter(first_signed_on__gte=start, first_signed_on__lte=end)
    c = cohort.aggregate(
        n=Count("pk"),
        started=Count("pk", filter=Q(started_on__lte=end)),
        produced=Count("pk", filter=Q(produced_on__lte=end)),
        planned=Sum("planned_investment_wan"),
    )
    funded = FundsEntry.objects.filter(project__in=cohort.values("pk"), month__lte=last, amount_wan__gt=0)
    performing = funded.values("project_id").distinct().count()
    cohort_funds = funded.aggregate(s=Sum("amount_wan"))["s"] or ZERO
    d.ratios = {
        "cohort": c["n"],
        "performance_pct": _pct(performing, c["n"]),
        "start_pct": _pct(c["started"], c["n"]),
        "production_pct": _pct(c["produced"], c["n"]),
        "funds_pct": _pct(cohort_funds, c["planned"] or ZERO),
    }
    # 4. stalled projects
    cutoff = timezone.localdate() - dt.timedelta(days=settings.stall_days)
    stalled = projects.filter(stage__in=rules.ACTIVE_STAGES, stage_since__lt=cutoff)
    d.stalled_count = stalled.count()
    d.stalled = [
        {
            "id": p.pk,
            "number": p.number,
            "name": p.name,
            "stage": p.get_stage_display(),
            "since": p.stage_since,
        }
        for p in stalled.order_by("stage_since", "pk")[:20]
    ]
    d.report_flags = report_flags(user, year, month)
    return d


def project_counts(
    projects: QuerySet[Project], year: int, month: int, settings: InvestmentSettings
) -> dict[str, int]:
    """Counts for the year up to MONTH, with the same definitions as the report lines."""
    start, end = dt.date(year, 1, 1), rules.month_end(year, month)
    mstart = rules.month_start(year, month)
    sign = rules.signing_date_field(settings)
    amount = _signed_amount_expr(settings)
    qs = projects.annotate(counted_amount=amount)
    industrial = Q(sector=2, industry_section__in=["B", "C", "D"])
    qualifies = (industrial & Q(counted_amount__gte=settings.new_signing_industrial_min_wan)) | (
        ~industrial & Q(counted_amount__gte=settings.new_signing_other_min_wan)
    )
    new_ytd = qualifies & Q(**{f"{sign}__gte": start, f"{sign}__lte": end})
    in_exec = Q(first_signed_on__lte=end) & ~Q(terminated_on__lte=end) & ~Q(produced_on__lt=start)
    return qs.aggregate(
        in_execution=Count("pk", filter=in_exec),
        in_execution_new=Count("pk", filter=in_exec & Q(first_signed_on__gte=start)),
        new_signings=Count("pk", filter=new_ytd),
        new_signings_month=Count("pk", filter=qualifies & Q(**{f"{sign}__gte": mstart, f"{sign}__lte": end})),
        new_yi=Count("pk", filter=new_ytd & Q(counted_amount__gte=WAN_PER_YI)),
        started=Count("pk", filter=Q(started_on__gte=start, started_on__lte=end)),
        produced=Count("pk", filter=Q(produced_on__gte=start, produced_on__lte=end)),
    )


def _signed_amount_expr(settings: InvestmentSettings) -> Any:
    from django.db.models import F

    if settings.count_increase_only:
        return Case(
            When(increase_amount_wan__isnull=False, then=F("increase_amount_wan")),
            default=F("planned_investment_wan"),
            output_field=MONEY,
        )
    return F("planned_investment_wan")


def _names() -> dict[str, dict[Any, str]]:
    return {
        "cluster": dict(IndustryCluster.objects.values_list("pk", "name")),
        "chain": dict(IndustryChain.objects.values_list("pk", "name")),
        "source": dict(Source.choices),
        "investor_type": dict(InvestorType.choices),
        "size_band": dict(SizeBand.choices),
    }


# --- monthly report flags -----------------------------------------------------------------------
def reporting_units(user: Any) -> QuerySet[Unit]:
    scope = user.scope_unit
    if scope is None:
        return Unit.objects.none()
    return Unit.objects.subtree(scope).filter(kind__in=REPORTING_KINDS, is_active=True).order_by("path")


def report_flags(user: Any, year: int, month: int) -> list[dict[str, Any]]:
    """Late and missing reports of the units in scope for the months of YEAR up to MONTH."""
    settings = InvestmentSettings.current()
    today = timezone.localdate()
    units = list(reporting_units(user))
    reports = {
        (r.unit_id, r.month): r
        for r in MonthlyReport.objects.visible_to(user).filter(month__year=year, month__month__lte=month)
    }
    flags: list[dict[str, Any]] = []
    for m in range(1, month + 1):
        first = dt.date(year, m, 1)
        if first >= today.replace(day=1):
            break
        deadline, _ = rules.report_deadline(first, settings.report_deadline_working_days)
        for u in units:
            r = reports.get((u.pk, first))
            submitted = r is not None and r.submitted_at is not None
            if not submitted and today > deadline:
                flags.append(
                    {
                        "unit": u.display_name,
                        "unit_id": u.pk,
                        "month": m,
                        "flag": "missing",
                        "label": "逾期未报",
                    }
                )
            elif (
                submitted
                and r is not None
                and r.submitted_at is not None
                and timezone.localtime(r.submitted_at).date() > r.deadline
            ):
                flags.append(
                    {
                        "unit": u.display_name,
                        "unit_id": u.pk,
                        "month": m,
                        "flag": "late",
                        "label": "逾期报送",
                    }
                )
    return flags


# --- targets and progress -----------------------------------------------------------------------
def actuals(unit: Unit, year: int, month: int, settings: InvestmentSettings) -> dict[str, Decimal]:
    """The four target indicators' actual values for UNIT's subtree, year to MONTH."""
    ids = Unit.objects.subtree(unit).values("pk")
    outside = (
        FundsEntry.objects.filter(
            unit_id__in=ids, month__gte=dt.date(year, 1, 1), month__lte=rules.month_start(year, month)
        )
        .filter(rules.counted_q(settings, "project__"))
        .aggregate(s=Sum("outside_amount_wan"))["s"]
        or ZERO
    )
    counts = project_counts(
        Project.objects.filter(location_unit_id__in=ids).filter(rules.counted_q(settings)),
        year,
        month,
        settings,
    )
    return {
        Indicator.OUTSIDE_FUNDS: rules.wan_to_yi(outside),
        Indicator.IN_EXECUTION: Decimal(counts["in_execution"]),
        Indicator.NEW_YI_PROJECTS: Decimal(counts["new_yi"]),
        Indicator.NEW_SIGNINGS: Decimal(counts["new_signings"]),
    }


@dataclass
class Decomposition:
    indicator: str
    label: str
    total: Decimal | None
    parts_sum: Decimal
    difference: Decimal | None  # parts − total
    message: str


def decomposition(prefecture: Unit, year: int) -> list[Decomposition]:
    """Whether the county/park targets add up to the prefecture's, indicator by indicator."""
    children = Unit.objects.filter(parent=prefecture, kind__in=REPORTING_KINDS)
    targets = Target.objects.filter(year=year).filter(Q(unit=prefecture) | Q(unit__in=children))
    total: dict[str, Decimal] = {}
    parts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for t in targets:
        if t.unit_id == prefecture.pk:
            total[t.indicator] = t.value
        else:
            parts[t.indicator] += t.value
    out = []
    for ind in Indicator:
        tot, got = total.get(ind.value), parts[ind.value]
        unit_word = "亿元" if ind == Indicator.OUTSIDE_FUNDS else "个"
        if tot is None:
            out.append(Decomposition(ind.value, ind.label, None, got, None, "州级目标未设定"))
            continue
        diff = got - tot
        if diff == 0:
            msg = "分解合计与州级目标一致"
        elif diff < 0:
            msg = f"分解合计比州级目标少 {-diff.normalize():f} {unit_word}"
        else:
            msg = f"分解合计比州级目标多 {diff.normalize():f} {unit_word}"
        out.append(Decomposition(ind.value, ind.label, tot, got, diff, msg))
    return out


def progress(prefecture: Unit, year: int, month: int) -> list[dict[str, Any]]:
    """Each county/park's completion against time elapsed, lights, efficacy scores and rank."""
    settings = InvestmentSettings.current()
    elapsed = rules.time_elapsed_pct(month)
    units = list(Unit.objects.filter(parent=prefecture, kind__in=REPORTING_KINDS).order_by("path"))
    targets = {(t.unit_id, t.indicator): t.value for t in Target.objects.filter(year=year, unit__in=units)}
    rows: list[dict[str, Any]] = []
    completion_by_ind: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for u in units:
        act = actuals(u, year, month, settings)
        row: dict[str, Any] = {"unit_id": u.pk, "unit": u.display_name, "indicators": {}}
        for ind in Indicator:
            target = targets.get((u.pk, ind.value))
            comp = rules.completion_pct(act[ind.value], target) if target is not None else None
            lt = rules.light(comp, elapsed, settings)
            row["indicators"][ind.value] = {
                "label": ind.label,
                "target": target,
                "actual": act[ind.value],
                "completion_pct": comp,
                "elapsed_pct": elapsed,
                "light": lt.code,
                "light_label": lt.label,
                "lag": lt.lag,
            }
            if comp is not None:
                completion_by_ind[ind.value][u.pk] = comp
        rows.append(row)
    scores = {
        ind: rules.efficacy_scores(vals, settings.score_full_marks) for ind, vals in completion_by_ind.items()
    }
    for row in rows:
        total = ZERO
        for ind, data in row["indicators"].items():
            s = scores.get(ind, {}).get(row["unit_id"])
            data["score"] = s
            total += s or ZERO
        row["score"] = total
    ranked = sorted(rows, key=lambda r: (-r["score"], r["unit"]))
    for i, row in enumerate(ranked, start=1):
        row["rank"] = i
    return ranked


def approved_lines(prefecture: Unit, month: dt.date) -> QuerySet[ReportLine]:
    return ReportLine.objects.filter(
        report__month=month,
        report__status=ReportStatus.APPROVED,
        report__unit__in=Unit.objects.subtree(prefecture).values("pk"),
    )


STAGE_LABELS = dict(Stage.choices)


# --- home page ----------------------------------------------------------------------------------
def home_cards(user: Any) -> list[Any]:
    """在库项目 (not terminated) and 本年区外到位资金（亿元） for the user's scope."""
    from django.urls import reverse

    from qinqing.core.queries import Card

    if not getattr(user, "is_authenticated", False) or not user.can("investment.view"):
        return []
    if getattr(user, "scope_unit", None) is None:
        return []
    settings = InvestmentSettings.current()
    count = Project.objects.visible_to(user).exclude(stage=Stage.TERMINATED).count()
    year = timezone.localdate().year
    outside = (
        scoped_funds(user, settings)
        .filter(month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1))
        .aggregate(s=Sum("outside_amount_wan"))["s"]
        or ZERO
    )
    return [
        Card("在库项目", count, reverse("investment:list")),
        Card(
            f"{year}年区外到位资金（亿元）",
            f"{rules.wan_to_yi(outside):.2f}",
            reverse("investment:dashboard"),
        ),
    ]
