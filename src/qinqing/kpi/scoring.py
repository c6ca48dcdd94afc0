"""Actual values, projections, lights and the self-evaluation score of budget indicators.

**Scoring rule** — 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号), 附件2 项目支出绩效自评表 and its
notes: the first-level weights are 预算执行率 10, 产出指标 50, 效益指标 30, 满意度指标 10 (100 in all);
a quantitative indicator that meets its annual value earns all its points, one that does not earns points
in proportion to the share achieved; a qualitative indicator is judged 达成 (80–100 % of its points),
部分达成并具有一定效果 (60–80 %), 未达成且效果较差 (0–60 %). Budget execution earns
10 × 执行率 (capped at 100 %). Operators read the share achieved as:

- ≥ target: actual ÷ target (target 0: always met);
- ≤ target (lower is better): target ÷ actual (actual 0: met);
- = target: min(actual, target) ÷ max(actual, target).

**Projection to year end** — additive figures (counts of events, amounts: 件, 次, 家, 人次, 项, 组, 本, 册,
套, 份, 元, 万元, 亿元) are extrapolated linearly by elapsed days: actual to date × days in the year ÷ days
elapsed. Rates, means and stock figures (%, 小时, 天, 个, and the metrics in ``CARRIED_METRICS``, e.g.
projects in execution) are carried forward: the projection is the value to date. After the year has ended the projection is the actual value.

**Light** — from the projection against the target: green when it meets the target, yellow when it
falls short by no more than 10 % of the target, red beyond; grey when there is no value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from qinqing.core.metrics import MetricUnavailable, Period, get_metric
from qinqing.kpi.models import (
    JUDGEMENT_DEFAULT_PCT,
    BudgetProject,
    Indicator,
    Level1,
    Operator,
    Source,
)

ZERO, HUNDRED = Decimal(0), Decimal(100)
WEIGHTS: dict[str, Decimal] = {
    Level1.OUTPUT: Decimal(50),
    Level1.EFFECT: Decimal(30),
    Level1.SATISFACTION: Decimal(10),
}
EXECUTION_POINTS = Decimal(10)
ADDITIVE_UNITS = frozenset(
    {"件", "次", "家", "人次", "项", "组", "本", "册", "套", "份", "元", "万元", "亿元"}
)
# Stock or distinct-count metrics are carried forward whatever their unit (projects in execution at a
# date, units that used the system): they do not add up over time like events do.
CARRIED_METRICS = frozenset(
    {
        "investment.projects",
        "investment.reporting_units",
        "accounts.active_units",
        "accounts.key_units",
        "surveys.units_surveyed",
        "evaluation.units_evaluated",
    }
)
YELLOW_SHORTFALL = Decimal("0.10")


def q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- operators -----------------------------------------------------------------------------------
def is_met(operator: str, actual: Decimal | None, target: Decimal | None) -> bool | None:
    if actual is None or target is None or operator == Operator.QUALITATIVE:
        return None
    if operator == Operator.GE:
        return actual >= target
    if operator == Operator.LE:
        return actual <= target
    return actual == target


def achieved_share(operator: str, actual: Decimal, target: Decimal) -> Decimal:
    """The share of the target achieved, 0–1 (1 when met)."""
    if is_met(operator, actual, target):
        return Decimal(1)
    if operator == Operator.GE:
        return max(ZERO, actual / target) if target > 0 else Decimal(1)
    if operator == Operator.LE:
        return target / actual if actual > 0 and target >= 0 else ZERO
    hi, lo = max(actual, target), min(actual, target)
    return max(ZERO, lo / hi) if hi > 0 else ZERO


def score(indicator: Indicator, actual: Decimal | None) -> Decimal | None:
    """得分 of INDICATOR given its actual value (None: not yet scorable — no value, no judgement)."""
    points = indicator.points
    if indicator.operator == Operator.QUALITATIVE:
        if not indicator.judgement:
            return None
        pct = (
            indicator.judged_pct
            if indicator.judged_pct is not None
            else JUDGEMENT_DEFAULT_PCT[indicator.judgement]
        )
        return q2(points * pct / HUNDRED)
    if actual is None or indicator.target_value is None:
        return None
    return q2(points * achieved_share(indicator.operator, actual, indicator.target_value))


def execution_score(rate: Decimal | None) -> Decimal | None:
    if rate is None:
        return None
    return q2(EXECUTION_POINTS * min(rate, HUNDRED) / HUNDRED)


def default_points(levels: list[str]) -> list[Decimal]:
    """Points per indicator: each first-level weight shared evenly among its rows (the last row takes the
    rounding remainder); a level without rows hands its weight to 产出指标."""
    counts = {lv: levels.count(lv) for lv in WEIGHTS}
    weights = dict(WEIGHTS)
    for lv, n in counts.items():
        if n == 0 and lv != Level1.OUTPUT:
            weights[Level1.OUTPUT] += weights[lv]
            weights[lv] = ZERO
    out: list[Decimal] = []
    seen = dict.fromkeys(WEIGHTS, 0)
    given = dict.fromkeys(WEIGHTS, ZERO)
    for lv in levels:
        seen[lv] += 1
        p = weights[lv] - given[lv] if seen[lv] == counts[lv] else q2(weights[lv] / counts[lv])
        given[lv] += p
        out.append(p)
    return out


# --- actual values -------------------------------------------------------------------------------
@dataclass
class Actual:
    value: Decimal | None
    available: bool = True
    reason: str = ""  # why unavailable
    drilldown: str = ""  # URL of the records behind the value


def to_date(year: int, today: dt.date | None = None) -> Period | None:
    """1 January to today (or the whole year once it has ended); None for a year not begun."""
    today = today or timezone.localdate()
    whole = Period.year(year)
    if today < whole.start:
        return None
    return Period(whole.start, min(today, whole.end))


def actual(indicator: Indicator, project: BudgetProject, period: Period | None) -> Actual:
    if indicator.source == Source.MANUAL:
        return Actual(indicator.manual_value)
    if indicator.source == Source.JUDGED:
        return Actual(None)
    try:
        metric = get_metric(indicator.metric)
    except MetricUnavailable:
        return Actual(None, False, "平台尚无此指标")
    if not metric.available:
        return Actual(None, False, metric.unavailable_reason)
    if period is None:
        return Actual(None)
    unit = project.measure_unit
    url = metric.drilldown(unit, period) if metric.drilldown else ""
    return Actual(metric.compute(unit, period), True, "", url)


def is_additive(indicator: Indicator) -> bool:
    if indicator.metric in CARRIED_METRICS:
        return False
    return indicator.value_unit in ADDITIVE_UNITS


def projection(indicator: Indicator, value: Decimal | None, period: Period | None) -> Decimal | None:
    if value is None or period is None:
        return None
    whole = Period.year(period.start.year)
    if period.end >= whole.end or not is_additive(indicator):
        return value
    elapsed = (period.end - period.start).days + 1
    days = (whole.end - whole.start).days + 1
    return q2(value * days / elapsed)


def light(indicator: Indicator, projected: Decimal | None) -> str:
    """green / yellow / red / none."""
    target = indicator.target_value
    met = is_met(indicator.operator, projected, target)
    if met is None or projected is None or target is None:
        return "none"
    if met:
        return "green"
    margin = abs(target) * YELLOW_SHORTFALL
    if indicator.operator == Operator.GE:
        return "yellow" if projected >= target - margin else "red"
    if indicator.operator == Operator.LE:
        return "yellow" if projected <= target + margin else "red"
    return "yellow" if abs(projected - target) <= margin else "red"


LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": "—"}


@dataclass
class Row:
    indicator: Indicator
    actual: Actual
    projected: Decimal | None
    light: str
    score: Decimal | None
    met: bool | None

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]


@dataclass
class Evaluation:
    project: BudgetProject
    period: Period | None
    rows: list[Row]
    execution_rate: Decimal | None
    execution_score: Decimal | None

    @property
    def points_total(self) -> Decimal:
        return sum((r.indicator.points for r in self.rows), ZERO) + EXECUTION_POINTS

    @property
    def score_total(self) -> Decimal:
        return sum((r.score or ZERO for r in self.rows), ZERO) + (self.execution_score or ZERO)

    @property
    def lights(self) -> dict[str, int]:
        counts = dict.fromkeys(LIGHT_LABELS, 0)
        for r in self.rows:
            counts[r.light] += 1
        return counts

    @property
    def complete(self) -> bool:
        return self.execution_score is not None and all(r.score is not None for r in self.rows)

    @property
    def grade(self) -> str:
        """等级 by the total: 优 ≥ 90, 良 80–90, 中 60–80, 差 < 60 (财预〔2020〕10号 第二十八条)."""
        total = self.score_total
        if total >= 90:
            return "优"
        if total >= 80:
            return "良"
        if total >= 60:
            return "中"
        return "差"


def evaluate(project: BudgetProject, today: dt.date | None = None) -> Evaluation:
    from qinqing.demands.metrics import shared_figures

    with shared_figures():  # the demand metrics of one project read one statistics query
        return _evaluate(project, today)


def _evaluate(project: BudgetProject, today: dt.date | None) -> Evaluation:
    period = to_date(project.year, today)
    rows = []
    for ind in project.indicators.all():
        act = actual(ind, project, period)
        proj = projection(ind, act.value, period)
        rows.append(
            Row(
                ind,
                act,
                proj,
                light(ind, proj),
                score(ind, act.value),
                is_met(ind.operator, act.value, ind.target_value),
            )
        )
    rate = project.execution_rate
    return Evaluation(project, period, rows, rate, execution_score(rate))


def trend(
    indicator: Indicator, project: BudgetProject, today: dt.date | None = None
) -> list[tuple[str, Decimal | None]]:
    """The value to each month's end (year to date) for the months of the project year so far."""
    period = to_date(project.year, today)
    if period is None or indicator.source != Source.METRIC:
        return []
    out: list[tuple[str, Decimal | None]] = []
    for month in period.months():
        act = actual(indicator, project, Period(period.start, month.end))
        if not act.available:
            return []
        out.append((f"{month.start:%Y-%m}", act.value))
    return out
