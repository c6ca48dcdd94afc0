from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.investment.models import IndustryCluster
from tests.factories import unit

TODAY = dt.date(2026, 9, 15)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Pin today to 2026-09-15 (Asia/Shanghai)."""
    import zoneinfo

    from django.utils import timezone

    now = dt.datetime(2026, 9, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: now)
    return TODAY


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user("cj_officer", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])


@pytest.fixture
def manas_officer(make_user: Callable[..., User]) -> User:
    return make_user("manas_officer", unit_name="玛纳斯县营商环境服务中心", roles=[Role.DISPATCHER])


@pytest.fixture
def prefecture(make_user: Callable[..., User]) -> User:
    return make_user("zhou_officer", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER])


def reception_data(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "江苏铝业集团考察昌吉高新区",
        "start_date": dt.date(2026, 3, 2),
        "end_date": dt.date(2026, 3, 3),
        "origin": "江苏省",
        "cluster": IndustryCluster.objects.get(scheme="changji", name="铝基产业"),
        "delegation_size": 6,
        "delegation_leaders": "王董事长",
        "hosts": "张三、李四",
        "itinerary": "昌吉高新区、准东园区",
        "meal_yuan": Decimal("1200"),
        "lodging_yuan": Decimal("2000"),
        "lodging_nights": 6,
        "transport_yuan": Decimal("800"),
    }
    data.update(kw)
    return data


FIRMS = [
    {"name": "江苏某铝业集团有限公司", "credit_code": "", "origin": "江苏省"},
    {"name": "浙江某新材料股份有限公司", "credit_code": "", "origin": "浙江省"},
]


def lead_data(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "年产20万吨铝合金型材项目",
        "investor_name": "江苏某铝业集团有限公司",
        "investor_origin": "江苏省",
        "source": "province",
        "investor_type": "private",
        "industry_section": "C",
        "cluster": IndustryCluster.objects.get(scheme="changji", name="铝基产业"),
        "location_unit": unit("昌吉市"),
        "planned_investment_wan": Decimal("60000"),
    }
    data.update(kw)
    return data
