"""Fixtures for the liaison tests: real units, leaders at three levels, offices, and a settable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands import services as demand_services
from qinqing.demands.models import Category, Demand, DemandType
from qinqing.enterprises.models import Enterprise
from qinqing.liaison import services
from tests.factories import ContactFactory, EnterpriseFactory, make_user, unit

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


class Clock:
    def __init__(self) -> None:
        self.now = at(2026, 11, 23)

    def set(self, value: dt.datetime) -> None:
        self.now = value

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)
    yield c


@dataclass
class Cast:
    ent: Enterprise
    ent2: Enterprise
    ent3: Enterprise
    manas_ent: Enterprise
    zhou_leader: User  # 州 level leader (unit 昌吉回族自治州)
    changji_leader: User  # 县 level (昌吉市)
    town_leader: User  # 乡 level (榆树沟镇)
    office: User  # 昌吉市营商环境服务中心 dispatcher
    pref: User  # 昌吉州营商环境服务中心 dispatcher
    nr_head: User  # 昌吉市自然资源局 unit head
    handler: User  # 昌吉市自然资源局 handler
    town_head: User  # 榆树沟镇 unit head
    ent_user: User
    manas_office: User


@pytest.fixture
def cast(tree: None) -> Cast:
    ent = EnterpriseFactory(registered_unit=unit("昌吉市"), name="昌吉市示范制造有限公司")
    ContactFactory(enterprise=ent, name="王经理", mobile="13900001111")
    return Cast(
        ent=ent,
        ent2=EnterpriseFactory(registered_unit=unit("昌吉市"), name="昌吉市第二纺织有限公司"),
        ent3=EnterpriseFactory(registered_unit=unit("榆树沟镇"), name="榆树沟食品有限公司"),
        manas_ent=EnterpriseFactory(registered_unit=unit("玛纳斯县"), name="玛纳斯棉业有限公司"),
        zhou_leader=make_user(
            "zhou_leader", unit_name="昌吉回族自治州", roles=[Role.LEADER], full_name="州领导"
        ),
        changji_leader=make_user(
            "changji_leader", unit_name="昌吉市", roles=[Role.LEADER], full_name="市领导"
        ),
        town_leader=make_user("ysg_leader", unit_name="榆树沟镇", roles=[Role.LEADER], full_name="镇领导"),
        office=make_user("changji_dispatcher", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER]),
        pref=make_user("zhou_dispatcher", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER]),
        nr_head=make_user("changji_nr_head", unit_name="昌吉市自然资源局", roles=[Role.UNIT_HEAD]),
        handler=make_user("changji_handler", unit_name="昌吉市自然资源局", roles=[Role.HANDLER]),
        town_head=make_user("ysg_head", unit_name="榆树沟镇", roles=[Role.UNIT_HEAD, Role.DISPATCHER]),
        ent_user=make_user("ent_demo", enterprise=ent, roles=[Role.ENTERPRISE]),
        manas_office=make_user(
            "manas_dispatcher", unit_name="玛纳斯县营商环境服务中心", roles=[Role.DISPATCHER]
        ),
    )


def category(name: str = "用地") -> Category:
    return Category.objects.get(name=name, parent__isnull=False)


def problem(title: str, description: str, cat: str = "用地") -> services.ProblemData:
    return services.ProblemData(title=title, description=description, category=category(cat))


def act(user: User, demand: Demand, action: str, **params: Any) -> Demand:
    demand.refresh_from_db()
    demand_services.perform(user, demand.pk, action, demand.version, **params)
    demand.refresh_from_db()
    return demand


def submit_demand(cast: Cast, **kw: Any) -> Demand:
    data = demand_services.SubmitData(
        category=kw.pop("category", None) or category(),
        demand_type=kw.pop("demand_type", DemandType.HELP),
        title=kw.pop("title", "厂区用地手续办理缓慢"),
        description=kw.pop("description", "我公司扩建项目用地手续已提交三个月，至今未办结。"),
        enterprise=kw.pop("enterprise", cast.ent),
        contact_name="李四",
        contact_phone="13812341234",
        **kw,
    )
    return demand_services.submit(cast.office, data)


def drive(cast: Cast, demand: Demand, to: str, *, lead: str = "昌吉市自然资源局") -> Demand:
    """Move a submitted demand (received by 昌吉市营商中心) along the standard path to TO."""
    act(cast.office, demand, "accept")
    if to == "accepted":
        return demand
    act(cast.office, demand, "dispatch", lead_unit=unit(lead))
    if to == "dispatched":
        return demand
    head = cast.nr_head if lead == "昌吉市自然资源局" else cast.town_head
    act(head, demand, "sign")
    if to == "handling":
        return demand
    act(head, demand, "reply", outcome="resolved", text="已协调办理完毕。")
    if to == "replied":
        return demand
    return act(enterprise_user(cast, demand.enterprise), demand, "rate", rating=4)


def enterprise_user(cast: Cast, enterprise: Enterprise) -> User:
    if enterprise.pk == cast.ent.pk:
        return cast.ent_user
    name = f"ent_{enterprise.pk}"
    return User.objects.filter(username=name).first() or make_user(
        name, enterprise=enterprise, roles=[Role.ENTERPRISE]
    )
