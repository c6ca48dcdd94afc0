"""The liaison demo loader: deterministic, idempotent, and quiet without the demo leaders."""

from __future__ import annotations

from typing import Any

from qinqing.core.demo import load_users
from qinqing.demands.models import Channel, Demand
from qinqing.enterprises import demo as enterprise_demo
from qinqing.liaison import demo
from qinqing.liaison.models import Assignment, Visit


def test_skips_without_demo_users(tree: None) -> None:
    assert demo.load() == 0


def test_loads_once(tree: None, clock: Any) -> None:
    enterprise_demo.load()
    load_users()
    first = demo.load()
    assert first == Assignment.objects.count() + Visit.objects.count()
    assert Assignment.objects.filter(leader__username="changji_leader").count() == 2
    assert Assignment.objects.filter(leader__username="zhou_leader", enterprise__isnull=False).count() == 3
    assert Visit.objects.count() == 2
    assert Demand.objects.filter(channel=Channel.VISIT).count() == 3
    assert demo.load() == 0
    assert Demand.objects.filter(channel=Channel.VISIT).count() == 3
