from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEvent
from qinqing.investment import services
from qinqing.investment.importing import FUNDS_COLUMNS, PROJECT_COLUMNS
from qinqing.investment.models import FundsEntry, Project, StageChange
from tests.factories import unit

D = dt.date
W = Decimal
PROJECT_HEADERS = [
    "项目编号",
    "项目名称",
    "投资主体",
    "资金来源",
    "投资主体类型",
    "行业门类",
    "行业大类",
    "产业集群",
    "产业链",
    "链上定位",
    "落地单位",
    "计划总投资（万元）",
    "阶段",
    "签约类型",
    "签约金额（万元）",
    "签约日期",
    "全额财政资金项目",
]
FUNDS_HEADERS = ["项目编号", "月份", "本月到位资金（万元）", "其中区外到位资金（万元）", "凭证说明"]


def xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_A: list[Any] = [
    "CJ-001",
    "铝合金型材项目",
    "江苏某铝业有限公司",
    "外省",
    "民营",
    "C",
    "32",
    "铝基产业",
    "铝精深加工",
    "强链",
    "昌吉市",
    50000,
    "线索",
    "",
    "",
    "",
    "否",
]
GOOD_B: list[Any] = ["CJ-002", "光伏组件项目", "浙江某光伏集团有限公司", "对口援疆省市", "民营", "C", "38", "新能源", "光伏", "补链", "昌吉市", "120000.5", "签约", "正式合同", 120000, "2026-02-10", ""]  # fmt: skip


def _imports() -> int:
    return AuditEvent.objects.filter(action="import").count()


def test_project_import_creates_then_reimport_updates_by_number(filer: User) -> None:
    content = xlsx(PROJECT_HEADERS, [GOOD_A, GOOD_B])
    result = services.import_projects(filer, "projects.xlsx", content)
    assert result.errors == []
    assert result.counts() == {"created": 2, "updated": 0, "unchanged": 0}
    a, b = Project.objects.get(number="CJ-001"), Project.objects.get(number="CJ-002")
    assert (a.stage, a.planned_investment_wan, a.cluster.name, a.chain.name, a.chain_role) == (  # type: ignore[union-attr]
        "lead",
        W("50000.00"),
        "铝基产业",
        "铝精深加工",
        "strengthen",
    )
    assert (b.stage, b.contract_type, b.signed_on, b.first_signed_on, b.size_band, b.sector) == (
        "signed",
        "formal",
        D(2026, 2, 10),
        D(2026, 2, 10),
        3,
        2,
    )
    assert [(s.from_stage, s.to_stage, s.effective_on) for s in b.stage_changes.all()] == [
        ("", "negotiating", D(2026, 2, 10)),
        ("negotiating", "signed", D(2026, 2, 10)),
    ]
    event = AuditEvent.objects.filter(action="import").get()
    assert (event.result, event.object_type, event.changes) == (
        "success",
        "investment.project",
        {"file": "projects.xlsx", "created": 2, "updated": 0, "unchanged": 0},
    )
    # re-import: A's planned investment changes, B is the same; nothing is duplicated
    changed = [*GOOD_A[:11], 60000, *GOOD_A[12:]]
    again = services.import_projects(filer, "projects.xlsx", xlsx(PROJECT_HEADERS, [changed, GOOD_B]))
    assert again.counts() == {"created": 0, "updated": 1, "unchanged": 1}
    assert Project.objects.count() == 2
    a.refresh_from_db()
    assert (a.planned_investment_wan, a.version) == (W("60000.00"), 2)


