"""The ops.* platform metrics, and the agreed metric names no app has registered (declared unavailable).

``CATALOGUE`` is the agreed list of platform metric names (label, unit, definition, owning app). kpi's
``ready()`` runs last: every name still missing is declared unavailable with the reason, so a target
that reads it shows 未接入 rather than a made-up value; ``declare_unavailable`` never replaces a
registered metric.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from qinqing.core.metrics import Period, declare_unavailable, register_metric
from qinqing.kpi import ops
from qinqing.orgs.models import Unit


def _incidents(unit: Unit, period: Period) -> str:
    return f"{reverse('kpi:incidents')}?start={period.start.isoformat()}&end={period.end.isoformat()}"


def _requests(unit: Unit, period: Period) -> str:
    return f"{reverse('kpi:requests')}?start={period.start.isoformat()}&end={period.end.isoformat()}"


FAULT = "故障时间 ÷ 服务时间 × 100（故障区间取并集，服务时间为期间内至今的全部时长）"
REPAIR = "期间内恢复的故障，自故障开始至恢复的平均小时数"
RESPONSE = "期间内提出并已响应的运维请求，自提出至首次响应的平均小时数"


@register_metric("ops.fault_rate", "系统故障率", unit="%", definition=FAULT, drilldown=_incidents)
def fault_rate(unit: Unit, period: Period) -> Decimal | None:
    return ops.fault_rate(ops.PLATFORM, period)


@register_metric(
    "ops.repair_hours", "系统故障修复处理时间", unit="小时", definition=REPAIR, drilldown=_incidents
)
def repair_hours(unit: Unit, period: Period) -> Decimal | None:
    return ops.repair_hours(ops.PLATFORM, period)


@register_metric(
    "ops.response_hours", "系统运行维护响应时间", unit="小时", definition=RESPONSE, drilldown=_requests
)
def response_hours(unit: Unit, period: Period) -> Decimal | None:
    return ops.response_hours(ops.PLATFORM, period)


@register_metric(
    "ops.miniprogram_fault_rate", "招商小程序故障率", unit="%", definition=FAULT, drilldown=_incidents
)
def miniprogram_fault_rate(unit: Unit, period: Period) -> Decimal | None:
    return ops.fault_rate(ops.MINIPROGRAM, period)


@register_metric(
    "ops.miniprogram_repair_hours",
    "招商小程序故障修复时间",
    unit="小时",
    definition=REPAIR,
    drilldown=_incidents,
)
def miniprogram_repair_hours(unit: Unit, period: Period) -> Decimal | None:
    return ops.repair_hours(ops.MINIPROGRAM, period)


@register_metric(
    "ops.miniprogram_response_hours",
    "招商小程序运维响应时间",
    unit="小时",
    definition=RESPONSE,
    drilldown=_requests,
)
def miniprogram_response_hours(unit: Unit, period: Period) -> Decimal | None:
    return ops.response_hours(ops.MINIPROGRAM, period)


# name: (label, unit, definition)
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "accounts.active_units": ("系统使用单位", "个", "期间内有用户成功登录的单位数"),
    "accounts.key_units": ("重点县市、部门使用单位", "个", "使用单位中的县市区、园区与州、县级部门"),
    "demands.completion_rate": ("企业诉求办理完成率", "%", "已办结 ÷ 受理量"),
    "demands.ontime_rate": ("诉求按时办结率", "%", "按时办结 ÷ 已办结"),
    "demands.satisfaction_rate": ("诉求满意率", "%", "满意（前三档）÷ 已评价"),
    "demands.avg_resolve_workdays": ("诉求平均办理用时", "天", "受理至办结的平均工作日"),
    "demands.accepted": ("受理诉求数", "件", "期间内受理的诉求"),
    "analysis.completion_rate": ("诉求分析完成率", "%", "已生成的分析月报 ÷ 应生成的分析月报"),
    "investment.project_completion_rate": ("招商引资项目完成率", "%", "落实执行项目 ÷ 年度目标"),
    "investment.monthly_operations": ("招商月报调度次数", "次", "有已报送月报的月份数"),
    "investment.projects": ("落实执行项目", "个", "期末落实执行项目数"),
    "investment.funds_in_place_yi": ("引进区外到位资金", "亿元", "期间区外到位资金"),
    "investment.reporting_units": ("使用系统报送的县市、园区", "个", "期间内报送招商月报的县市区、园区数"),
    "promotion.firms_received": ("接待考察洽谈企业", "家", "来访考察洽谈的投资企业"),
    "promotion.people_received": ("接待人数", "人次", "接待的来访人次"),
    "promotion.exhibitions_region": ("参加自治区组织的会展", "次", "参加自治区组织的会展任务"),
    "promotion.exhibitions_department": ("参加委办局组织的展会", "次", "参加委、办、局组织的展会"),
    "promotion.exchange_meetings": ("招商交流会", "次", "组织人员参加的招商交流会"),
    "promotion.task_forces": ("驻外招商工作组", "个", "成立的驻外招商工作组"),
    "promotion.spending_yuan": ("招商活动支出", "元", "招商活动经费支出"),
    "portal.docking_talks": ("对接洽谈项目", "项", "收到的对接洽谈"),
    "portal.docking_talks_ontime_rate": ("对接洽谈按时答复率", "%", "按时答复 ÷ 收到"),
    "portal.publications_printed": ("印制资料数", "本", "印制的投资指南、项目册等"),
    "portal.printing_error_rate": ("印制资料错误率", "%", "有错误的印次 ÷ 印次"),
    "portal.satisfaction_rate": ("使用人员满意度", "%", "满意评价 ÷ 评价"),
    "chambers.annual_inspections": ("商会年检", "家次", "完成年检的商会、办事处"),
    "chambers.revocations": ("撤销登记备案", "件", "撤销登记备案手续"),
    "chambers.changes": ("变更登记备案", "件", "变更登记备案手续"),
    "chambers.registrations": ("新增登记备案", "件", "新增登记备案手续"),
    "chambers.certificates": ("登记备案证书", "件", "制作的登记备案证书"),
    "chambers.registration_error_rate": ("登记备案出错率", "%", "出错的登记备案 ÷ 登记备案"),
    "chambers.ontime_rate": ("登记备案及时性", "%", "按时办理 ÷ 办理"),
    "chambers.complaints": ("社会公众投诉次数", "件", "收到的投诉"),
    "surveys.satisfaction_index": ("满意度指数", "分", "单位的满意度指数（0–100）"),
    "surveys.satisfaction_rate": ("社会满意度", "%", "满意与非常满意 ÷ 有效回答"),
    "surveys.reports": ("满意度调查报告", "份", "生成的单位报告"),
    "surveys.units_surveyed": ("调查县市、园区", "个", "完成调查的单位数"),
    "evaluation.reports": ("营商环境评价报告", "份", "生成的单位评价报告"),
    "evaluation.units_evaluated": ("评价县市、园区", "个", "完成评价的单位数"),
    "ops.fault_rate": ("系统故障率", "%", FAULT),
    "ops.repair_hours": ("系统故障修复处理时间", "小时", REPAIR),
    "ops.response_hours": ("系统运行维护响应时间", "小时", RESPONSE),
    "ops.miniprogram_fault_rate": ("招商小程序故障率", "%", FAULT),
    "ops.miniprogram_repair_hours": ("招商小程序故障修复时间", "小时", REPAIR),
    "ops.miniprogram_response_hours": ("招商小程序运维响应时间", "小时", RESPONSE),
}

APP_NAMES = {
    "promotion": "招商活动",
    "portal": "招商门户与小程序",
    "chambers": "商会管理",
    "surveys": "满意度调查",
    "evaluation": "营商环境评价",
}


def declare_missing() -> None:
    for name, (label, unit, definition) in CATALOGUE.items():
        app = name.split(".", 1)[0]
        reason = f"“{APP_NAMES.get(app, app)}”模块尚未提供此指标"
        declare_unavailable(name, label, unit=unit, definition=definition, reason=reason)
