"""Pages: the project's live indicators with drill-down, unavailable metrics, the self-evaluation and its
files, the office summary, ops pages, permissions and scoping."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.core.metrics import _unregister_for_tests, declare_unavailable
from qinqing.demands.models import Demand
from qinqing.kpi import services
from qinqing.kpi.models import BudgetProject, Indicator
from tests.demands.conftest import People, at

W = Decimal


@pytest.fixture
def demands_2021(people: People, flow: Callable[..., Demand], clock: Any) -> list[Demand]:
    clock.set(at(2021, 6, 1, 9))
    made = [flow("closed"), flow("handling"), flow("accepted"), flow("submitted")]
    clock.set(at(2021, 6, 10, 9))
    services.load_seed()
    return made


def _client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _row(html: str, name: str) -> str:
    start = html.index(f'data-indicator="{name}"')
    return html[start : html.index("</tr>", start)]


def test_project_page_live_completion_rate_and_drilldown(people: People, demands_2021: list[Demand]) -> None:
    project = BudgetProject.objects.get(code="2021-cj-platform")
    c = _client(people.pref)
    html = c.get(reverse("kpi:project", args=[project.pk])).content.decode()
    row = _row(html, "企业困难诉求办理完成率")
    assert "33.3%" in row  # 1 closed ÷ 3 accepted (the unaccepted one does not count)
    assert 'data-light="red"' in row  # a rate is carried forward: 33.3 < 81
    start = row.index('href="') + 6
    url = row[start : row.index('"', start)].replace("&amp;", "&")
    assert url.startswith("/demands/?unit=")
    listing = c.get(url).content.decode()
    closed, handling, accepted, submitted = demands_2021
    assert handling.number in listing and accepted.number in listing
    assert closed.number not in listing and submitted.number not in listing
    assert "统计范围：昌吉回族自治州及下级" in html
    # Trend: the year to date at each month's end.
    ind = project.indicators.get(name="企业困难诉求办理完成率")
    data = c.get(reverse("kpi:trend", args=[ind.pk])).json()
    assert data["months"] == ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
    assert data["values"] == [None, None, None, None, None, 33.3]
    assert data["target"] == 90.0


def test_unavailable_metric_shows_reason_not_a_value(people: People, demands_2021: list[Demand]) -> None:
    declare_unavailable("test.missing", "测试", unit="个", definition="-", reason="“测试”模块尚未上线")
    try:
        project = BudgetProject.objects.get(code="2021-cj-platform")
        Indicator.objects.filter(project=project, name="营商环境管理系统使用单位（个数）").update(
            metric="test.missing"
        )
        html = _client(people.pref).get(reverse("kpi:project", args=[project.pk])).content.decode()
        row = _row(html, "营商环境管理系统使用单位（个数）")
        assert "未接入" in row and "“测试”模块尚未上线" in row
        assert 'data-light="none"' in row
    finally:
        _unregister_for_tests("test.missing")


def test_self_evaluation_entries_scores_and_files(
    people: People, demands_2021: list[Demand], clock: Any
) -> None:
    clock.set(at(2022, 1, 15, 9))  # after the year: the whole of 2021
    project = BudgetProject.objects.get(code="2021-cj-platform")
    c = _client(people.pref)
    ind = project.indicators.get(name="信息系统开发数量")
    r = c.post(
        reverse("kpi:indicator_edit", args=[ind.pk]),
        {
            f"i{ind.pk}-version": project.version,
            f"i{ind.pk}-points": "4.54",
            f"i{ind.pk}-manual_value": "1",
            f"i{ind.pk}-evidence": "验收报告",
            f"i{ind.pk}-deviation": "无偏差",
        },
    )
    assert r.status_code == 302
    ind.refresh_from_db()
    assert (ind.manual_value, ind.evidence) == (W(1), "验收报告")
    # A stale version changes nothing.
    r = c.post(
        reverse("kpi:indicator_edit", args=[ind.pk]),
        {f"i{ind.pk}-version": 1, f"i{ind.pk}-points": "4.54", f"i{ind.pk}-manual_value": "2"},
    )
    ind.refresh_from_db()
    assert ind.manual_value == W(1)
    project.refresh_from_db()
    r = c.post(
        reverse("kpi:execution_edit", args=[project.pk]),
        {"version": project.version, "executed_wan": "27", "summary": "系统上线运行"},
    )
    project.refresh_from_db()
    assert project.execution_rate == W("90.00")
    html = c.get(reverse("kpi:evaluation", args=[project.pk])).content.decode()
    assert "预算执行率" in html and "90.00%" in html and "得分 9.00" in html
    pdf = c.get(reverse("kpi:evaluation_file", args=[project.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "昌吉州营商环境管理系统开发" in text and "偏差原因及改进措施" in text and "无偏差" in text
    xlsx = c.get(reverse("kpi:evaluation_file", args=[project.pk, "xlsx"]))
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames[0] == "汇总"
    sheet = wb.worksheets[1]
    rows = {r[2]: r for r in sheet.iter_rows(values_only=True) if r and r[2]}
    assert rows["信息系统开发数量"][4:7] == ("1个", "4.54", "4.54")
    assert rows["企业困难诉求办理完成率"][4] == "33.3%"
    summary = c.get(reverse("kpi:summary") + "?year=2021").content.decode()
    assert "昌吉州营商环境管理系统开发" in summary and "90.00%" in summary
    assert c.get(reverse("kpi:summary") + "?year=2021&format=pdf")["Content-Type"] == "application/pdf"


def test_home_lists_projects_in_few_queries(
    people: People, demands_2021: list[Demand], django_assert_num_queries: Any
) -> None:
    c = _client(people.pref)
    c.get(reverse("kpi:home"))
    with django_assert_num_queries(3):  # session, the user with unit and roles, then the page's own
        html = c.get(reverse("kpi:home") + "?year=2021").content.decode()
    assert html.count('/evaluation/">绩效自评</a>') == 5
    assert "外地驻乌商会管理和服务费" not in html  # Urumqi's projects are outside the scope


def test_permissions_and_scope(
    people: People, demands_2021: list[Demand], make_user: Callable[..., User]
) -> None:
    urumqi = BudgetProject.objects.get(code="2022-ur-chambers")
    assert _client(people.pref).get(reverse("kpi:project", args=[urumqi.pk])).status_code == 404
    ent = _client(people.ent)
    assert ent.get(reverse("kpi:home")).status_code == 403
    handler = _client(people.handler)  # kpi.view, not kpi.manage
    ind = BudgetProject.objects.get(code="2021-cj-platform").indicators.first()
    assert ind is not None
    assert handler.post(reverse("kpi:indicator_edit", args=[ind.pk]), {}).status_code == 403
    assert handler.get(reverse("kpi:incidents")).status_code == 403
    admin = make_user("ops_admin", unit_name="昌吉州营商环境服务中心", roles=[Role.SYSADMIN])
    a = _client(admin)
    assert a.get(reverse("kpi:home")).status_code == 200
    r = a.post(
        reverse("kpi:incident_new"),
        {
            "system": "platform",
            "started_at": "2021-06-09T10:00",
            "ended_at": "2021-06-09T08:00",
            "detected_by": "staff",
            "affected": "全部",
        },
    )
    assert "恢复时间不能早于故障开始时间" in r.content.decode()
    r = a.post(
        reverse("kpi:incident_new"),
        {
            "system": "platform",
            "started_at": "2021-06-09T08:00",
            "ended_at": "2021-06-09T10:00",
            "detected_by": "staff",
            "affected": "全部",
        },
    )
    assert r.status_code == 302
    page = a.get(reverse("kpi:incidents") + "?start=2021-06-01&end=2021-06-10").content.decode()
    assert "全部" in page and "2.00 小时" in page


def test_import_page_all_or_nothing(people: People, demands_2021: list[Demand]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qinqing.kpi import documents

    c = _client(people.pref)
    good = documents.targets_workbook(list(BudgetProject.objects.filter(code="2021-cj-repair")))
    wb = load_workbook(io.BytesIO(good))
    wb.worksheets[0]["B5"] = "2021-cj-repair-copy"
    out = io.BytesIO()
    wb.save(out)
    r = c.post(reverse("kpi:targets_import"), {"file": SimpleUploadedFile("t.xlsx", out.getvalue())})
    assert r.status_code == 302
    assert BudgetProject.objects.get(code="2021-cj-repair-copy").indicators.count() == 10
    wb.worksheets[0]["B5"] = "2021-cj-repair-other"
    wb.worksheets[0]["E9"] = "?"
    out = io.BytesIO()
    wb.save(out)
    r = c.post(reverse("kpi:targets_import"), {"file": SimpleUploadedFile("t.xlsx", out.getvalue())})
    html = r.content.decode()
    assert "未导入任何内容" in html and "第 9 行：比较应为 ≥、≤、= 或 定性" in html
    assert not BudgetProject.objects.filter(code="2021-cj-repair-other").exists()
    assert _client(people.handler).get(reverse("kpi:targets_import")).status_code == 403
