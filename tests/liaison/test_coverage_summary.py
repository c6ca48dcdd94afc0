"""The dashboard's 包联 coverage figure for a unit: the same counts whether the unit lies in the user's
scope (the scope rule is implied and dropped) or not (visible_to applies), counted from the active
assignments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qinqing.enterprises.models import EnterpriseStatus
from qinqing.liaison import queries
from tests.factories import EnterpriseFactory, unit
from tests.liaison.conftest import Cast
from tests.liaison.test_assignments import assign

D = dt.date


def test_coverage_of_a_unit_in_and_out_of_the_users_scope(cast: Cast, clock: Any) -> None:
    EnterpriseFactory(
        registered_unit=unit("昌吉市"), name="昌吉市已注销公司", status=EnterpriseStatus.CANCELLED
    )
    EnterpriseFactory(registered_unit=unit("玛纳斯县"), name="玛纳斯第二公司")
    assign(cast, cast.changji_leader, cast.ent)  # active
    assign(cast, cast.town_leader, cast.ent3, start=D(2026, 1, 1), end_date=D(2026, 2, 1))  # ended
    assign(cast, cast.zhou_leader, cast.manas_ent)  # outside 昌吉市
    day = D(2026, 3, 1)
    # 昌吉市 (ent, ent2 and 榆树沟镇's ent3; the cancelled one does not count), in each user's scope.
    for user in (cast.pref, cast.office, cast.changji_leader):
        summary = queries.coverage_summary(user, day, unit=unit("昌吉市"))
        assert (summary.enterprises, summary.covered, summary.coverage_rate) == (3, 1, 0.3333), user
    # 榆树沟镇: its one enterprise, whose assignment has ended.
    summary = queries.coverage_summary(cast.pref, day, unit=unit("榆树沟镇"))
    assert (summary.enterprises, summary.covered) == (1, 0)
    # The prefecture: four operating enterprises in 昌吉州 (two in 玛纳斯县), two covered.
    summary = queries.coverage_summary(cast.pref, day, unit=unit("昌吉回族自治州"))
    assert (summary.enterprises, summary.covered) == (5, 2)
    # 昌吉州 asked by 昌吉市's office: outside its scope, so only what it may see (昌吉市's three).
    summary = queries.coverage_summary(cast.office, day, unit=unit("昌吉回族自治州"))
    assert (summary.enterprises, summary.covered) == (3, 1)
    # Before any assignment started: none covered.
    summary = queries.coverage_summary(cast.pref, D(2025, 12, 1), unit=unit("昌吉回族自治州"))
    assert (summary.enterprises, summary.covered) == (5, 0)
