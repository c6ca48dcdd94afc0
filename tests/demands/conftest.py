"""Fixtures for the demands tests: the org tree's real units, users per party, and a settable clock."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands import services
from qinqing.demands.models import Category, Demand, DemandType, Urgency
from qinqing.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, make_user, unit

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _seeded(db: None) -> None:
    """The seeded taxonomy and time limits (a transactional test's flush removes migration data)."""
    if not Category.objects.exists():
        from django.apps import apps

        seed = importlib.import_module("qinqing.demands.migrations.0002_seed")
        seed.seed(apps, None)


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(y, m, d), dt.time.max, tzinfo=TZ)


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
class People:
    enterprise: Enterprise
    ent: User
    office: User  # 昌吉市营商环境服务中心 dispatcher
    office_head: User
    pref: User  # 昌吉州营商环境服务中心 dispatcher
    lead_head: User  # 昌吉市自然资源局 unit head
    handler: User  # 昌吉市自然资源局 handler
    handler2: User
    assist: User  # 昌吉市住房和城乡建设局 handler
    town_head: User  # 榆树沟镇 unit head
    other: User  # 玛纳斯县自然资源局 handler
    other_office: User  # 玛纳斯县营商环境服务中心 dispatcher
    leader: User  # 昌吉市 leader


@pytest.fixture
def people(tree: None) -> People:
    ent = EnterpriseFactory(registered_unit=unit("昌吉市"), name="昌吉市示范制造有限公司")
    return People(
        enterprise=ent,
        ent=make_user("ent_demo", enterprise=ent, roles=[Role.ENTERPRISE], email="ent@example.com"),
        office=make_user("changji_dispatcher", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER]),
        office_head=make_user("changji_head", unit_name="昌吉市营商环境服务中心", roles=[Role.UNIT_HEAD]),
        pref=make_user("zhou_dispatcher", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER]),
        lead_head=make_user("changji_nr_head", unit_name="昌吉市自然资源局", roles=[Role.UNIT_HEAD]),
        handler=make_user("changji_handler", unit_name="昌吉市自然资源局", roles=[Role.HANDLER]),
        handler2=make_user("changji_handler2", unit_name="昌吉市自然资源局", roles=[Role.HANDLER]),
        assist=make_user("changji_zj", unit_name="昌吉市住房和城乡建设局", roles=[Role.HANDLER]),
        town_head=make_user("ysg_head", unit_name="榆树沟镇", roles=[Role.UNIT_HEAD]),
        other=make_user("manas_handler", unit_name="玛纳斯县自然资源局", roles=[Role.HANDLER]),
        other_office=make_user(
            "manas_dispatcher", unit_name="玛纳斯县营商环境服务中心", roles=[Role.DISPATCHER]
        ),
        leader=make_user("changji_leader", unit_name="昌吉市", roles=[Role.LEADER]),
    )


def category(name: str = "用地") -> Category:
    return Category.objects.get(name=name, parent__isnull=False)


def submit(people: People, **kw: Any) -> Demand:
    user = kw.pop("by", None) or people.ent
    data = services.SubmitData(
        category=kw.pop("category", None) or category(),
        demand_type=kw.pop("demand_type", DemandType.COMPLAINT),
        title=kw.pop("title", "厂区用地手续办理缓慢"),
        description=kw.pop("description", "我公司扩建项目用地手续已提交三个月，至今未办结。"),
        urgency=kw.pop("urgency", Urgency.NORMAL),
        contact_name="李四",
        contact_phone="13812341234",
        **kw,
    )
    return services.submit(user, data)


def act(user: User, demand: Demand, action: str, **params: Any) -> Demand:
    demand.refresh_from_db()
    services.perform(user, demand.pk, action, demand.version, **params)
    demand.refresh_from_db()
    return demand


@pytest.fixture
def flow(people: People) -> Callable[..., Demand]:
    """Drive a fresh demand to STATE with the standard cast."""

    def build(state: str, **kw: Any) -> Demand:
        assist = kw.pop("assist", [])
        d = submit(people, **kw)
        if state == "submitted":
            return d
        if state == "rejected":
            return act(people.office, d, "reject", reason="repeat")
        act(people.office, d, "accept")
        if state == "accepted":
            return d
        act(people.office, d, "dispatch", lead_unit=unit("昌吉市自然资源局"), assisting_units=assist)
        if state == "dispatched":
            return d
        act(people.lead_head, d, "sign")
        act(people.lead_head, d, "assign", handler=people.handler)
        if state == "handling":
            return d
        if state == "suspended":
            return act(people.handler, d, "suspend", note="请补充用地红线图")
        if assist:
            act(people.assist, d, "opinion", text="同意主办单位意见")
        act(people.handler, d, "reply", outcome="resolved", text="已协调办理完毕，用地手续已批复。")
        if state == "replied":
            return d
        return act(people.ent, d, "rate", rating=4)

    return build
