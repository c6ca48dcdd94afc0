"""Platform metrics: named, documented figures of (unit subtree, period), computed from live data.

Each app registers the figures it can measure in its ``AppConfig.ready()``; the apps that consume them
(kpi's budget targets, evaluation's live-data fill) look them up by their stable name and never import
the app that computes them. A metric whose app is not built yet is declared with ``declare_unavailable``
so consumers can say so instead of faking a value. Definitions are repeated in docs/metrics.md.

    @register_metric("demands.completion_rate", "企业诉求办理完成率", unit="%", definition="办结 ÷ 受理")
    def completion_rate(unit: Unit, period: Period) -> Decimal | None: ...

A metric answers ``None`` when the figure is undefined for the period (e.g. a rate over zero items).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qinqing.orgs.models import Unit


@dataclass(frozen=True)
class Period:
    """A closed range of dates, start and end included (a year, a month, a year to date)."""

    start: dt.date
    end: dt.date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return cls(dt.date(year, month, 1), nxt - dt.timedelta(days=1))

    def months(self) -> Iterator[Period]:
        """The calendar months overlapping the period, each cut to the period."""
        year, month = self.start.year, self.start.month
        while dt.date(year, month, 1) <= self.end:
            whole = Period.month(year, month)
            yield Period(max(whole.start, self.start), min(whole.end, self.end))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


MetricFunc = Callable[["Unit", Period], Decimal | int | None]


@dataclass(frozen=True)
class Metric:
    name: str  # stable, "<app>.<figure>"
    label: str  # Chinese label shown in the UI
    unit: str  # "%", "个", "件", "小时", "万元" …
    definition: str  # one sentence; the full text is in docs/metrics.md
    func: MetricFunc | None = None  # None: declared, but its app is not built yet
    unavailable_reason: str = ""
    # Records behind the figure for a drill-down: (unit, period) -> (label, url) pairs, optional.
    drilldown: Callable[[Unit, Period], str] | None = None

    @property
    def available(self) -> bool:
        return self.func is not None

    def compute(self, unit: Unit, period: Period) -> Decimal | None:
        if self.func is None:
            raise MetricUnavailable(self.name, self.unavailable_reason)
        value = self.func(unit, period)
        return None if value is None else Decimal(value)


class MetricUnavailable(LookupError):
    def __init__(self, name: str, reason: str = "") -> None:
        super().__init__(f"metric {name} is unavailable{': ' + reason if reason else ''}")
        self.name = name
        self.reason = reason


_REGISTRY: dict[str, Metric] = {}


def register_metric(
    name: str,
    label: str,
    *,
    unit: str,
    definition: str,
    drilldown: Callable[[Unit, Period], str] | None = None,
) -> Callable[[MetricFunc], MetricFunc]:
    """Register FUNC as the metric NAME (it replaces an earlier ``declare_unavailable`` of the name)."""

    def decorate(func: MetricFunc) -> MetricFunc:
        _REGISTRY[name] = Metric(name, label, unit, definition, func, drilldown=drilldown)
        return func

    return decorate


def declare_unavailable(name: str, label: str, *, unit: str, definition: str, reason: str) -> None:
    """Name a metric whose app does not exist yet; an available registration of the name wins."""
    existing = _REGISTRY.get(name)
    if existing is None or not existing.available:
        _REGISTRY[name] = Metric(name, label, unit, definition, None, unavailable_reason=reason)


def get_metric(name: str) -> Metric:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise MetricUnavailable(name, "no such metric") from None


def all_metrics() -> list[Metric]:
    return sorted(_REGISTRY.values(), key=lambda m: m.name)


def compute(name: str, unit: Unit, period: Period) -> Decimal | None:
    return get_metric(name).compute(unit, period)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with 2 decimals, or None over zero items."""
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.01"))


def _unregister_for_tests(name: str) -> Any:
    return _REGISTRY.pop(name, None)
