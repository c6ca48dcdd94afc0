"""Platform metrics of the evaluation app (docs/evaluation.md "Metrics")."""

from __future__ import annotations

from qinqing.core.metrics import Period, register_metric
from qinqing.core.scoping import subtree_unit_ids
from qinqing.orgs.models import Unit


@register_metric(
    "evaluation.reports",
    "营商环境评价报告",
    unit="份",
    definition="期间内生成的被评价单位报告份数（同一轮次同一单位计一份），单位为子树内的被评价单位",
)
def reports(unit: Unit, period: Period) -> int:
    from qinqing.evaluation.models import ReportKind, ReportLog

    return (
        ReportLog.objects.filter(
            unit_id__in=subtree_unit_ids(unit),
            kind__in=[ReportKind.UNIT_PDF, ReportKind.UNIT_DOCX],
            at__date__gte=period.start,
            at__date__lte=period.end,
        )
        .values("round_id", "unit_id")
        .distinct()
        .count()
    )


@register_metric(
    "evaluation.units_evaluated",
    "参评县市园区",
    unit="个",
    definition="子树内参加评价年度落在期间内的评价轮次的县市区和园区个数（去重）",
)
def units_evaluated(unit: Unit, period: Period) -> int:
    from qinqing.evaluation.models import Round

    return (
        Round.units.through.objects.filter(
            unit_id__in=subtree_unit_ids(unit),
            round__year__gte=period.start.year,
            round__year__lte=period.end.year,
        )
        .values("unit_id")
        .distinct()
        .count()
    )
