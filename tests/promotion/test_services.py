"""Receptions, trips, intentions → leads through the investment services, next steps reminded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qinqing.audit.models import AuditEvent
from qinqing.demands.models import Outbox
from qinqing.investment.models import Negotiation, Project, Stage, StageChange
from qinqing.promotion import queries, services
from qinqing.promotion.models import NextStep, Touch, YearStandard
from tests.factories import unit
from tests.promotion import builders
from tests.promotion.conftest import FIRMS, lead_data, reception_data

pytestmark = pytest.mark.django_db


def test_reception_with_two_firms_and_costs_within_standards(officer: Any, clock: dt.date) -> None:
    r = services.create_reception(officer, reception_data(), FIRMS)
    assert r.unit == unit("昌吉市")
    assert [f.name for f in r.firms.all()] == [FIRMS[0]["name"], FIRMS[1]["name"]]
    assert r.total_yuan == Decimal("4000")
    # defaults: meal 150 × 6 people × 2 days = 1800; lodging 380 × 6 = 2280; transport 600 × 2 = 1200
    assert r.warnings == []
    assert AuditEvent.objects.filter(object_type="promotion.reception", object_id=str(r.pk)).count() == 1


def test_reception_beyond_standards_is_kept_with_a_warning(officer: Any, clock: dt.date) -> None:
    YearStandard.objects.create(year=2026, reception_meal_yuan=Decimal("100"))
    r = services.create_reception(officer, reception_data(meal_yuan=Decimal("1500")), FIRMS)
    assert r.warnings == ["用餐费 1500 元超过标准 1200.00 元（100.00 元/人/天 × 6 人 × 2 天）"]
    r = services.update_reception(
        officer, r, {"meal_yuan": Decimal("1100")}, None, expected_version=r.version
    )
    assert r.warnings == [] and r.version == 2 and r.firms.count() == 2


def test_reception_needs_a_firm_and_valid_dates(officer: Any, clock: dt.date) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_reception(officer, reception_data(), [{"name": " "}])
    assert exc.value.message_dict == {"firms": ["请至少填写一家来访企业"]}
    with pytest.raises(ValidationError) as exc:
        services.create_reception(officer, reception_data(end_date=dt.date(2026, 3, 1)), FIRMS)
    assert exc.value.message_dict["end_date"] == ["结束日期不能早于开始日期"]
    with pytest.raises(ValidationError) as exc:
        services.create_reception(officer, reception_data(), [{"name": "某公司", "credit_code": "123"}])
    assert "firms" in exc.value.message_dict


def test_stale_update_changes_nothing(officer: Any, clock: dt.date) -> None:
    r = services.create_reception(officer, reception_data(), FIRMS)
    services.update_reception(officer, r, {"title": "第一次修改"}, None, expected_version=1)
    with pytest.raises(services.StaleError):
        services.update_reception(officer, r, {"title": "过期修改"}, None, expected_version=1)
    r.refresh_from_db()
    assert r.title == "第一次修改"


def test_intention_creates_a_lead_through_investment(officer: Any, clock: dt.date) -> None:
    r = services.create_reception(officer, reception_data(), FIRMS)
    touch = services.record_intention(
        officer, r, intention="拟投资6亿元建设铝合金型材项目", project_data=lead_data()
    )
    project = touch.project
    assert touch.created_lead and touch.reception == r and touch.on == dt.date(2026, 3, 2)
    assert project.stage == Stage.LEAD and project.location_unit == unit("昌吉市")
    assert project.number.startswith("ZS2026")
    assert StageChange.objects.get(project=project).effective_on == dt.date(2026, 3, 2)
    assert "来源：" in project.summary
    # a second intention for an existing project adds a 洽谈记录 and links it, creating nothing new
    r2 = services.create_reception(
        officer, reception_data(start_date=dt.date(2026, 5, 6), end_date=dt.date(2026, 5, 6)), FIRMS[:1]
    )
    t2 = services.record_intention(officer, r2, intention="增加二期投资意向", project=project)
    assert not t2.created_lead and Project.objects.count() == 1
    assert Negotiation.objects.get(project=project).held_on == dt.date(2026, 5, 6)
    assert Touch.objects.filter(project=project).count() == 2


def test_intention_needs_investment_rights_and_scope(
    make_user: Any, officer: Any, manas_officer: Any, clock: dt.date
) -> None:
    handler = make_user("cj_handler", unit_name="昌吉市营商环境服务中心", roles=["handler"])
    r = services.create_reception(officer, reception_data(), FIRMS)
    with pytest.raises(PermissionDenied):
        services.record_intention(handler, r, intention="意向", project_data=lead_data())
    with pytest.raises(PermissionDenied):
        services.record_intention(manas_officer, r, intention="意向", project_data=lead_data())
    assert Project.objects.count() == 0 and Touch.objects.count() == 0


def test_trip_allowance_crossing_place_classes_and_budget(officer: Any, clock: dt.date) -> None:
    builders.plan(unit("昌吉市"), budget_yuan=Decimal("5000"))
    data = {
        "kind": "squad",
        "title": "赴青海、甘肃小分队招商",
        "province": "甘肃省",
        "start_date": dt.date(2026, 6, 1),
        "end_date": dt.date(2026, 6, 5),
        "participants": 2,
        "transport_yuan": Decimal("3000"),
        "lodging_yuan": Decimal("1500"),
    }
    legs = [
        {"from_date": dt.date(2026, 6, 1), "province": "青海省"},
        {"from_date": dt.date(2026, 6, 3), "province": "甘肃省"},
    ]
    trip = services.create_trip(officer, data, legs)
    assert trip.allowance_yuan == Decimal("1880.00")  # 2 × 2 × 200 + 3 × 2 × 180
    assert trip.total_yuan == Decimal("6380.00")
    assert queries.budget_status(unit("昌吉市"), 2026) == (
        Decimal("5000.00"),
        Decimal("6380.00"),
        Decimal("-1380.00"),
    )
    trip = services.update_trip(officer, trip, {"participants": 1}, None, expected_version=1)
    assert trip.allowance_yuan == Decimal("940.00")
    with pytest.raises(ValidationError) as exc:
        services.create_trip(officer, data, [{"from_date": dt.date(2026, 7, 1), "province": "青海省"}])
    assert exc.value.message_dict == {"legs": ["行程段日期 2026-07-01 不在活动日期内"]}


def test_next_steps_are_reminded_once(officer: Any, make_user: Any, clock: dt.date) -> None:
    owner = make_user(
        "cj_owner", unit_name="昌吉市营商环境服务中心", roles=["handler"], email="owner@example.cn"
    )
    r = services.create_reception(officer, reception_data(), FIRMS)
    soon = services.add_next_step(
        officer, r, description="报送项目可研材料", owner=owner, due_on=dt.date(2026, 9, 16)
    )
    later = services.add_next_step(
        officer, r, description="安排二次考察", owner=owner, due_on=dt.date(2026, 10, 30)
    )
    assert services.remind_due_steps(clock) == 1
    assert services.remind_due_steps(clock) == 0  # recorded: a second run sends nothing
    assert Outbox.objects.filter(channel="inbox").count() == 1
    assert Outbox.objects.filter(channel="email", address="owner@example.cn").count() == 1
    msg = Outbox.objects.get(channel="inbox")
    assert (msg.recipient_id, msg.subject) == (owner.pk, "招商下一步工作即将到期：报送项目可研材料")
    assert msg.delivery_key == f"inbox:promo-step:{soon.pk}:{owner.pk}"
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at is not None and later.reminded_at is None
    # done steps are never reminded; the owner completes their own step
    services.complete_next_step(owner, later, expected_version=later.version, note="已安排")
    assert services.remind_due_steps(dt.date(2026, 10, 29)) == 0
    with pytest.raises(ValidationError):
        services.complete_next_step(owner, NextStep.objects.get(pk=later.pk), expected_version=2)


def test_home_card_and_todo_list_the_owner_steps(officer: Any, make_user: Any, clock: dt.date) -> None:
    owner = make_user("cj_owner", unit_name="昌吉市营商环境服务中心", roles=["handler"])
    r = services.create_reception(officer, reception_data(), FIRMS)
    services.add_next_step(officer, r, description="逾期事项", owner=owner, due_on=dt.date(2026, 9, 1))
    services.add_next_step(officer, r, description="未到期事项", owner=owner, due_on=dt.date(2026, 12, 1))
    cards = queries.home_cards(owner)
    assert [(c.label, c.value, c.url) for c in cards] == [
        ("招商下一步工作（待办，1 项逾期）", 2, "/promotion/todo/")
    ]
    assert [s.description for s in queries.my_open_steps(owner)] == ["逾期事项", "未到期事项"]
    assert queries.home_cards(officer)[0].value == 0


def test_owner_must_be_in_related_units(officer: Any, make_user: Any, clock: dt.date) -> None:
    stranger = make_user("urumqi_x", unit_name="乌鲁木齐市招商服务局", roles=["handler"])
    r = services.create_reception(officer, reception_data(), FIRMS)
    with pytest.raises(ValidationError):
        services.add_next_step(officer, r, description="x", owner=stranger, due_on=dt.date(2026, 10, 1))


def test_registry_firm_is_linked_by_credit_code(officer: Any, clock: dt.date) -> None:
    from tests.factories import EnterpriseFactory

    ent = EnterpriseFactory(registered_unit=unit("昌吉市"), name="昌吉某硅业有限公司")
    other = EnterpriseFactory(registered_unit=unit("玛纳斯县"), name="玛纳斯某公司")
    r = services.create_reception(
        officer,
        reception_data(),
        [
            {"name": "", "credit_code": ent.credit_code},
            {"name": "外部企业", "credit_code": other.credit_code},
        ],
    )
    firms = list(r.firms.order_by("id"))
    assert (firms[0].enterprise_id, firms[0].name) == (ent.pk, "昌吉某硅业有限公司")
    assert firms[1].enterprise_id is None  # outside the officer's scope: kept as an external firm