def test_bad_project_file_saves_nothing_and_reports_every_problem(
    filer: User, make_project: Callable[..., Project]
) -> None:
    existing = make_project(number="CJ-900", name="已有项目")
    rows = [
        GOOD_A,  # valid, but the file has errors so it is not saved either
        ["", "项目二", "某公司", "外地", "民营", "C", "32", "", "光伏", "", "玛纳斯县", "abc", "", "", "", "", "也许"],
        ["CJ-001", "项目三", "某公司", "外省", "民营", "C", "44", "铝基产业", "", "", "火星县", -5, "", "", "", "", ""],
        ["", "项目四", "某公司", "外省", "民营", "C", "", "", "", "", "昌吉市", 100, "签约", "", "", "2026-03-01", ""],
        ["CJ-900", "已有项目", "某公司", "外省", "民营", "C", "32", "", "", "", "昌吉市", 100, "签约", "", "", "", ""],
        ["", "", "", "外省", "民营", "Z", "", "", "", "", "昌吉市", 100, "", "", "", "2026-13-01", ""],
    ]  # fmt: skip
    before = (Project.objects.count(), StageChange.objects.count(), AuditEvent.objects.count())
    result = services.import_projects(filer, "bad.xlsx", xlsx(PROJECT_HEADERS, rows))
    assert [str(e) for e in result.errors] == [
        "第 3 行 资金来源: “外地”无效，应为 外省、对口援疆省市、境外、区内 之一",
        "第 3 行 产业链: 填写产业链时请同时填写产业集群",
        "第 3 行 落地单位: “玛纳斯县”不是您数据范围内的县市区或园区",
        "第 3 行 计划总投资（万元）: “abc”不是数字（单位：万元）",
        "第 3 行 全额财政资金项目: “也许”应为“是”或“否”",
        "第 4 行 行业大类: 大类 44 不属于门类 C",
        "第 4 行 落地单位: 找不到单位“火星县”",
        "第 4 行 计划总投资（万元）: 应为不小于0的数字（单位：万元）",
        "第 5 行 签约类型: 已签约项目请选择签约类型",
        "第 6 行 阶段: 与项目库不一致（项目库为“线索”）；已有项目的阶段请在项目页办理阶段变更",
        "第 7 行 项目名称: 不能为空",
        "第 7 行 投资主体: 不能为空",
        "第 7 行 行业门类: “Z”不是国民经济行业分类（GB/T 4754-2017）的门类，应为 A–T",
        "第 7 行 签约日期: “2026-13-01”不是日期，应写作 2026-03-15",
    ]
    assert result.counts() == {"created": 0, "updated": 0, "unchanged": 0}
    assert (Project.objects.count(), StageChange.objects.count()) == before[:2]
    assert AuditEvent.objects.count() == before[2] + 1
    event = AuditEvent.objects.filter(action="import").get()
    assert (event.result, event.changes) == ("failure", {"file": "bad.xlsx", "errors": 14})
    existing.refresh_from_db()
    assert existing.version == 1


def test_project_import_header_problems_and_duplicate_numbers(filer: User) -> None:
    bad_header = xlsx(["项目名称", "投资人", "项目名称"], [["x", "y", "z"]])
    result = services.import_projects(filer, "h.xlsx", bad_header)
    assert [str(e) for e in result.errors] == [
        "第 1 行 表头: 无法识别的列“投资人”",
        "第 1 行 表头: 缺少列“投资主体”",
        "第 1 行 表头: 缺少列“资金来源”",
        "第 1 行 表头: 缺少列“投资主体类型”",
        "第 1 行 表头: 缺少列“行业门类”",
        "第 1 行 表头: 缺少列“落地单位”",
        "第 1 行 表头: 缺少列“计划总投资（万元）”",
        "第 1 行 表头: 列“项目名称”重复",
    ]
    assert [str(e) for e in services.import_projects(filer, "a.txt", b"x").errors] == [
        "第 1 行 文件: 仅支持 .xlsx 或 .csv 文件"
    ]
    dup = services.import_projects(filer, "d.xlsx", xlsx(PROJECT_HEADERS, [GOOD_A, GOOD_A]))
    assert [str(e) for e in dup.errors] == ["第 3 行 项目编号: 与第 2 行重复"]
    assert Project.objects.count() == 0


def test_project_import_refuses_dates_in_locked_month(
    filer: User, head: User, make_project: Callable[..., Project]
) -> None:
    report = services.prepare_report(filer, unit=unit("昌吉市"), month=D(2026, 2, 1))
    services.submit_report(head, report, expected_version=report.version)
    result = services.import_projects(filer, "p.xlsx", xlsx(PROJECT_HEADERS, [GOOD_A, GOOD_B]))
    assert [str(e) for e in result.errors] == [
        "第 3 行 签约日期: 2026年2月月报已报送待审核，不能修改该月数据；如需更正，请州级重新开放该期"
    ]
    assert Project.objects.count() == 0


