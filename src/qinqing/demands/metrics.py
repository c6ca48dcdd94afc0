"""Platform metrics of enterprise demands (qinqing.core.metrics), read by kpi and evaluation by name.

Every figure is taken from ``demands.stats.compute`` — the function behind the statistics page
/demands/stats/ — over the unit's subtree and the period, so a target's actual value and the statistics
page show the same number (rounded to one decimal, as the page shows it). The population is the page's:
demands whose receiving office or lead unit is in the subtree, submitted within the period. Definitions:
docs/metrics.md "Enterprise demands".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from qinqing.core.metrics import Period, register_metric
from qinqing.demands.models import Status
from qinqing.orgs.models import Unit


@dataclass(frozen=True)
class _Viewer:
    """A stand-in for a staff member of UNIT: stats.compute sees the whole subtree, unscoped."""

    unit: Unit
    is_active: bool = True
    is_authenticated: bool = True

    @property
    def unit_id(self) -> int:
        return self.unit.pk

    @property
    def scope_unit(self) -> Unit:
        return self.unit


_shared: ContextVar[dict[tuple[int, str, Period], dict[str, Any]] | None] = ContextVar(
    "demands_metric_figures", default=None
)


@contextmanager
def shared_figures() -> Iterator[None]:
    """Within the block, the metrics of one (unit, period) share one statistics query (a consumer that
    reads several demand metrics at once — a budget project's indicators — computes them once)."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def figures(unit: Unit, period: Period) -> dict[str, Any]:
    """The statistics page's totals for UNIT's subtree and PERIOD."""
    from qinqing.demands import stats

    memo = _shared.get()
    key = (unit.pk, unit.path, period)
    if memo is not None and key in memo:
        return memo[key]
    total = stats.compute(_Viewer(unit), unit, period.start, period.end).total
    if memo is not None:
        memo[key] = total
    return total


def _decimal(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def list_url(unit: Unit, period: Period, statuses: tuple[str, ...] = ()) -> str:
    """The demand list filtered to UNIT's subtree, the period's submissions and STATUSES."""
    query: list[tuple[str, Any]] = [
        ("unit", unit.pk),
        ("created_after", period.start.isoformat()),
        ("created_before", period.end.isoformat()),
    ]
    query += [("status", s) for s in statuses]
    return f"{reverse('demands:list')}?{urlencode(query)}"


# Accepted but not closed: the demands behind a completion rate below 100 %.
NOT_CLOSED = (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.SUSPENDED, Status.REPLIED)


def _open_demands(unit: Unit, period: Period) -> str:
    return list_url(unit, period, tuple(s.value for s in NOT_CLOSED))


def _closed_demands(unit: Unit, period: Period) -> str:
    return list_url(unit, period, (Status.CLOSED.value,))


def _all_demands(unit: Unit, period: Period) -> str:
    return list_url(unit, period)


@register_metric(
    "demands.completion_rate",
    "企业诉求办理完成率",
    unit="%",
    definition="办结率 = 已办结 ÷ 受理量（受理且未不予受理），按提交时间计入期间",
    drilldown=_open_demands,
)
def completion_rate(unit: Unit, period: Period) -> Decimal | None:
    return _decimal(figures(unit, period)["close_rate"])


@register_metric(
    "demands.ontime_rate",
    "诉求按时办结率",
    unit="%",
    definition="按时办结率 = 在（延期后的）办结时限内答复并办结 ÷ 已办结",
    drilldown=_closed_demands,
)
def ontime_rate(unit: Unit, period: Period) -> Decimal | None:
    return _decimal(figures(unit, period)["on_time_close_rate"])


@register_metric(
    "demands.satisfaction_rate",
    "诉求满意率",
    unit="%",
    definition="满意率 = 评价为非常满意、满意、基本满意 ÷ 已评价（含回访代评）",
    drilldown=_closed_demands,
)
def satisfaction_rate(unit: Unit, period: Period) -> Decimal | None:
    return _decimal(figures(unit, period)["satisfaction_rate"])


@register_metric(
    "demands.avg_resolve_workdays",
    "诉求平均办理用时",
    unit="天",
    definition="已办结诉求自受理日至答复日的工作日数（扣除挂起）之平均",
    drilldown=_closed_demands,
)
def avg_resolve_workdays(unit: Unit, period: Period) -> Decimal | None:
    return _decimal(figures(unit, period)["avg_handle_days"])


@register_metric(
    "demands.accepted",
    "受理诉求数",
    unit="件",
    definition="期间内提交且已受理（未不予受理）的诉求件数",
    drilldown=_all_demands,
)
def accepted(unit: Unit, period: Period) -> int:
    return int(figures(unit, period)["accepted"])
