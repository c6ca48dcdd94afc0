"""Return on promotion: attribution of leads, signings and funds in place through lead → project."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from qinqing.investment import services as inv
from qinqing.investment.models import InvestmentSettings
from qinqing.promotion import returns, services
from qinqing.promotion.models import PromotionSettings
from tests.promotion.conftest import FIRMS, lead_data, reception_data

pytestmark = pytest.mark.django_db


def _sign_and_fund(user: Any, project: Any, funds: list[tuple[dt.date, str, str]]) -> None:
    inv.change_stage(
        user, project, expected_version=project.version, to_stage="negotiating", on=dt.date(2026, 4, 1)
    )
    project.refresh_from_db()
    inv.change_stage(
        user,
        project,
        expected_version=project.version,
        to_stage="signed",
        on=dt.date(2026, 5, 10),
        contract_type="formal",
        contract_amount_wan=Decimal("60000"),
    )
    for month, amount, outside in funds:
        inv.record_funds(
            user, project, month=month, amount_wan=Decimal(amount), outside_amount_wan=Decimal(outside)
        )


@pytest.fixture
def setup(officer: Any, clock: dt.date) -> dict[str, Any]:
    """A reception (cost 4,000 元) that produced a lead, later signed and funded (1,500 万元, 1,200 区外);
    a trip (cost 6,000 元) met the same investor afterwards; a second lead from the trip stays unsigned."""
    rec = services.create_reception(officer, reception_data(), FIRMS)
    lead = services.record_intention(officer, rec, intention="铝型材", project_data=lead_data()).project
    trip = services.create_trip(
        officer,
        {
            "kind": "expo",
            "organiser": "region",
            "title": "参加丝博会",
            "province": "陕西省",
            "start_date": dt.date(2026, 4, 20),
            "end_date": dt.date(2026, 4, 20),
            "participants": 1,
            "other_yuan": Decimal("5820"),
        },
    )
    assert trip.total_yuan == Decimal("6000.00")
    services.link_project(officer, trip, lead, intention="再次洽谈")
    other = services.record_intention(
        officer,
        trip,
        intention="冷链物流",
        project_data=lead_data(name="冷链物流园项目", planned_investment_wan=Decimal("20000")),
    ).project
    _sign_and_fund(officer, lead, [(dt.date(2026, 6, 1), "1000", "800"), (dt.date(2026, 7, 1), "500", "400")])
    return {"rec": rec, "trip": trip, "lead": lead, "other": other, "user": officer}


def _row(data: returns.YearReturn, key: tuple[str, int]) -> returns.Result:
    return next(r.result for r in data.sources if r.key == key)


def test_first_touch_by_default(setup: dict[str, Any], clock: dt.date) -> None:
    data = returns.year_return(setup["user"], 2026, as_of=clock)
    assert data.attribution == "first"
    rec = _row(data, ("r", setup["rec"].pk))
    assert (rec.leads, rec.signed, rec.planned_wan, rec.funds_wan, rec.outside_wan) == (
        Decimal(1),
        Decimal(1),
        Decimal("60000.00"),
        Decimal("1500.00"),
        Decimal("1200.00"),
    )
    assert rec.cost_yuan == Decimal("4000.00")
    assert rec.cost_per_signed_yuan == Decimal("4000.00")
    assert rec.cost_per_yi_yuan == Decimal("26666.67")  # 4,000 元 ÷ 0.15 亿元
    trip = _row(data, ("t", setup["trip"].pk))
    assert (trip.leads, trip.signed, trip.funds_wan) == (Decimal(1), Decimal(0), Decimal("0.00"))
    assert trip.cost_per_signed_yuan is None and trip.cost_per_yi_yuan is None
    assert data.total.leads == 2 and data.total.signed == 1 and data.total.cost_yuan == Decimal("10000.00")
    kinds = {r.kind: r.result for r in data.by_kind}
    assert kinds["reception"].funds_wan == Decimal("1500.00") and kinds["expo"].leads == 1
    clusters = {r.label: r.result for r in data.by_cluster}
    assert clusters["铝基产业"].signed == 1 and clusters["未分类"].cost_yuan == Decimal("6000.00")
    assert data.sources[0].key == ("r", setup["rec"].pk)  # ordered by funds in place


def test_last_touch_before_signing_and_even_split(setup: dict[str, Any], clock: dt.date) -> None:
    PromotionSettings.objects.update_or_create(pk=1, defaults={"attribution": "last"})
    data = returns.year_return(setup["user"], 2026, as_of=clock)
    assert _row(data, ("t", setup["trip"].pk)).funds_wan == Decimal("1500.00")
    assert _row(data, ("r", setup["rec"].pk)).leads == 0
    PromotionSettings.objects.filter(pk=1).update(attribution="even")
    data = returns.year_return(setup["user"], 2026, as_of=clock)
    rec, trip = _row(data, ("r", setup["rec"].pk)), _row(data, ("t", setup["trip"].pk))
    assert (rec.leads, rec.signed, rec.funds_wan) == (Decimal("0.5"), Decimal("0.5"), Decimal("750.00"))
    assert (trip.leads, trip.signed, trip.funds_wan) == (Decimal("1.5"), Decimal("0.5"), Decimal("750.00"))
    assert data.total.funds_wan == Decimal("1500.00")


def test_funds_follow_the_counting_rules(setup: dict[str, Any], clock: dt.date) -> None:
    lead = setup["lead"]
    lead.refresh_from_db()
    inv.update_project(setup["user"], lead, {"is_fiscal_funded": True}, expected_version=lead.version)
    data = returns.year_return(setup["user"], 2026, as_of=clock)
    rec = _row(data, ("r", setup["rec"].pk))
    assert rec.signed == 1 and rec.funds_wan == 0  # 全额财政资金项目 not counted in funds
    InvestmentSettings.objects.filter(pk=1).update(exclude_fiscal_funded=False)
    data = returns.year_return(setup["user"], 2026, as_of=clock)
    assert _row(data, ("r", setup["rec"].pk)).funds_wan == Decimal("1500.00")
    InvestmentSettings.objects.filter(pk=1).update(exclude_local_investors=False, exclude_second_phase=False)
    data = returns.year_return(setup["user"], 2026, as_of=clock)  # no exclusion at all: every project counts
    assert _row(data, ("r", setup["rec"].pk)).funds_wan == Decimal("1500.00")


def test_signing_after_as_of_does_not_count(setup: dict[str, Any]) -> None:
    data = returns.year_return(setup["user"], 2026, as_of=dt.date(2026, 5, 9))
    assert _row(data, ("r", setup["rec"].pk)).signed == 0


def test_other_counties_see_nothing_and_sources_list_projects(
    setup: dict[str, Any], manas_officer: Any, prefecture: Any, clock: dt.date
) -> None:
    assert returns.year_return(manas_officer, 2026, as_of=clock).sources == []
    pref = returns.year_return(prefecture, 2026, as_of=clock)
    assert pref.total.funds_wan == Decimal("1500.00")
    items = returns.source_projects(setup["user"], setup["rec"], as_of=clock)
    assert [(i.project.pk, i.weight, i.facts.funds_wan, i.touch.created_lead) for i in items] == [
        (setup["lead"].pk, Decimal(1), Decimal("1500"), True)
    ]
    items = returns.source_projects(setup["user"], setup["trip"], as_of=clock)
    assert sorted((i.project.pk, i.weight) for i in items) == sorted(
        [(setup["lead"].pk, Decimal(0)), (setup["other"].pk, Decimal(1))]
    )
