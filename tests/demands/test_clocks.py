"""The three clocks over the real 2026 National Day holiday (10-01…10-07, Saturday 10-10 worked)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from qinqing.demands.clocks import clock_report
from qinqing.demands.models import Demand, Light, Status
from tests.demands.conftest import People, act, at, end_of, submit
from tests.factories import unit


def test_clocks_over_national_day_with_pause_and_extension(people: People, clock: Any) -> None:
    clock.set(at(2026, 9, 30, 10))  # Wednesday before the holiday
    d = submit(people)  # 投诉·一般: 受理 1, 签收 1, 办结 15 working days
    assert d.accept_due_at == end_of(2026, 10, 8)
    assert d.light_at(clock.now) == Light.YELLOW  # a 1-day limit: at most one working day remains at once
    assert d.provisional is False

    clock.set(at(2026, 10, 8, 9))
    act(people.office, d, "accept")
    assert d.accepted_on_time is True
    # 15 working days after 10-08: 10-09, 10-10 (Sat, worked), 10-12 … 10-28.
    assert d.handle_due_at == end_of(2026, 10, 28)
    # Yellow from the end of the 12th working day (20% = 3 days remain): 10-23.
    assert d.handle_warn_at == end_of(2026, 10, 23) + dt.timedelta(microseconds=1)

    clock.set(at(2026, 10, 8, 10))
    act(people.office, d, "dispatch", lead_unit=unit("昌吉市自然资源局"))
    assert (d.sign_due_at, d.return_due_at) == (end_of(2026, 10, 9), end_of(2026, 10, 10))
    assert d.due_at == end_of(2026, 10, 9)  # the earliest running clock drives the light

    clock.set(at(2026, 10, 9, 16))
    act(people.lead_head, d, "sign")
    act(people.lead_head, d, "assign", handler=people.handler)
    assert (d.signed_on_time, d.due_at) == (True, end_of(2026, 10, 28))

    clock.set(at(2026, 10, 12, 10))
    act(people.handler, d, "suspend", note="请补充用地红线图")
    assert (d.status, d.due_at) == (Status.SUSPENDED, None)
    assert d.light_at(clock.now) == Light.NONE

    clock.set(at(2026, 10, 14, 15))
    act(people.handler, d, "resume")
    # Paused in (10-12, 10-14] = 2 working days → 17 → 10-30.
    assert (d.paused_days, d.handle_due_at) == (2, end_of(2026, 10, 30))

    act(people.handler, d, "request_extension", days=3, reason="需现场勘验")
    act(people.office, d, "approve_extension")
    # 20 working days → 11-02, 11-03, 11-04.
    assert (d.extension_days, d.handle_due_at) == (3, end_of(2026, 11, 4))

    clock.set(at(2026, 11, 4, 16))
    assert d.light_at(clock.now) == Light.YELLOW
    act(people.handler, d, "reply", outcome="resolved", text="用地手续已批复")
    assert d.replied_on_time is True
    # Working days in (10-08, 11-04] = 20, minus 2 suspended.
    assert d.handle_working_days == 18

    reports = {r.name: r for r in clock_report(d, list(d.events.all()), clock.now)}
    assert (reports["受理"].target_days, reports["受理"].actual_days, reports["受理"].difference) == (1, 1, 0)
    assert (reports["签收"].actual_days, reports["签收"].on_time) == (1, True)
    assert (reports["办结"].target_days, reports["办结"].actual_days, reports["办结"].difference) == (
        18,
        18,
        0,
    )
    assert reports["办结"].on_time is True

    act(people.ent, d, "rate", rating=5)
    assert (d.status, d.closed_on_time, d.due_at) == (Status.CLOSED, True, None)


def test_overdue_and_lights_are_derived_at_query_time(
    people: People, clock: Any, flow: Callable[..., Demand]
) -> None:
    clock.set(at(2026, 11, 2, 9))
    d = flow("handling", demand_type="consult")  # due end of 11-05, warn from end of 11-04
    assert d.handle_warn_at is not None
    qs = Demand.objects.with_light
    assert qs(at(2026, 11, 3, 9)).get(pk=d.pk).light == Light.GREEN  # type: ignore[attr-defined]
    assert qs(at(2026, 11, 5, 9)).get(pk=d.pk).light == Light.YELLOW  # type: ignore[attr-defined]
    assert qs(at(2026, 11, 6, 0)).get(pk=d.pk).light == Light.RED  # type: ignore[attr-defined]
    assert list(Demand.objects.with_light_filter("red", at(2026, 11, 6, 0))) == [d]
    assert list(Demand.objects.with_light_filter("red", at(2026, 11, 5, 0))) == []


def test_rest_day_receipt_counts_from_next_working_day(people: People, clock: Any) -> None:
    clock.set(at(2026, 10, 3, 11))  # in the holiday
    d = submit(people, demand_type="consult")
    assert d.accept_due_at == end_of(2026, 10, 8)


def test_provisional_beyond_the_published_calendar(people: People, clock: Any) -> None:
    clock.set(at(2027, 12, 30, 10))
    d = submit(people)
    assert d.provisional is True
    assert d.accept_due_at == end_of(2027, 12, 31)
