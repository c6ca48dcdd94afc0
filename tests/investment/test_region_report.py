from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.investment import queries, reports, services
from qinqing.investment.models import IndustryCluster, Project
from tests.factories import unit

D = dt.date
W = Decimal


@pytest.fixture
def approved_march(filer: User, head: User, reviewer: User, make_project: Callable[..., Project]) -> None:
    coal = IndustryCluster.objects.get(scheme="changji", name="煤基产业")
    a = make_project(name="铝项目", signed_on=D(2026, 3, 2), planned_investment_wan=W("50000"))
    b = make_project(
        name="煤项目",
        signed_on=D(2025, 5, 1),
        opened_on=D(2025, 4, 1),
        started_on=D(2026, 1, 10),
        planned_investment_wan=W("200000"),
        cluster=coal,
    )
    for p, month, amount, outside in [
        (a, 3, "1200.50", "1000.25"),
        (b, 2, "3000", "3000"),
        (b, 3, "500", "0"),
    ]:
        services.record_funds(
            filer, p, month=D(2026, month, 1), amount_wan=W(amount), outside_amount_wan=W(outside)
        )
    report = services.prepare_report(filer, unit=unit("昌吉市"), month=D(2026, 3, 1))
    report = services.submit_report(head, report, expected_version=report.version)
    services.approve_report(reviewer, report, expected_version=report.version)
    # an unapproved unit's data never reaches the workbook
    services.prepare_report(filer, unit=unit("昌吉市"), month=D(2026, 2, 1))


def test_excel_cell_by_cell(reviewer: User, approved_march: None) -> None:
    wb = openpyxl.load_workbook(
        io.BytesIO(reports.region_workbook(reviewer, unit("昌吉回族自治州"), D(2026, 3, 1)))
    )
    ws = wb["招商引资月报"]
    assert ws["A1"].value == "昌吉回族自治州招商引资项目统计月报"
    assert ws["I2"].value == "统计期：2026年1—3月"
    assert {str(r) for r in ws.merged_cells.ranges} >= {"A1:Q1", "A4:A5", "D4:F4", "G4:I4", "O4:Q4", "J4:J5"}
    assert [ws.cell(5, c).value for c in range(4, 18)] == [
        "合计",
        "新建",
        "续建",
        "本月",
        "本年累计",
        "其中亿元以上",
        None,
        "开工",
        "投产",
        "本月",
        "本年累计",
        "本月（万元）",
        "本年累计（万元）",
        "本年累计（亿元）",
    ]
    values = lambda r: [ws.cell(r, c).value for c in range(1, 18)]  # noqa: E731
    # 昌吉市: subtotal, then 煤基产业 (ordering 1) and 铝基产业 (ordering 2)
    assert values(6) == [
        1,
        "昌吉市",
        "小计",
        2,
        1,
        1,
        1,
        1,
        1,
        50000,
        1,
        0,
        1700.5,
        4700.5,
        1000.25,
        4000.25,
        0.4,
    ]
    assert values(7) == [None, "昌吉市", "煤基产业", 1, 0, 1, 0, 0, 0, 0, 1, 0, 500, 3500, 0, 3000, 0.3]
    assert values(8) == [
        None,
        "昌吉市",
        "铝基产业",
        1,
        1,
        0,
        1,
        1,
        1,
        50000,
        0,
        0,
        1200.5,
        1200.5,
        1000.25,
        1000.25,
        0.1,
    ]
    assert values(9)[:3] == [2, "阜康市", "未审核"]
    total_row = 6 + 3 + 8  # 昌吉市 (3 rows) + 8 other units unapproved
    assert ws.cell(total_row, 1).value == "合计"
    assert values(total_row)[3:] == values(6)[3:]
    # the dashboard and the API agree with the workbook to the 万元
    d = queries.dashboard(reviewer, 2026, 3)
    assert d.totals["funds_ytd_wan"] == W("4700.50") and d.totals["outside_ytd_wan"] == W("4000.25")
    assert (d.totals["in_execution"], d.totals["new_signings"], d.totals["new_yi"]) == (2, 1, 1)


def test_pdf_summary(reviewer: User, approved_march: None) -> None:
    pdf = reports.region_pdf(reviewer, unit("昌吉回族自治州"), D(2026, 3, 1))
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_pages_and_api(
    reviewer: User, filer: User, approved_march: None, django_assert_num_queries: object
) -> None:
    c = Client()
    c.force_login(reviewer)
    for name in ("list", "kanban", "reports", "dashboard", "targets"):
        assert c.get(f"/investment/{'' if name == 'list' else name + '/'}").status_code == 200, name
    resp = c.get("/investment/reports/region.xlsx?year=2026&month=3")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxml")
    api = c.get("/api/v1/investment/dashboard/?year=2026&month=3").json()
    assert api["totals"]["funds_ytd_wan"] == "4700.50"
    assert c.get("/api/v1/projects/?stage=started").json()["count"] == 1
    stale = c.post(
        f"/api/v1/investment/reports/{c.get('/api/v1/investment/reports/').json()['results'][0]['id']}/approve/",
        {"version": 99},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    bad = c.post("/api/v1/investment/funds/", {"project": 0}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "amount_wan" in bad.json()["fields"]


def test_project_list_query_count(
    reviewer: User, make_project: Callable[..., Project], django_assert_num_queries: Any
) -> None:
    for i in range(5):
        make_project(name=f"项目{i}")
    c = Client()
    c.force_login(reviewer)
    c.get("/api/v1/projects/")
    with django_assert_num_queries(4):  # session, the user with unit and roles, then the list's own
        assert c.get("/api/v1/projects/").json()["count"] == 5
    # the page reads the scope's unit ids first (queries.visible_projects), then the page and its COUNT
    with django_assert_num_queries(8):
        assert c.get("/investment/").status_code == 200
