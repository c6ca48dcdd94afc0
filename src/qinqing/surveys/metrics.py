"""Platform metrics of the surveys app (names agreed in docs/metrics.md; definitions in docs/surveys.md).

A unit's figures come from the surveys whose period ends within the metric's period and that surveyed
the unit or units below it; the small-cell rule applies (None below k responses).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from qinqing.core.metrics import Period, register_metric
from qinqing.orgs.models import Unit
from qinqing.surveys.models import DimensionScore, Response, Survey, SurveyReport


def _surveys(unit: Unit, period: Period) -> list[Survey]:
    return list(
        Survey.objects.filter(
            ends_on__gte=period.start, ends_on__lte=period.end, units__path__startswith=unit.path
        ).distinct()
    )


@register_metric(
    "surveys.satisfaction_index",
    "营商环境满意度指数",
    unit="分",
    definition="单位（含下级）答卷总指数的平均值（0–100），少于最小单元格数的不计",
)
def satisfaction_index(unit: Unit, period: Period) -> Decimal | None:
    total = n = 0.0
    for survey in _surveys(unit, period):
        row = DimensionScore.objects.filter(
            survey=survey, dimension="", unit__path__startswith=unit.path
        ).aggregate(n=Count("pk"), s=Sum("score"))
        if row["n"] and row["n"] >= survey.min_cell:
            n += row["n"]
            total += row["s"] or 0.0
    return None if n == 0 else Decimal(f"{total / n:.2f}")


@register_metric(
    "surveys.satisfaction_rate",
    "营商环境满意度（满意及非常满意占比）",
    unit="%",
    definition="五级评价中“满意”“非常满意”的回答数 ÷ 五级评价回答数",
)
def satisfaction_rate(unit: Unit, period: Period) -> Decimal | None:
    sat = rated = 0
    for survey in _surveys(unit, period):
        row = Response.objects.filter(survey=survey, valid=True, unit__path__startswith=unit.path).aggregate(
            n=Count("pk"), sat=Sum("satisfied"), rated=Sum("rated")
        )
        if row["n"] and row["n"] >= survey.min_cell:
            sat += row["sat"] or 0
            rated += row["rated"] or 0
    return None if rated == 0 else Decimal(f"{100 * sat / rated:.2f}")


@register_metric(
    "surveys.reports",
    "满意度调查报告",
    unit="份",
    definition="期间内结束的调查为本单位及下级生成的单位报告份数",
)
def reports(unit: Unit, period: Period) -> int:
    return SurveyReport.objects.filter(
        kind="unit",
        unit__path__startswith=unit.path,
        survey__ends_on__gte=period.start,
        survey__ends_on__lte=period.end,
    ).count()


@register_metric(
    "surveys.units_surveyed",
    "开展满意度调查的单位",
    unit="个",
    definition="期间内结束的调查所覆盖、且有答卷的本单位及下级单位数",
)
def units_surveyed(unit: Unit, period: Period) -> int:
    return (
        Response.objects.filter(
            survey__ends_on__gte=period.start,
            survey__ends_on__lte=period.end,
            unit__path__startswith=unit.path,
            valid=True,
        )
        .values("unit_id")
        .distinct()
        .count()
    )
