"""Demo data: the org tree, one account per role, and each app's demo loader (all idempotent)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from qinqing.accounts.models import User, UserRole
from qinqing.accounts.roles import Role
from qinqing.orgs.models import Unit
from qinqing.orgs.tree import load_tree

DEMO_PASSWORD = "Qinqing@2026"  # noqa: S105 - the published demo password, only with QINQING_DEMO=1


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    unit: str  # unit name; "" for the enterprise account
    roles: tuple[str, ...]
    note: str = ""


DEMO_USERS: list[DemoUser] = [
    DemoUser(
        "zhou_dispatcher",
        "王调度",
        "昌吉州营商环境服务中心",
        (Role.DISPATCHER,),
        "州营商中心：受理、交办、督办",
    ),
    DemoUser(
        "zhou_head", "刘主任", "昌吉州营商环境服务中心", (Role.UNIT_HEAD,), "州营商中心负责人：审核、审批延期"
    ),
    DemoUser("zhou_leader", "马州长", "昌吉回族自治州", (Role.LEADER,), "州级领导：驾驶舱、包联"),
    DemoUser(
        "changji_dispatcher", "李调度", "昌吉市营商环境服务中心", (Role.DISPATCHER,), "昌吉市营商中心调度员"
    ),
    DemoUser(
        "changji_head",
        "张主任",
        "昌吉市营商环境服务中心",
        (Role.UNIT_HEAD,),
        "昌吉市营商中心负责人：月报提交",
    ),
    DemoUser("changji_leader", "赵市长", "昌吉市", (Role.LEADER,), "县级领导"),
    DemoUser("changji_filer", "陈统计", "昌吉市", (Role.STATS_FILER,), "昌吉市招商统计填报员"),
    DemoUser(
        "changji_nr_head", "孙局长", "昌吉市自然资源局", (Role.UNIT_HEAD,), "承办单位负责人：签收、分派"
    ),
    DemoUser("changji_handler", "周承办", "昌吉市自然资源局", (Role.HANDLER,), "承办人：办理、答复"),
    DemoUser(
        "manas_dispatcher",
        "吴调度",
        "玛纳斯县营商环境服务中心",
        (Role.DISPATCHER,),
        "另一县：看不到昌吉市数据",
    ),
    DemoUser("manas_handler", "郑承办", "玛纳斯县自然资源局", (Role.HANDLER,), "另一县承办人"),
    DemoUser("zhundong_filer", "冯统计", "准东经济技术开发区", (Role.STATS_FILER,), "园区统计填报员"),
    DemoUser(
        "urumqi_dispatcher", "何调度", "乌鲁木齐市招商服务局", (Role.DISPATCHER,), "乌鲁木齐市招商服务局"
    ),
    DemoUser(
        "sysadmin", "系统管理员", "昌吉州营商环境服务中心", (Role.SYSADMIN,), "系统管理员（后台、用户、日历）"
    ),
    DemoUser("secadmin", "安全管理员", "昌吉州营商环境服务中心", (Role.SECADMIN,), "安全管理员（角色授权）"),
    DemoUser(
        "auditadmin", "审计管理员", "昌吉州营商环境服务中心", (Role.AUDITADMIN,), "审计管理员（审计日志）"
    ),
    DemoUser("ent_demo", "企业联系人", "", (Role.ENTERPRISE,), "企业用户：提交诉求、评价"),
]


# Accounts that an app's demo loader creates with its own data (an organisation's account needs the
# organisation): printed with the others and checked by tests/core/test_demo.py.
@dataclass(frozen=True)
class AppAccount:
    username: str
    role: Role
    where: str
    note: str


APP_ACCOUNTS = [
    AppAccount("eval_firm", Role.EVALUATOR, "昌吉州营商环境服务中心", "第三方评估机构：只看所在评估轮次"),
    AppAccount("zhou_interviewer", Role.INTERVIEWER, "昌吉州营商环境服务中心", "调查员：录入访问问卷"),
    AppAccount("zj_chamber", Role.ORG_MEMBER, "乌鲁木齐浙江商会", "已登记商会：变更、年检、证书"),
    AppAccount("hn_chamber", Role.ORG_MEMBER, "乌鲁木齐河南商会", "筹备中商会：申请登记"),
    AppAccount("sc_chamber", Role.ORG_MEMBER, "乌鲁木齐四川商会", "商会账号"),
]

# Each app may ship `qinqing.<app>.demo.load(stdout) -> int`; loaded in this order.
APP_LOADERS = [
    "qinqing.enterprises.demo",
    "qinqing.demands.demo",
    "qinqing.investment.demo",
    "qinqing.liaison.demo",
    "qinqing.promotion.demo",
    "qinqing.portal.demo",
    "qinqing.chambers.demo",
    "qinqing.surveys.demo",
    "qinqing.evaluation.demo",
    "qinqing.kpi.demo",
]


def _demo_enterprise_id() -> int | None:
    from qinqing.enterprises.models import Enterprise

    unit = Unit.objects.get(name="昌吉市")
    first = Enterprise.objects.filter(registered_unit=unit).order_by("credit_code").first()
    return first.pk if first else None


@transaction.atomic
def load_users() -> int:
    """Create the demo accounts that do not exist yet; never touches existing ones."""
    created = 0
    for spec in DEMO_USERS:
        if User.objects.filter(username=spec.username).exists():
            continue
        user = User(username=spec.username, full_name=spec.full_name)
        if spec.unit:
            user.unit = Unit.objects.get(name=spec.unit)
        else:
            enterprise_id = _demo_enterprise_id()
            if enterprise_id is None:
                continue
            user.enterprise_id = enterprise_id
        user.set_password(DEMO_PASSWORD)
        user.save()
        UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in spec.roles])
        created += 1
    return created


def _loader(module_name: str) -> Callable[..., int] | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, "load", None)


def load_all(stdout: Any = None) -> dict[str, int]:
    counts = {"units": load_tree()}
    counts["users"] = load_users()
    for module_name in APP_LOADERS:
        loader = _loader(module_name)
        if loader is not None:
            counts[module_name.split(".")[1]] = loader(stdout=stdout)
        if module_name == "qinqing.enterprises.demo":
            counts["users"] += load_users()  # the enterprise account needs an enterprise
    return counts
