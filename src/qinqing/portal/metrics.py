"""The portal's platform metrics (names agreed in docs/metrics.md; definitions in docs/portal.md)."""

from __future__ import annotations

from decimal import Decimal

from qinqing.core.metrics import Period, rate, register_metric
from qinqing.orgs.models import Unit
from qinqing.portal import queries


@register_metric(
    "portal.docking_talks",
    "对接洽谈项目数",
    unit="项",
    definition="期间内门户/小程序收到的对接洽谈（按提交时间，受理单位在本单位辖区内）",
)
def docking_talks(unit: Unit, period: Period) -> int:
    return int(queries.inquiries_in(unit, period).count())


@register_metric(
    "portal.docking_talks_ontime_rate",
    "对接洽谈按时答复率",
    unit="%",
    definition="期间内收到的洽谈中在答复期限内首次答复的 ÷ 已答复或已到期的",
)
def docking_talks_ontime_rate(unit: Unit, period: Period) -> Decimal | None:
    ontime, due = queries.ontime_counts(unit, period)
    return rate(ontime, due)


@register_metric(
    "portal.publications_printed",
    "出版物印制数",
    unit="本",
    definition="期间内印制完成的投资指南、招商项目册、政策汇编、产业园区手册的印数之和",
)
def publications_printed(unit: Unit, period: Period) -> int:
    return queries.printed(unit, period)


@register_metric(
    "portal.printing_error_rate",
    "印刷差错率",
    unit="%",
    definition="期间内印制完成的版次中，登记差错涉及的册数 ÷ 印数",
)
def printing_error_rate(unit: Unit, period: Period) -> Decimal | None:
    wrong, copies = queries.printing_errors(unit, period)
    return rate(wrong, copies)


@register_metric(
    "portal.satisfaction_rate",
    "门户洽谈服务满意率",
    unit="%",
    definition="期间内投资者评价中 非常满意/满意/基本满意 ÷ 全部评价",
)
def satisfaction_rate(unit: Unit, period: Period) -> Decimal | None:
    good, total = queries.satisfaction(unit, period)
    return rate(good, total)
