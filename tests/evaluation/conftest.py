from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.evaluation import services
from qinqing.evaluation.models import IndicatorSystem, Round
from qinqing.orgs.models import Unit, UnitKind

# Two topics: one Doing Business-like (lower is better), one with a live metric leaf and a weighted leaf.
SMALL = {
    "code": "T",
    "name": "测试体系",
    "missing": "exclude",
    "children": [
        {
            "code": "T.A",
            "name": "开办企业",
            "children": [
                {"code": "T.A.P", "name": "程序", "unit": "个", "better": "lower", "best": 1, "worst": 18},
                {"code": "T.A.D", "name": "时间", "unit": "天", "better": "lower", "best": 0.5, "worst": 100},
            ],
        },
        {
            "code": "T.B",
            "name": "政务服务",
            "children": [
                {
                    "code": "T.B.R",
                    "name": "按时办结率",
                    "unit": "%",
                    "better": "higher",
                    "best": 100,
                    "worst": 0,
                    "source": "metric",
                    "metric": "test.live_rate",
                },
                {
                    "code": "T.B.S",
                    "name": "满意度",
                    "unit": "分",
                    "better": "higher",
                    "best": 100,
                    "worst": 0,
                    "weight": 3,
                },
            ],
        },
    ],
}


@pytest.fixture
def office(make_user: Callable[..., User]) -> User:
    return make_user("urumqi_office", unit_name="乌鲁木齐市招商服务局", roles=[Role.DISPATCHER])


@pytest.fixture
def evaluator(make_user: Callable[..., User]) -> User:
    return make_user(
        "eval_firm", unit_name="乌鲁木齐市招商服务局", roles=[Role.EVALUATOR], full_name="评估公司张三"
    )


@pytest.fixture
def system(office: User) -> IndicatorSystem:
    return services.import_system(office, SMALL, year=2026)


def urumqi_units() -> list[Unit]:
    city = Unit.objects.get(name="乌鲁木齐市")
    return list(
        Unit.objects.filter(path__startswith=city.path, kind__in=[UnitKind.COUNTY, UnitKind.PARK]).order_by(
            "path"
        )
    )


@pytest.fixture
def rnd(office: User, system: IndicatorSystem, evaluator: User) -> Round:
    data = services.RoundData(
        "2026年乌鲁木齐市营商环境评价",
        2026,
        system,
        office.scope_unit,  # type: ignore[arg-type]
        urumqi_units(),
        dt.date(2026, 9, 1),
        dt.date(2026, 12, 31),
    )
    r = services.create_round(office, data)
    services.add_member(office, r, evaluator)
    return r


def values_of(r: Round, unit: Unit) -> dict[str, Any]:
    return {v.indicator.code: v for v in r.values.filter(unit=unit).select_related("indicator")}


def enter_and_accept(office: User, r: Round, unit: Unit, numbers: dict[str, Any]) -> None:
    vals = values_of(r, unit)
    entries = [services.Entry(vals[c].pk, vals[c].version, str(n)) for c, n in numbers.items()]
    services.enter_values(office, r, entries, submit=True)
    services.transition(office, r, [vals[c].pk for c in numbers], "accept")
