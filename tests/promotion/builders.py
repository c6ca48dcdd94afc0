"""Rows for the promotion tests, written directly (the services are tested on their own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from qinqing.orgs.models import Unit
from qinqing.promotion.models import NextStep, Reception, ReceptionFirm, TaskForce, Touch, Trip, YearPlan


def reception(unit: Unit, day: dt.date = dt.date(2026, 3, 2), **kw: Any) -> Reception:
    values: dict[str, Any] = {
        "title": "江苏某集团考察",
        "start_date": day,
        "end_date": day,
        "origin": "江苏省",
        "delegation_size": 5,
        "hosts": "张三",
    }
    values.update(kw)
    r = Reception.objects.create(unit=unit, **values)
    ReceptionFirm.objects.create(reception=r, name="江苏某集团有限公司", origin="江苏省")
    return r


def trip(unit: Unit, day: dt.date = dt.date(2026, 4, 1), **kw: Any) -> Trip:
    values: dict[str, Any] = {
        "kind": "squad",
        "title": "赴浙江小分队招商",
        "province": "浙江省",
        "start_date": day,
        "end_date": day + dt.timedelta(days=2),
        "participants": 3,
    }
    values.update(kw)
    return Trip.objects.create(unit=unit, **values)


def task_force(unit: Unit, **kw: Any) -> TaskForce:
    values: dict[str, Any] = {
        "name": "驻上海招商工作组",
        "base_province": "上海市",
        "base_city": "上海",
        "start_date": dt.date(2026, 1, 1),
        "leader": "李四",
        "members": "李四 组长",
    }
    values.update(kw)
    return TaskForce.objects.create(unit=unit, **values)


def touch(unit: Unit, project: Any, **source: Any) -> Touch:
    src = next(iter(source.values()))
    return Touch.objects.create(project=project, unit=unit, on=src.start_date, **source)


def next_step(unit: Unit, owner: Any, **kw: Any) -> NextStep:
    src = kw.pop("reception", None) or reception(unit)
    return NextStep.objects.create(
        unit=unit,
        reception=src,
        owner=owner,
        description="报送项目材料",
        due_on=kw.pop("due_on", dt.date(2026, 3, 10)),
    )


def plan(unit: Unit, year: int = 2026, **kw: Any) -> YearPlan:
    return YearPlan.objects.create(
        unit=unit, year=year, budget_yuan=kw.pop("budget_yuan", Decimal("302000")), **kw
    )
