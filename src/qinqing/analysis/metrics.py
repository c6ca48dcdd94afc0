"""Platform metric of demand analysis (qinqing.core.metrics): 诉求分析完成率.

The analysis the budgets promise (对企业困难诉求进行统计分析) is the monthly 营商环境诉求分析月报 that
``analysis.services`` produces for every prefecture, county and park (``report_units``). The rate over a
unit's subtree and a period: reports produced for those units and the period's months that have ended,
÷ (units × ended months). A month that has not ended yet is not due. Definitions: docs/kpi.md "Metrics".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from qinqing.analysis.models import AnalysisReport
from qinqing.core.metrics import Period, rate, register_metric
from qinqing.orgs.models import Unit, UnitKind

REPORT_KINDS = (UnitKind.PREFECTURE, UnitKind.COUNTY, UnitKind.PARK)  # as services.report_units


def due_months(period: Period, today: dt.date | None = None) -> list[dt.date]:
    """First days of the period's months that have ended by TODAY."""
    today = today or timezone.localdate()
    return [
        m.start.replace(day=1)
        for m in period.months()
        if Period.month(m.start.year, m.start.month).end < today
    ]


def _reports_page(unit: Unit, period: Period) -> str:
    return reverse("analysis:reports")


@register_metric(
    "analysis.completion_rate",
    "诉求分析完成率",
    unit="%",
    definition="已生成的诉求分析月报 ÷（本单位及下级的州、县市区、园区数 × 期间内已结束的月份数）",
    drilldown=_reports_page,
)
def completion_rate(unit: Unit, period: Period) -> Decimal | None:
    months = due_months(period)
    units = Unit.objects.active().filter(path__startswith=unit.path, kind__in=REPORT_KINDS).values("pk")
    expected = units.count() * len(months)
    done = AnalysisReport.objects.filter(unit_id__in=units, month__in=months).count()
    return rate(done, expected)
