"""Platform metrics of investment promotion (qinqing.core.metrics), read by kpi by name.

The figures come from the target-progress computation of the 目标进度 page (``queries.actuals``, the
same counting rules and exclusions as the monthly reports) so a budget target's actual value agrees
with /investment/targets/. Definitions: docs/kpi.md "Metrics" and docs/metrics.md "Investment promotion".
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from qinqing.core.metrics import Period, register_metric
from qinqing.investment import rules
from qinqing.investment.models import (
    REPORTING_KINDS,
    Indicator,
    InvestmentSettings,
    MonthlyReport,
    ReportStatus,
    Target,
)
from qinqing.orgs.models import Unit

ZERO = Decimal(0)


def _segments(period: Period) -> list[tuple[int, int, int]]:
    """(year, first month, last month) for each calendar year the period touches."""
    out = []
    for year in range(period.start.year, period.end.year + 1):
        first = period.start.month if year == period.start.year else 1
        last = period.end.month if year == period.end.year else 12
        out.append((year, first, last))
    return out


def _actual(unit: Unit, year: int, month: int, indicator: str) -> Decimal:
    from qinqing.investment.queries import actuals

    return actuals(unit, year, month, InvestmentSettings.current())[indicator]


def _project_list(unit: Unit, period: Period) -> str:
    return f"{reverse('investment:list')}?{urlencode({'unit': unit.pk})}"


def _reports(unit: Unit, period: Period) -> str:
    return reverse("investment:reports")


@register_metric(
    "investment.funds_in_place_yi",
    "引进区外到位资金",
    unit="亿元",
    definition="期间各月计入统计项目的区外到位资金之和（万元 ÷ 10,000），口径同目标进度页",
    drilldown=_project_list,
)
def funds_in_place_yi(unit: Unit, period: Period) -> Decimal:
    total = ZERO
    for year, first, last in _segments(period):
        total += _actual(unit, year, last, Indicator.OUTSIDE_FUNDS)
        if first > 1:  # year-to-date sums: take away the months before the period
            total -= _actual(unit, year, first - 1, Indicator.OUTSIDE_FUNDS)
    return total


@register_metric(
    "investment.projects",
    "落实执行项目",
    unit="个",
    definition="期末的落实执行项目数（计入统计、已首签、未终止、非上年以前投产），口径同目标进度页",
    drilldown=_project_list,
)
def projects(unit: Unit, period: Period) -> Decimal:
    return _actual(unit, period.end.year, period.end.month, Indicator.IN_EXECUTION)


@register_metric(
    "investment.project_completion_rate",
    "招商引资项目完成率",
    unit="%",
    definition="期末落实执行项目数 ÷ 本单位该年度“落实执行项目”目标 × 100（未设目标时无值）",
    drilldown=_project_list,
)
def project_completion_rate(unit: Unit, period: Period) -> Decimal | None:
    year = period.end.year
    target = Target.objects.filter(year=year, unit=unit, indicator=Indicator.IN_EXECUTION).first()
    if target is None:
        return None
    actual = _actual(unit, year, period.end.month, Indicator.IN_EXECUTION)
    return rules.completion_pct(actual, target.value)


@register_metric(
    "investment.monthly_operations",
    "招商月报调度次数",
    unit="次",
    definition="期间内有至少一份已报送或已审核招商月报（本单位及下级）的统计月份数",
    drilldown=_reports,
)
def monthly_operations(unit: Unit, period: Period) -> int:
    months = (
        MonthlyReport.objects.filter(
            unit__path__startswith=unit.path,
            month__gte=period.start.replace(day=1),
            month__lte=period.end,
            status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED),
        )
        .values("month")
        .distinct()
    )
    return months.count()


@register_metric(
    "investment.reporting_units",
    "使用系统报送的县市、园区",
    unit="个",
    definition="期间内至少报送（已报送或已审核）一份招商月报的县市区、园区数",
    drilldown=_reports,
)
def reporting_units(unit: Unit, period: Period) -> int:
    return (
        MonthlyReport.objects.filter(
            unit__path__startswith=unit.path,
            unit__kind__in=REPORTING_KINDS,
            month__gte=period.start.replace(day=1),
            month__lte=period.end,
            status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED),
        )
        .values("unit_id")
        .distinct()
        .count()
    )
