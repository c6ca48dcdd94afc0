"""Statistics: every rate recomputed by hand from five demands (formulas: docs/metrics.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.demands.models import Demand
from qinqing.demands.stats import compute
from tests.demands.conftest import People, act, at, submit
from tests.factories import unit


def build(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    clock.set(at(2026, 11, 2, 9))
    flow("closed")  # on time everywhere, rated 满意
    d2 = flow("replied")
    act(people.ent, d2, "rate", rating=1)  # 重办
    act(people.handler, d2, "reply", outcome="resolved", text="已办结")
    act(people.ent, d2, "rate", rating=5)
    flow("rejected")
    d4 = flow("dispatched")
    act(people.lead_head, d4, "return", reason="not_duty", note="非本局职责")
    submit(people)  # never accepted: its 受理 deadline (end of 11-03) passes


def test_rates_by_hand(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    build(people, flow, clock)
    result = compute(
        people.office, unit("昌吉市"), dt.date(2026, 11, 1), dt.date(2026, 11, 30), now=at(2026, 11, 4, 9)
    )
    assert result.total == {
        "submitted": 5,
        "accepted": 3,  # rejected and never-accepted demands excluded
        "timely_accept_rate": 80.0,  # 4 decided in time ÷ 5 due (4 decided + 1 overdue)
        "timely_sign_rate": 100.0,  # 2 ÷ 2 (the returned dispatch has no running sign clock)
        "close_rate": 66.7,  # 2 closed ÷ 3 accepted
        "on_time_close_rate": 100.0,
        "satisfaction_rate": 100.0,  # final ratings 满意 and 非常满意
        "redo_rate": 50.0,  # 1 redone ÷ 2 closed
        "return_rate": 33.3,  # 1 return ÷ 3 dispatches
        "avg_handle_days": 0.0,
        "closed": 2,
        "rated": 2,
    }
    assert [(name, m["submitted"]) for name, m in result.by_type] == [("投诉", 5)]
    assert [(name, m["submitted"]) for name, m in result.by_category] == [("要素保障", 5)]
    # Ranked by 按时办结率, then 满意率, then tree order: both 100.0/100.0 here.
    assert [(u.name, m["submitted"]) for u, m in result.ranking] == [
        ("昌吉市营商环境服务中心", 5),
        ("昌吉市自然资源局", 2),
    ]
    assert [m for m, _ in result.trend] == ["2026-11"]
    other = compute(people.other_office, unit("玛纳斯县"), dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert other.total["submitted"] == 0


def test_stats_api(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    build(people, flow, clock)
    c = APIClient()
    c.force_authenticate(people.office)
    r = c.get(
        reverse("api:demand-stats"), {"unit": unit("昌吉市").pk, "start": "2026-11-01", "end": "2026-11-30"}
    )
    assert r.status_code == 200
    assert r.json()["total"]["redo_rate"] == 50.0
    r = c.get(reverse("api:demand-stats"), {"start": "2026-11-30", "end": "2026-11-01"})
    assert r.status_code == 400 and r.json()["fields"] == {"__all__": ["结束日期不能早于开始日期"]}
    r = c.get(reverse("api:demand-stats"), {"unit": unit("玛纳斯县").pk})
    assert r.status_code == 400 and "unit" in r.json()["fields"]
