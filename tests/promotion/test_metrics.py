"""The promotion metrics of the platform registry (names agreed in docs/metrics.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from qinqing.core.metrics import Period, compute, get_metric
from qinqing.promotion.models import ReceptionFirm
from tests.factories import unit
from tests.promotion import builders

pytestmark = pytest.mark.django_db

NAMES = [
    "promotion.firms_received",
    "promotion.people_received",
    "promotion.exhibitions_region",
    "promotion.exhibitions_department",
    "promotion.exchange_meetings",
    "promotion.task_forces",
    "promotion.spending_yuan",
]


def test_all_registered() -> None:
    assert all(get_metric(n).available for n in NAMES)


def test_values_over_the_subtree_and_period(tree: Any) -> None:
    cj, manas, zhou = unit("昌吉市"), unit("玛纳斯县"), unit("昌吉州")
    r = builders.reception(cj, dt.date(2026, 3, 2), delegation_size=7, total_yuan=Decimal("1000"))
    ReceptionFirm.objects.create(reception=r, name="第二家企业")
    builders.reception(manas, dt.date(2026, 4, 2), delegation_size=3)
    builders.reception(cj, dt.date(2025, 12, 30), delegation_size=50)  # outside the period
    builders.trip(cj, dt.date(2026, 5, 1), kind="expo", organiser="region", total_yuan=Decimal("2500.50"))
    builders.trip(cj, dt.date(2026, 6, 1), kind="expo", organiser="department")
    builders.trip(manas, dt.date(2026, 6, 1), kind="exchange")
    builders.task_force(cj, start_date=dt.date(2025, 3, 1), end_date=dt.date(2026, 1, 31))
    builders.task_force(cj, start_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 12, 31))  # ended before
    year = Period.year(2026)
    assert compute("promotion.firms_received", cj, year) == 2
    assert compute("promotion.firms_received", zhou, year) == 3
    assert compute("promotion.people_received", cj, year) == 7
    assert compute("promotion.people_received", zhou, year) == 10
    assert compute("promotion.exhibitions_region", cj, year) == 1
    assert compute("promotion.exhibitions_department", cj, year) == 1
    assert compute("promotion.exchange_meetings", cj, year) == 0
    assert compute("promotion.exchange_meetings", zhou, year) == 1
    assert compute("promotion.task_forces", cj, year) == 1
    assert compute("promotion.spending_yuan", cj, year) == Decimal("3500.50")
    assert compute("promotion.people_received", cj, Period.month(2026, 4)) == 0
