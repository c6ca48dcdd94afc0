"""Liaison pages and API: rendering, scoping, the leader's visit form, Excel export, query counts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from qinqing.demands.models import Channel, Demand
from qinqing.liaison import services
from qinqing.liaison.models import Assignment, Visit
from tests.factories import unit
from tests.liaison.conftest import Cast, act, category, problem

D = dt.date


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _visit(cast: Cast, n: int = 2) -> Visit:
    problems = [
        problem(f"问题{i}：用地指标未落实", f"二期项目用地指标未落实（{i}）") for i in range(1, n + 1)
    ]
    return services.log_visit(
        cast.changji_leader,
        services.VisitData(
            enterprise=cast.ent,
            visited_on=D(2026, 11, 20),
            form="on_site",
            topics="生产经营",
            problems=problems,
        ),
    )


def test_every_page_renders(cast: Cast, clock: Any) -> None:
    v = _visit(cast)
    a = services.create_assignment(
        cast.pref,
        services.AssignmentData(leader=cast.changji_leader, start_date=D(2026, 1, 1), enterprise=cast.ent),
    )
    c = _client(cast.office)
    for name, args in [
        ("home", []),
        ("assignments", []),
        ("assignment_new", []),
        ("assignment_import", []),
        ("assignment", [a.pk]),
        ("coverage", []),
        ("visits", []),
        ("visit_new", []),
        ("visit", [v.pk]),
        ("ledger", []),
        ("proposals", []),
        ("meetings", []),
        ("meeting_new", []),
        ("rules", []),
    ]:
        response = c.get(reverse(f"liaison:{name}", args=args))
        assert response.status_code == 200, name


def test_leader_logs_a_visit_through_the_form(cast: Cast, clock: Any) -> None:
    c = _client(cast.changji_leader)
    page = c.get(reverse("liaison:visit_new"))
    assert "添加问题" in page.content.decode()
    data = {
        "enterprise": cast.ent.pk,
        "visited_on": "2026-11-20",
        "form": "on_site",
        "topics": "二期项目建设",
        "situation": "订单饱满",
        "p1-title": "用地指标未落实",
        "p1-description": "二期项目需新增用地50亩",
        "p1-category": category("用地").pk,
        "p1-demand_type": "help",
        "p2-title": "电力增容未批复",
        "p2-description": "申请两个月未批复",
        "p2-category": category("用电").pk,
        "p2-demand_type": "help",
        **{f"p{i}-demand_type": "help" for i in range(3, 6)},
    }
    response = c.post(reverse("liaison:visit_new"), data)
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("liaison:visit", args=[visit.pk])
    assert list(Demand.objects.order_by("id").values_list("title", "channel")) == [
        ("用地指标未落实", Channel.VISIT),
        ("电力增容未批复", Channel.VISIT),
    ]
    # A problem without a category is a clear Chinese message and nothing is saved.
    bad = dict(data, **{"p1-category": ""})
    response = c.post(reverse("liaison:visit_new"), bad)
    assert "问题1：请选择诉求分类" in response.content.decode()
    assert Visit.objects.count() == 1


def test_ledger_page_and_export_layout(cast: Cast, clock: Any, django_assert_num_queries: Any) -> None:
    _visit(cast, 3)
    c = _client(cast.office)
    c.get(reverse("liaison:ledger"))  # warm up (session, user)
    # session, the user with unit, scope unit and roles, count, rows, the leader and unit filter choices
    with django_assert_num_queries(6):
        response = c.get(reverse("liaison:ledger"))
    assert response.content.decode().count("用地指标未落实") == 3
    _visit(cast, 3)
    with django_assert_num_queries(6):
        c.get(reverse("liaison:ledger"))
    export = c.get(reverse("liaison:ledger_export"))
    ws = load_workbook(io.BytesIO(export.content)).active
    assert ws["A1"].value == "昌吉市包联领导走访问题台账"
    assert "A1:M1" in {str(r) for r in ws.merged_cells.ranges}
    assert "B3:D3" in {str(r) for r in ws.merged_cells.ranges}  # 走访情况 over three columns
    assert "A3:A4" in {str(r) for r in ws.merged_cells.ranges}  # 序号 spans both header rows
    assert [ws.cell(4, i).value for i in range(2, 14)] == [
        "走访日期",
        "包联领导",
        "企业名称",
        "问题",
        "诉求编号",
        "诉求分类",
        "责任单位",
        "办理进度",
        "办理时限",
        "亮灯",
        "是否销号",
        "销号时间",
    ]
    assert ws.max_row == 4 + 6
    assert [ws.cell(5, c).value for c in (1, 2, 3, 4, 8, 9, 12)] == [
        1,
        "2026-11-20",
        "市领导",
        "昌吉市示范制造有限公司",
        "昌吉市营商环境服务中心",
        "待受理",
        "否",
    ]


def test_api_lists_and_creates(cast: Cast, clock: Any, django_assert_num_queries: Any) -> None:
    api = APIClient()
    api.force_authenticate(cast.pref)
    r = api.post(
        "/api/v1/liaison/assignments/",
        {"leader": cast.changji_leader.pk, "enterprise": cast.ent.pk, "start_date": "2026-01-01"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert (r.json()["level"], r.json()["unit_name"]) == (2, "昌吉市")
    r = api.post(
        "/api/v1/liaison/assignments/",
        {"leader": cast.changji_leader.pk, "start_date": "2026-01-01"},
        format="json",
    )
    assert r.status_code == 400
    assert r.json() == {
        "code": "invalid",
        "detail": "输入有误",
        "fields": {"enterprise": ["请选择一家企业或一个项目（二者选一）"]},
    }
    leader_api = APIClient()
    leader_api.force_authenticate(cast.changji_leader)
    r = leader_api.post(
        "/api/v1/liaison/visits/",
        {
            "enterprise": cast.ent.pk,
            "visited_on": "2026-11-20",
            "form": "video",
            "topics": "融资",
            "problems": [
                {"title": "续贷困难", "description": "贷款到期需要过桥资金", "category": category("融资").pk}
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert [p["title"] for p in r.json()["found"]] == ["续贷困难"]
    assert r.json()["assignment"] == Assignment.objects.get().pk
    for i in range(3):
        services.log_visit(
            cast.changji_leader,
            services.VisitData(
                enterprise=cast.ent2,
                visited_on=D(2026, 11, 1 + i),
                form="phone",
                topics="回访",
                problems=[],
                companions=[cast.office],
            ),
        )
    with django_assert_num_queries(5):  # count, rows, companions, problems, their demands
        r = api.get("/api/v1/liaison/visits/")
    assert r.json()["count"] == 4
    with django_assert_num_queries(1):
        r = api.get("/api/v1/liaison/ledger/")
    assert [row["title"] for row in r.json()] == ["续贷困难"]
    with django_assert_num_queries(3):  # count, rows, task forces
        r = api.get("/api/v1/liaison/assignments/")
    assert r.json()["count"] == 1
    outside = APIClient()
    outside.force_authenticate(cast.manas_office)
    assert outside.get(f"/api/v1/liaison/visits/{Visit.objects.first().pk}/").status_code == 404


def test_proposal_decided_through_the_page(cast: Cast, clock: Any) -> None:
    from tests.liaison.conftest import drive, submit_demand

    d = drive(cast, submit_demand(cast, enterprise=cast.ent3), "handling", lead="榆树沟镇")
    services.mark_difficult(cast.town_head, d.pk, reason="需市级协调")
    c = _client(cast.office)
    page = c.get(reverse("liaison:proposals"))
    assert "承办单位标记为疑难" in page.content.decode()
    from qinqing.liaison.models import EscalationProposal

    p = EscalationProposal.objects.get()
    r = c.post(reverse("liaison:proposal_decide", args=[p.pk]), {"decision": "escalate", "note": "市里协调"})
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.coordinating_unit) == ("accepted", unit("昌吉市营商环境服务中心"))
    act(cast.office, d, "dispatch", lead_unit=unit("昌吉市住房和城乡建设局"))
