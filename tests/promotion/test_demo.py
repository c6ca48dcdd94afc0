from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qinqing.core.demo import load_users
from qinqing.investment import demo as investment_demo
from qinqing.promotion import demo, returns
from qinqing.promotion.models import Reception, Touch, Trip

pytestmark = pytest.mark.django_db


@pytest.fixture
def december(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    import zoneinfo

    from django.utils import timezone

    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now.date()


def test_demo_is_idempotent_and_shows_returns(tree: Any, december: dt.date) -> None:
    load_users()
    investment_demo.load()
    n = demo.load()
    assert n == Reception.objects.count() + Trip.objects.count() + 2  # + the two task forces
    assert Reception.objects.count() == 50
    assert demo.load() == 0 and Reception.objects.count() == 50
    assert Touch.objects.filter(created_lead=True).count() == 13
    from qinqing.accounts.models import User

    urumqi = User.objects.get(username="urumqi_dispatcher")
    data = returns.year_return(urumqi, 2026, as_of=december)
    assert data.total.leads > 0 and data.total.cost_yuan > 0
    crossing = Trip.objects.get(province="青海省", unit=urumqi.scope_unit)
    assert [leg.province for leg in crossing.legs.all()] == ["青海省", "甘肃省"]
