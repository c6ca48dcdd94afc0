"""Pages and API: rendering, scoping (a county sees its own receptions only), the project page's origin
panel, query counts, structured errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.investment.models import Project
from qinqing.promotion import services
from qinqing.promotion.models import Reception, Touch
from tests.factories import unit
from tests.promotion import builders
from tests.promotion.conftest import FIRMS, lead_data, reception_data

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api_for(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_county_sees_only_its_own_receptions(
    officer: Any, manas_officer: Any, prefecture: Any, clock: dt.date
) -> None:
    mine = services.create_reception(officer, reception_data(title="昌吉市接待"), FIRMS)
    theirs = services.create_reception(manas_officer, reception_data(title="玛纳斯县接待"), FIRMS)
    page = client_for(officer).get(reverse("promotion:receptions")).content.decode()
    assert "昌吉市接待" in page and "玛纳斯县接待" not in page
    assert client_for(officer).get(reverse("promotion:reception", args=[theirs.pk])).status_code == 404
    assert client_for(officer).get(reverse("promotion:reception_edit", args=[theirs.pk])).status_code == 404
    cal = client_for(officer).get(reverse("promotion:calendar") + "?month=2026-03").content.decode()
    assert "昌吉市接待" in cal and "玛纳斯县接待" not in cal
    api = api_for(officer).get(reverse("api:promotion-reception-list")).json()
    assert [r["title"] for r in api["results"]] == ["昌吉市接待"]
    assert (
        api_for(officer).get(reverse("api:promotion-reception-detail", args=[theirs.pk])).status_code == 404
    )
    both = client_for(prefecture).get(reverse("promotion:receptions")).content.decode()
    assert "昌吉市接待" in both and "玛纳斯县接待" in both
    # the intention endpoint refuses another county's reception
    resp = client_for(manas_officer).post(
        reverse("promotion:intention", args=["reception", mine.pk]), {"intention": "x"}
    )
    assert resp.status_code == 404


def test_record_reception_through_the_form(officer: Any, clock: dt.date) -> None:
    c = client_for(officer)
    assert c.get(reverse("promotion:reception_new")).status_code == 200
    data = {
        "title": "广东某科技考察",
        "start_date": "2026-03-02",
        "end_date": "2026-03-02",
        "origin": "广东省",
        "delegation_size": "3",
        "hosts": "张三",
        "meal_yuan": "900",
        "lodging_yuan": "0",
        "lodging_nights": "0",
        "transport_yuan": "0",
        "firm0-name": "广东某科技有限公司",
        "firm0-origin": "广东省",
        "firm1-name": "深圳某电子有限公司",
    }
    resp = c.post(reverse("promotion:reception_new"), data, follow=True)
    r = Reception.objects.get()
    assert resp.redirect_chain[-1][0] == reverse("promotion:reception", args=[r.pk])
    body = resp.content.decode()
    assert "费用超过公务接待标准" in body and "用餐费 900 元超过标准 450.00 元" in body
    assert r.firms.count() == 2
    bad = c.post(reverse("promotion:reception_new"), {**data, "firm0-name": "", "firm1-name": ""})
    assert "请至少填写一家来访企业" in bad.content.decode() and Reception.objects.count() == 1


def test_intention_page_flow_and_project_origins_panel(officer: Any, clock: dt.date) -> None:
    r = services.create_reception(officer, reception_data(), FIRMS)
    c = client_for(officer)
    form = {
        "intention": "拟投资6亿元",
        "name": "年产20万吨铝合金型材项目",
        "investor_name": "江苏某铝业集团有限公司",
        "source": "province",
        "investor_type": "private",
        "industry_section": "C",
        "location_unit": str(unit("昌吉市").pk),
        "planned_investment_wan": "60000",
    }
    resp = c.post(reverse("promotion:intention", args=["reception", r.pk]), form, follow=True)
    project = Project.objects.get()
    assert "已新建项目线索" in resp.content.decode()
    assert project.number in resp.content.decode()
    detail = c.get(reverse("investment:detail", args=[project.pk])).content.decode()
    assert reverse("promotion:project_origins", args=[project.pk]) in detail
    panel = c.get(reverse("promotion:project_origins", args=[project.pk])).content.decode()
    assert r.title in panel and "首次接触" in panel and "由此产生线索" in panel
    missing = c.post(
        reverse("promotion:intention", args=["reception", r.pk]),
        {"intention": "x", "source": "province", "investor_type": "private", "industry_section": "C"},
        follow=True,
    )
    assert "新线索请填写此项" in missing.content.decode() and Project.objects.count() == 1


def test_every_page_renders(officer: Any, clock: dt.date) -> None:
    r = services.create_reception(officer, reception_data(), FIRMS)
    services.record_intention(officer, r, intention="x", project_data=lead_data())
    tf = builders.task_force(unit("昌吉市"))
    trip = services.create_trip(
        officer,
        {
            "kind": "resident",
            "task_force": tf,
            "title": "驻点招商",
            "province": "上海市",
            "start_date": dt.date(2026, 2, 1),
            "end_date": dt.date(2026, 2, 3),
            "participants": 2,
        },
    )
    services.add_contact(
        officer, trip, {"firm_name": "上海某公司", "person": "赵经理", "mobile": "13812345678"}
    )
    builders.plan(unit("昌吉市"), target_firms=320, target_people=2800)
    c = client_for(officer)
    for name, args in [
        ("promotion:home", []), ("promotion:receptions", []), ("promotion:calendar", []), ("promotion:stats", []),
        ("promotion:trips", []), ("promotion:trip_new", []), ("promotion:trip", [trip.pk]), ("promotion:trip_edit", [trip.pk]),
        ("promotion:taskforces", []), ("promotion:taskforce_new", []), ("promotion:taskforce", [tf.pk]),
        ("promotion:todo", []), ("promotion:return", []), ("promotion:settings", []), ("promotion:reception", [r.pk]),
    ]:  # fmt: skip
        resp = c.get(reverse(name, args=args) + ("?year=2026" if not args else ""))
        assert resp.status_code == 200, name
    trip_page = c.get(reverse("promotion:trip", args=[trip.pk])).content.decode()
    assert "138****5678" in trip_page and "13812345678" not in trip_page  # masked on the server
    assert "1080.00" in trip_page  # 3 days × 2 people × (100 + 80)
    home = c.get(reverse("promotion:home") + "?year=2026").content.decode()
    assert 'data-code="firms_received"' in home and "≥ 320" in home


def test_list_pages_query_counts(officer: Any, clock: dt.date, django_assert_num_queries: Any) -> None:
    for i in range(5):
        builders.reception(unit("昌吉市"), dt.date(2026, 3, 1 + i), title=f"接待{i}")
        builders.trip(unit("昌吉市"), dt.date(2026, 4, 1 + i))
    c = client_for(officer)
    c.get(reverse("promotion:receptions"))
    # session, the user with unit, scope and roles, count, rows, firms, projects
    with django_assert_num_queries(6):
        c.get(reverse("promotion:receptions"))
    with django_assert_num_queries(6):
        c.get(reverse("promotion:trips"))
    with django_assert_num_queries(6):
        api_for(officer).get(reverse("api:promotion-reception-list"))


def test_api_create_errors_and_return(officer: Any, clock: dt.date) -> None:
    api = api_for(officer)
    body = {
        **{k: (str(v) if not hasattr(v, "pk") else v.pk) for k, v in reception_data().items()},
        "firms": FIRMS,
    }
    resp = api.post(reverse("api:promotion-reception-list"), body, format="json")
    assert resp.status_code == 201, resp.json()
    rid = resp.json()["id"]
    assert resp.json()["total_yuan"] == "4000.00" and len(resp.json()["firms"]) == 2
    bad = api.post(reverse("api:promotion-reception-list"), {**body, "firms": []}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "firms" in bad.json()["fields"]
    stale = api.patch(
        reverse("api:promotion-reception-detail", args=[rid]), {"title": "x", "version": 9}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    lead = api.post(
        reverse("api:promotion-intention"),
        {"source_kind": "reception", "source_id": rid, "intention": "意向", "name": "项目A", "investor_name": "某集团",
         "planned_investment_wan": "20000", "location_unit": unit("昌吉市").pk},
        format="json",
    )  # fmt: skip
    assert lead.status_code == 201 and lead.json()["created_lead"] is True
    assert Touch.objects.get().project.name == "项目A"
    ret = api.get(reverse("api:promotion-return") + "?year=2026").json()
    assert ret["total"]["leads"] == "1.0000" and ret["sources"][0]["source_kind"] == "reception"
    assert ret["sources_count"] == 1
    assert api.get(reverse("api:promotion-return") + "?year=2026&page=2").json()["sources"] == []
    assert api.get(reverse("api:promotion-return") + "?year=2026&page=0").status_code == 400
    assert api.get(reverse("api:promotion-return") + "?year=abc").status_code == 400
    year = api.get(reverse("api:promotion-year") + "?year=2026").json()
    assert {f["code"]: f["actual"] for f in year}["firms_received"] == "2.00"
    trip = api.post(
        reverse("api:promotion-trip-list"),
        {
            "kind": "squad",
            "title": "赴西藏",
            "province": "西藏自治区",
            "start_date": "2026-05-01",
            "end_date": "2026-05-02",
            "participants": 2,
        },
        format="json",
    )
    assert trip.status_code == 201 and trip.json()["allowance_yuan"] == "800.00"


def test_next_step_api_and_completion(officer: Any, clock: dt.date) -> None:
    r = services.create_reception(officer, reception_data(), FIRMS)
    api = api_for(officer)
    resp = api.post(
        reverse("api:promotion-nextstep-list"),
        {
            "source_kind": "reception",
            "source_id": r.pk,
            "description": "寄送资料",
            "owner": officer.pk,
            "due_on": "2026-09-20",
        },
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    sid = resp.json()["id"]
    assert [s["id"] for s in api.get(reverse("api:promotion-nextstep-list")).json()["results"]] == [sid]
    done = api.post(
        reverse("api:promotion-nextstep-complete", args=[sid]), {"version": 1, "note": "已寄"}, format="json"
    )
    assert done.status_code == 200 and done.json()["done_note"] == "已寄"
    again = api.post(reverse("api:promotion-nextstep-complete", args=[sid]), {"version": 1}, format="json")
    assert again.status_code == 400
    assert api.get(reverse("api:promotion-nextstep-list")).json()["results"] == []


def test_settings_page_saves_plan_and_standards(prefecture: Any, officer: Any, clock: dt.date) -> None:
    c = client_for(prefecture)
    resp = c.post(
        reverse("promotion:settings") + "?year=2026",
        {
            "which": "std",
            "std-meal_xqz_yuan": "120",
            "std-meal_other_yuan": "100",
            "std-transport_xqz_yuan": "80",
            "std-transport_other_yuan": "80",
            "std-reception_meal_yuan": "160",
            "std-reception_lodging_yuan": "400",
            "std-reception_transport_yuan": "500",
        },
    )
    assert resp.status_code == 302
    from qinqing.promotion.models import YearPlan, YearStandard

    assert YearStandard.objects.get(year=2026).reception_meal_yuan == Decimal("160")
    # a county may set its own plan but not the official standards
    c = client_for(officer)
    plan = {
        "which": "plan",
        "plan-budget_yuan": "302000",
        **{
            f"plan-{k}": "1"
            for k in (
                "target_firms",
                "target_people",
                "target_exhibitions_region",
                "target_exhibitions_department",
                "target_task_forces",
                "target_exchange_meetings",
                "target_work_meetings",
            )
        },
    }
    assert c.post(reverse("promotion:settings") + "?year=2026", plan).status_code == 302
    assert YearPlan.objects.get(unit=unit("昌吉市"), year=2026).budget_yuan == Decimal("302000")
    resp = c.post(
        reverse("promotion:settings") + "?year=2026",
        {
            "which": "std",
            "std-meal_xqz_yuan": "1",
            "std-meal_other_yuan": "1",
            "std-transport_xqz_yuan": "1",
            "std-transport_other_yuan": "1",
            "std-reception_meal_yuan": "1",
            "std-reception_lodging_yuan": "1",
            "std-reception_transport_yuan": "1",
        },
    )
    assert "开支标准由州（市）级及以上单位设置" in resp.content.decode()
    assert YearStandard.objects.get(year=2026).reception_meal_yuan == Decimal("160")


def test_return_page_queries_do_not_grow_with_rows(officer: Any, clock: dt.date) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.scoping.registry import _inv_project

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client_for(officer).get(reverse("promotion:return") + "?year=2026").status_code == 200
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        for i in range(n):
            r = builders.reception(unit("昌吉市"), dt.date(2026, 3, 1 + i))
            builders.touch(unit("昌吉市"), _inv_project(unit("昌吉市"), None), reception=r)
            builders.trip(unit("昌吉市"), dt.date(2026, 4, 1 + i))

    add(2)
    count()  # the first request creates the settings rows
    few = count()
    add(6)
    assert count() == few