def _signed(make_project: Callable[..., Project], number: str, **kwargs: Any) -> Project:
    return make_project(number=number, name=f"项目{number}", signed_on=D(2026, 1, 10), **kwargs)


def test_funds_import_creates_updates_and_refuses_locked_months(
    filer: User, head: User, make_project: Callable[..., Project]
) -> None:
    p1, p2 = _signed(make_project, "F-1"), _signed(make_project, "F-2")
    rows = [
        ["F-1", "2026-02", 100, 80, "银行回单"],
        ["F-1", "2026年3月", "50.5", 0, ""],
        ["F-2", D(2026, 3, 1), 10, 10, ""],
    ]
    result = services.import_funds(filer, "funds.xlsx", xlsx(FUNDS_HEADERS, rows))
    assert result.counts() == {"created": 3, "updated": 0, "unchanged": 0}
    assert sorted(FundsEntry.objects.values_list("project__number", "month", "amount_wan", "outside_amount_wan")) == [
        ("F-1", D(2026, 2, 1), W("100.00"), W("80.00")),
        ("F-1", D(2026, 3, 1), W("50.50"), W("0.00")),
        ("F-2", D(2026, 3, 1), W("10.00"), W("10.00")),
    ]  # fmt: skip
    # March is submitted: a file touching March is refused as a whole, February included
    report = services.prepare_report(filer, unit=unit("昌吉市"), month=D(2026, 3, 1))
    services.submit_report(head, report, expected_version=report.version)
    again = [["F-1", "2026-02", 120, 80, "银行回单"], ["F-2", "2026-03", 11, 11, ""]]
    refused = services.import_funds(filer, "funds.xlsx", xlsx(FUNDS_HEADERS, again))
    assert [str(e) for e in refused.errors] == [
        "第 3 行 月份: 2026年3月月报已报送待审核，不能修改该月数据；如需更正，请州级重新开放该期"
    ]
    assert FundsEntry.objects.get(project=p1, month=D(2026, 2, 1)).amount_wan == W("100.00")
    # February alone goes through and updates the entry instead of adding one
    ok = services.import_funds(filer, "funds.xlsx", xlsx(FUNDS_HEADERS, again[:1]))
    assert ok.counts() == {"created": 0, "updated": 1, "unchanged": 0}
    entry = FundsEntry.objects.get(project=p1, month=D(2026, 2, 1))
    assert (entry.amount_wan, entry.version, FundsEntry.objects.count()) == (W("120.00"), 2, 3)
    assert FundsEntry.objects.get(project=p2).amount_wan == W("10.00")


def test_bad_funds_file_saves_nothing(filer: User, make_project: Callable[..., Project]) -> None:
    _signed(make_project, "F-1")
    next_month = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    rows = [
        ["F-1", "2026-01", 5, 5, ""],
        ["F-9", "2026-02", 1, 1, ""],
        ["F-1", "2026-02", 10, 20, ""],
        ["F-1", "二月", "", 1, ""],
        ["F-1", "2026-01", 6, 6, ""],
        ["F-1", f"{next_month:%Y-%m}", 6, 6, ""],
    ]
    result = services.import_funds(filer, "bad.xlsx", xlsx(FUNDS_HEADERS, rows))
    assert [str(e) for e in result.errors] == [
        "第 3 行 项目编号: 找不到项目编号“F-9”（或不在您的数据范围内）",
        "第 4 行 其中区外到位资金（万元）: 区外到位资金不能大于本月到位资金",
        "第 5 行 月份: “二月”不是月份，应写作 2026-03",
        "第 5 行 本月到位资金（万元）: 不能为空",
        "第 6 行 月份: 与第 2 行是同一项目同一月份",
        "第 7 行 月份: 不能填报未来月份",
    ]
    assert FundsEntry.objects.count() == 0
    assert AuditEvent.objects.filter(action="import", result="failure").count() == 1


