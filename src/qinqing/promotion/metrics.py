"""The promotion metrics of the platform registry (names agreed in docs/metrics.md; definitions in
docs/promotion.md ## Metrics). Each is a figure of the unit's subtree over the period, by start date."""

from __future__ import annotations

from decimal import Decimal

from qinqing.core.metrics import Period, register_metric
from qinqing.orgs.models import Unit
from qinqing.promotion import queries
from qinqing.promotion.models import Organiser, TripKind


@register_metric(
    "promotion.firms_received",
    "来访考察洽谈企业",
    unit="家",
    definition="开始日期在期内的考察接待的来访企业数（一次接待的每家企业计 1 家）",
)
def firms_received(unit: Unit, period: Period) -> int:
    return queries.firms_received(unit, period.start, period.end)


@register_metric(
    "promotion.people_received",
    "接待人数",
    unit="人次",
    definition="开始日期在期内的考察接待的来访人数之和",
)
def people_received(unit: Unit, period: Period) -> int:
    return queries.people_received(unit, period.start, period.end)


@register_metric(
    "promotion.exhibitions_region",
    "参加自治区组织的会展",
    unit="次",
    definition="开始日期在期内、组织方为自治区的展会",
)
def exhibitions_region(unit: Unit, period: Period) -> int:
    return queries.trips_counted(unit, period.start, period.end, TripKind.EXPO, Organiser.REGION)


@register_metric(
    "promotion.exhibitions_department",
    "参加委办局组织的展会",
    unit="次",
    definition="开始日期在期内、组织方为委办局的展会",
)
def exhibitions_department(unit: Unit, period: Period) -> int:
    return queries.trips_counted(unit, period.start, period.end, TripKind.EXPO, Organiser.DEPARTMENT)


@register_metric(
    "promotion.exchange_meetings",
    "组织参加招商交流会",
    unit="次",
    definition="开始日期在期内、类型为招商交流会的活动",
)
def exchange_meetings(unit: Unit, period: Period) -> int:
    return queries.trips_counted(unit, period.start, period.end, TripKind.EXCHANGE)


@register_metric(
    "promotion.task_forces",
    "驻外招商工作组",
    unit="个",
    definition="驻外期间与期内有重叠的驻外招商工作组",
)
def task_forces(unit: Unit, period: Period) -> int:
    return queries.task_forces(unit, period.start, period.end)


@register_metric(
    "promotion.spending_yuan",
    "招商经费支出",
    unit="元",
    definition="开始日期在期内的考察接待和外出招商活动的费用合计（补助按标准计算，加交通、住宿、其他）",
)
def spending_yuan(unit: Unit, period: Period) -> Decimal:
    return queries.spending_yuan(unit, period.start, period.end)
