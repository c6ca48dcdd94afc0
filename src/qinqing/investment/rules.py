"""Pure rules shared by services, queries and reports: stages, counting, periods, lights, scores."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from qinqing.investment.models import (
    WAN_PER_YI,
    ContractType,
    InvestmentSettings,
    Source,
    Stage,
)

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"

# The stage transition table: from -> allowed targets. 签约 → 签约 is the upgrade of a framework
# agreement to a formal contract (it never counts the project again).
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.LEAD: frozenset({Stage.NEGOTIATING, Stage.TERMINATED}),
    Stage.NEGOTIATING: frozenset({Stage.SIGNED, Stage.TERMINATED}),
    Stage.SIGNED: frozenset({Stage.SIGNED, Stage.STARTED, Stage.TERMINATED}),
    Stage.STARTED: frozenset({Stage.PRODUCING, Stage.TERMINATED}),
    Stage.PRODUCING: frozenset(),
    Stage.TERMINATED: frozenset(),
}
ACTIVE_STAGES = (Stage.LEAD, Stage.NEGOTIATING, Stage.SIGNED, Stage.STARTED)
EXECUTION_STAGES = (Stage.SIGNED, Stage.STARTED, Stage.PRODUCING)


def allowed_targets(stage: str) -> list[str]:
    order = [Stage.NEGOTIATING, Stage.SIGNED, Stage.STARTED, Stage.PRODUCING, Stage.TERMINATED]
    return [s for s in order if s in TRANSITIONS[stage]]


def can_upgrade_contract(contract_type: str) -> bool:
    return contract_type == ContractType.FRAMEWORK


# --- periods ------------------------------------------------------------------------------------
def month_start(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def previous_month(day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def month_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


def report_deadline(month: dt.date, working_days: int) -> tuple[dt.date, bool]:
    """The N-th working day after the month's last day (default the 5th working day of the next month)."""
    from qinqing.calendar.services import add_working_days

    result = add_working_days(month_end(month.year, month.month), working_days)
    return result.date, result.provisional


# --- counting rules -----------------------------------------------------------------------------
def counted_q(rules: InvestmentSettings, prefix: str = "") -> Q:
    """Projects that count in the statistics at all (exclusions of docs/metrics.md)."""
    q = Q()
    if rules.exclude_local_investors:
        q &= ~Q(**{f"{prefix}source": Source.LOCAL})
    if rules.exclude_fiscal_funded:
        q &= Q(**{f"{prefix}is_fiscal_funded": False})
    if rules.exclude_second_phase:
        q &= Q(**{f"{prefix}is_second_phase": False})
    return q


def signing_date_field(rules: InvestmentSettings) -> str:
    """Newly signed in a period means first signed in it (or, with the rule off, last signed in it)."""
    return "first_signed_on" if rules.count_first_signing_only else "signed_on"


def signed_amount(planned_wan: Decimal, increase_wan: Decimal | None, rules: InvestmentSettings) -> Decimal:
    if increase_wan is not None and rules.count_increase_only:
        return increase_wan
    return planned_wan


def meets_new_signing_threshold(amount_wan: Decimal, industrial: bool, rules: InvestmentSettings) -> bool:
    minimum = rules.new_signing_industrial_min_wan if industrial else rules.new_signing_other_min_wan
    return amount_wan >= minimum


# --- progress and scores ------------------------------------------------------------------------
def quantize(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def wan_to_yi(value: Decimal) -> Decimal:
    return quantize(value / WAN_PER_YI, "0.0001")


def time_elapsed_pct(month: int) -> Decimal:
    """Share of the year elapsed at the end of MONTH (months, not days: figures are monthly)."""
    return quantize(Decimal(month) * 100 / 12, "0.1")


def completion_pct(actual: Decimal, target: Decimal) -> Decimal | None:
    if target <= 0:
        return None
    return quantize(actual * 100 / target, "0.1")


@dataclass(frozen=True)
class Light:
    code: str  # green / yellow / red / none
    label: str
    lag: Decimal | None  # time elapsed % minus completion %, in points


def light(completion: Decimal | None, elapsed: Decimal, rules: InvestmentSettings) -> Light:
    if completion is None:
        return Light("none", "未设目标", None)
    lag = elapsed - completion
    if lag > rules.light_red_points:
        return Light("red", "红灯", lag)
    if lag > rules.light_yellow_points:
        return Light("yellow", "黄灯", lag)
    return Light("green", "绿灯", lag)


def efficacy_scores(values: dict[int, Decimal], full: Decimal) -> dict[int, Decimal]:
    """功效系数法: 60% × full + 40% × full × (value − min) ÷ (max − min); all equal → full marks."""
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    out: dict[int, Decimal] = {}
    for key, value in values.items():
        if high == low:
            out[key] = quantize(full)
        else:
            out[key] = quantize(full * Decimal("0.6") + full * Decimal("0.4") * (value - low) / (high - low))
    return out


STAGE_ORDER_FOR_BOARD = (
    Stage.LEAD,
    Stage.NEGOTIATING,
    Stage.SIGNED,
    Stage.STARTED,
    Stage.PRODUCING,
    Stage.TERMINATED,
)