def test_funds_import_out_of_scope_project_is_not_found(
    filer: User, manas_filer: User, make_project: Callable[..., Project]
) -> None:
    _signed(make_project, "M-1", unit_name="玛纳斯县", user=manas_filer)
    result = services.import_funds(filer, "f.xlsx", xlsx(FUNDS_HEADERS, [["M-1", "2026-02", 1, 1, ""]]))
    assert [str(e) for e in result.errors] == [
        "第 2 行 项目编号: 找不到项目编号“M-1”（或不在您的数据范围内）"
    ]
    same = services.import_projects(filer, "p.xlsx", xlsx(PROJECT_HEADERS, [["M-1", *GOOD_A[1:]]]))
    assert [str(e) for e in same.errors] == ["第 2 行 项目编号: 项目编号“M-1”已被您数据范围以外的项目使用"]


def test_import_page_template_and_error_report(filer: User) -> None:
    client = Client()
    client.force_login(filer)
    page = client.get("/investment/import/")
    assert page.status_code == 200
    assert "下载模板" in page.content.decode()
    for kind, columns in (("projects", PROJECT_COLUMNS), ("funds", FUNDS_COLUMNS)):
        resp = client.get(f"/investment/import/template/{kind}.xlsx")
        assert resp.status_code == 200
        sheet = load_workbook(io.BytesIO(resp.content)).worksheets[0]
        assert [c.value for c in sheet[1]] == list(columns)
    # the downloaded template itself is importable once filled in
    template = client.get("/investment/import/template/projects.xlsx").content
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    values = dict(zip(PROJECT_HEADERS, GOOD_A, strict=True))
    ws.append([values.get(h, "") for h in PROJECT_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    upload = io.BytesIO(buf.getvalue())
    upload.name = "filled.xlsx"
    resp = client.post("/investment/import/", {"kind": "projects", "file": upload}, follow=True)
    assert "导入完成：新增项目 1 条，更新 0 条，未变 0 条" in resp.content.decode()
    bad = io.BytesIO(xlsx(FUNDS_HEADERS, [["CJ-001", "2026-02", 1, 2, ""]]))
    bad.name = "bad.xlsx"
    resp = client.post("/investment/import/", {"kind": "funds", "file": bad})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "文件有 1 处问题，未保存任何数据" in body
    assert "第 2 行 其中区外到位资金（万元）: 区外到位资金不能大于本月到位资金" in body
    assert FundsEntry.objects.count() == 0


def test_import_api_returns_structured_row_errors(
    filer: User, api_client: APIClient, make_project: Callable[..., Project]
) -> None:
    _signed(make_project, "F-1")
    api_client.force_authenticate(filer)
    bad = io.BytesIO(xlsx(FUNDS_HEADERS, [["F-1", "2026-02", 1, 2, ""]]))
    bad.name = "bad.xlsx"
    resp = api_client.post("/api/v1/investment/import/funds/", {"file": bad}, format="multipart")
    assert resp.status_code == 400
    assert resp.json() == {
        "code": "import_invalid",
        "detail": "文件有 1 处问题，未保存任何数据",
        "fields": {"file": ["第 2 行 其中区外到位资金（万元）: 区外到位资金不能大于本月到位资金"]},
        "errors": [
            {
                "row": 2,
                "field": "其中区外到位资金（万元）",
                "message": "区外到位资金不能大于本月到位资金",
                "text": "第 2 行 其中区外到位资金（万元）: 区外到位资金不能大于本月到位资金",
            }
        ],
    }
    good = io.BytesIO(xlsx(FUNDS_HEADERS, [["F-1", "2026-02", 3, 2, ""]]))
    good.name = "good.xlsx"
    resp = api_client.post("/api/v1/investment/import/funds/", {"file": good}, format="multipart")
    assert (resp.status_code, resp.json()) == (200, {"created": 1, "updated": 0, "unchanged": 0})
    resp = api_client.post("/api/v1/investment/import/other/", {"file": good}, format="multipart")
    assert resp.status_code == 404
