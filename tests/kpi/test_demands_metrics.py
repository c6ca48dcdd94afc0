"""demands.* platform metrics equal the statistics page's figures over a hand-built set of demands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from qinqing.core.metrics import Period, compute, get_metric
from qinqing.demands.models import Demand
from qinqing.demands.stats import compute as stats_compute
from tests.demands.conftest import People, act, at, submit
from tests.factories import unit


def build(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    clock.set(at(2026, 11, 2, 9))
    flow("closed")  # on time, rated 满意
    d2 = flow("replied")
    act(people.ent, d2, "rate", rating=1)  # 很不满意 → redo
    act(people.handler, d2, "reply", outcome="resolved", text="已办结")
    act(people.ent, d2, "rate", rating=5)
    flow("rejected")
    flow("handling")
    d5 = flow("replied")
    act(people.ent, d5, "rate", rating=2)  # 不满意 → redo, back to 办理中
    submit(people)  # never accepted
    clock.set(at(2026, 11, 4, 9))


NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_demand_metrics_by_hand(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    build(people, flow, clock)
    city = unit("昌吉市")
    # accepted: closed, closed, handling, redone-handling = 4; closed 2
    assert compute("demands.accepted", city, NOVEMBER) == Decimal(4)
    assert compute("demands.completion_rate", city, NOVEMBER) == Decimal("50.0")
    assert compute("demands.ontime_rate", city, NOVEMBER) == Decimal("100.0")
    # rated: the two closed (满意, 非常满意) and the redone one (不满意): 2 ÷ 3
    assert compute("demands.satisfaction_rate", city, NOVEMBER) == Decimal("66.7")
    assert compute("demands.avg_resolve_workdays", city, NOVEMBER) == Decimal("0.0")
    # The same figures as the statistics page for a user of the unit.
    page = stats_compute(people.office, city, NOVEMBER.start, NOVEMBER.end).total
    assert compute("demands.completion_rate", city, NOVEMBER) == Decimal(str(page["close_rate"]))
    assert compute("demands.satisfaction_rate", city, NOVEMBER) == Decimal(str(page["satisfaction_rate"]))
    # Another county sees nothing; rates over nothing are None.
    manas = unit("玛纳斯县")
    assert compute("demands.accepted", manas, NOVEMBER) == Decimal(0)
    assert compute("demands.completion_rate", manas, NOVEMBER) is None
    assert compute("demands.avg_resolve_workdays", manas, NOVEMBER) is None
    # October: nothing submitted.
    assert compute("demands.ontime_rate", city, Period.month(2026, 10)) is None


def test_completion_drilldown_lists_the_open_demands(
    people: People, flow: Callable[..., Demand], clock: Any
) -> None:
    metric = get_metric("demands.completion_rate")
    assert metric.drilldown is not None
    url = metric.drilldown(unit("昌吉市"), NOVEMBER)
    parts = urlsplit(url)
    assert parts.path == "/demands/"
    q = parse_qs(parts.query)
    assert q["unit"] == [str(unit("昌吉市").pk)]
    assert q["created_after"] == ["2026-11-01"] and q["created_before"] == ["2026-11-30"]
    assert q["status"] == ["accepted", "dispatched", "handling", "suspended", "replied"]


def test_shared_figures_compute_once(
    people: People, flow: Callable[..., Demand], clock: Any, django_assert_num_queries: Any
) -> None:
    from qinqing.demands.metrics import shared_figures

    build(people, flow, clock)
    city = unit("昌吉市")
    compute("demands.accepted", city, NOVEMBER)  # warm the configuration caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as once:
        compute("demands.accepted", city, NOVEMBER)
    single = len(once)
    assert single > 0
    with shared_figures(), django_assert_num_queries(single):
        a = compute("demands.completion_rate", city, NOVEMBER)
        b = compute("demands.satisfaction_rate", city, NOVEMBER)
    assert (a, b) == (Decimal("50.0"), Decimal("66.7"))
