from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.investment import services
from qinqing.investment.models import IndustryCluster, Project
from tests.factories import unit


@pytest.fixture
def filer(make_user: Callable[..., User]) -> User:
    return make_user("changji_filer", unit_name="昌吉市营商环境服务中心", roles=[Role.STATS_FILER])


@pytest.fixture
def head(make_user: Callable[..., User]) -> User:
    return make_user("changji_head", unit_name="昌吉市营商环境服务中心", roles=[Role.UNIT_HEAD])


@pytest.fixture
def reviewer(prefecture_dispatcher: User) -> User:
    return prefecture_dispatcher


@pytest.fixture
def manas_filer(make_user: Callable[..., User]) -> User:
    return make_user("manas_filer", unit_name="玛纳斯县营商环境服务中心", roles=[Role.STATS_FILER])


def project_data(unit_name: str = "昌吉市", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "年产10万吨铝合金材料项目",
        "investor_name": "江苏某铝业集团有限公司",
        "investor_origin": "江苏省",
        "source": "province",
        "investor_type": "private",
        "sector": 2,
        "industry_section": "C",
        "industry_division": "32",
        "location_unit": unit(unit_name),
        "planned_investment_wan": Decimal("50000"),
        "construction": "new",
        "expected_jobs": 300,
        "cluster": IndustryCluster.objects.get(scheme="changji", name="铝基产业"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_project(filer: User) -> Callable[..., Project]:
    def make(
        *,
        user: User | None = None,
        unit_name: str = "昌吉市",
        signed_on: dt.date | None = None,
        started_on: dt.date | None = None,
        produced_on: dt.date | None = None,
        contract_type: str = "formal",
        **overrides: Any,
    ) -> Project:
        initial: dict[str, Any] = {"opened_on": overrides.pop("opened_on", dt.date(2026, 1, 1))}
        if signed_on:
            stage = "producing" if produced_on else "started" if started_on else "signed"
            initial |= {
                "opened_on": min(initial["opened_on"], signed_on),
                "stage": stage,
                "signed_on": signed_on,
                "started_on": started_on,
                "produced_on": produced_on,
                "contract_type": contract_type,
                "contract_amount_wan": overrides.get("planned_investment_wan", Decimal("50000")),
            }
        return services.create_project(user or filer, project_data(unit_name, **overrides), initial=initial)

    return make
