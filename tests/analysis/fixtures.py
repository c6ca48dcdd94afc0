"""The November data set shared by the dashboard and report tests."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.analysis import facts
from qinqing.enterprises.models import Ownership, Scale
from tests.factories import EnterpriseFactory, unit
from tests.liaison.conftest import Cast, at, category, drive, submit_demand


@pytest.fixture
def data(cast: Cast, clock: Any) -> dict[str, Any]:
    """October: 1 demand; November: 4 demands in 昌吉市 (two closed), 1 in 玛纳斯县 (outside 昌吉市)."""
    big = EnterpriseFactory(
        registered_unit=unit("昌吉市"),
        name="昌吉大型国企",
        scale=Scale.LARGE,
        ownership=Ownership.STATE,
        industry_section="D",
    )
    clock.set(at(2026, 10, 12))
    submit_demand(cast, title="用地指标不足", description="二期项目用地指标不足，无法供地。")
    clock.set(at(2026, 11, 2))
    d1 = drive(
        cast, submit_demand(cast, title="用地指标未落实", description="扩建用地指标未落实。"), "closed"
    )
    d2 = drive(
        cast,
        submit_demand(
            cast,
            enterprise=big,
            category=category("用电"),
            title="电力增容慢",
            description="电力增容申请两个月未批复，融资难。",
        ),
        "closed",
    )
    d3 = submit_demand(cast, category=category("融资"), title="融资难", description="小微企业融资难融资贵。")
    d4 = drive(
        cast,
        submit_demand(cast, enterprise=cast.ent2, title="用地指标紧张", description="用地指标紧张。"),
        "handling",
    )
    from qinqing.demands import services as demand_services

    demand_services.submit(
        cast.manas_office,
        demand_services.SubmitData(
            category=category("用地"),
            demand_type="help",
            title="用地指标",
            description="用地指标不足",
            enterprise=cast.manas_ent,
            contact_name="李四",
            contact_phone="13812341234",
        ),
    )
    clock.set(at(2026, 11, 30))
    facts.process_queue()  # the periodic job: text index and facts (submission only queues the demand)
    return {"d1": d1, "d2": d2, "d3": d3, "d4": d4, "big": big}
