"""The demo loader: deterministic, idempotent, every state present, statistics computable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.core.demo import load_users
from qinqing.demands import demo
from qinqing.demands.models import Demand, DemandEvent, Status
from qinqing.demands.stats import compute
from qinqing.enterprises import demo as enterprises_demo
from tests.factories import unit


def test_demo_loads_every_state_once(tree: None, clock: Any) -> None:
    clock.set(dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))
    load_users()
    enterprises_demo.load()
    load_users()
    created = demo.load()
    assert 150 <= created <= 200
    assert demo.load() == 0
    statuses = set(Demand.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert Demand.objects.filter(receiving_unit__name="乌鲁木齐市招商服务局").exists()
    assert (
        DemandEvent.objects.filter(action="rate").exists()
        and DemandEvent.objects.filter(action="return").exists()
    )
    assert Demand.objects.filter(redo_count__gt=0).exists()
    assert all(d.created_at <= timezone.now() for d in Demand.objects.all())
    zhou = User.objects.get(username="zhou_dispatcher")
    result = compute(zhou, unit("昌吉回族自治州"), dt.date(2026, 6, 1), dt.date(2026, 11, 20))
    assert (
        result.total["submitted"]
        == Demand.objects.filter(receiving_unit__name="昌吉市营商环境服务中心").count()
    )
    assert result.total["satisfaction_rate"] is not None
