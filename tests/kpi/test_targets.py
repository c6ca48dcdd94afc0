"""The ten seed projects as data; every measurable indicator mapped to a metric; Excel round trip."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.core.metrics import get_metric
from qinqing.kpi import demo, documents, services
from qinqing.kpi.metrics import CATALOGUE
from qinqing.kpi.models import BudgetProject, Indicator
from qinqing.orgs.models import Unit
from tests.factories import unit

W = Decimal


def test_seed_loads_the_ten_projects_once(tree: None) -> None:
    assert services.load_seed() == 10
    assert services.load_seed() == 0
    projects = BudgetProject.objects.order_by("code")
    assert projects.count() == 10
    assert Indicator.objects.count() == 108
    platform = BudgetProject.objects.get(code="2021-cj-platform")
    assert (platform.year, platform.name, platform.funds_total_wan) == (
        2021,
        "昌吉州营商环境管理系统开发",
        W(30),
    )
    assert platform.measure_unit.name == "昌吉回族自治州"  # the lead office measures the prefecture
    rows = {i.name: i for i in platform.indicators.all()}
    r = rows["企业困难诉求办理完成率"]
    assert (r.operator, r.target_value, r.value_unit, r.metric, r.source) == (
        "ge",
        W(90),
        "%",
        "demands.completion_rate",
        "metric",
    )
    assert rows["系统故障率"].operator == "le" and rows["系统故障率"].metric == "ops.fault_rate"
    assert rows["优化昌吉州营商环境"].source == "judged"
    # Points: 产出 50 over 11 rows, 效益 30 over 2, 满意度 10 → 90 with the execution rate's 10.
    assert sum(i.points for i in platform.indicators.all()) == W(90)
    for p in projects:
        assert sum(i.points for i in p.indicators.all()) == W(90), p.code
    mini = BudgetProject.objects.get(code="2022-ur-miniprogram")
    assert {i.metric for i in mini.indicators.all()} >= {
        "ops.miniprogram_fault_rate",
        "ops.miniprogram_response_hours",
        "portal.docking_talks",
    }


def test_every_mapped_metric_is_known(tree: None) -> None:
    services.load_seed()
    names = set(Indicator.objects.exclude(metric="").values_list("metric", flat=True))
    assert len(names) == 37
    for name in names:
        assert name in CATALOGUE, name
        get_metric(name)  # registered or declared unavailable, never missing


def test_demo_adds_current_year_editions_idempotently(tree: None) -> None:
    first = demo.load()
    assert first == 20 + 6  # ten seed projects, ten current editions, three incidents, three requests
    assert demo.load() == 0
    assert BudgetProject.objects.count() == 20


@pytest.fixture
def dispatcher(make_user: Callable[..., User]) -> User:
    return make_user("zhou_kpi", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER])


def test_excel_round_trip(tree: None, dispatcher: User) -> None:
    services.load_seed()
    projects = list(BudgetProject.objects.filter(year=2021).order_by("ordering", "id"))
    content = documents.targets_workbook(projects)
    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "项目支出绩效目标表"
    assert [c.value for c in ws[8]][:4] == [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值（包含数字及文字描述）",
    ]
    units = {u.name: u for u in Unit.objects.subtree(unit("昌吉回族自治州"))}
    data = documents.parse_targets_workbook(content, units)
    assert [d.code for d in data] == [p.code for p in projects]
    # Change a target in the sheet and import: the project is replaced, the self-evaluation entries kept.
    ind = Indicator.objects.get(project__code="2021-cj-platform", name="验收合格率")
    ind.manual_value = W(100)
    ind.save()
    ws = wb[wb.sheetnames[0]]
    for row in ws.iter_rows(min_row=9):
        if row[2].value == "营商环境管理系统使用单位（个数）":
            row[5].value = 250
    out = io.BytesIO()
    wb.save(out)
    services.import_projects(
        dispatcher, documents.parse_targets_workbook(out.getvalue(), units), filename="t.xlsx"
    )
    assert Indicator.objects.get(
        project__code="2021-cj-platform", name="营商环境管理系统使用单位（个数）"
    ).target_value == W(250)
    assert Indicator.objects.get(project__code="2021-cj-platform", name="验收合格率").manual_value == W(100)
    assert BudgetProject.objects.count() == 10


def test_import_errors_name_sheet_and_row_and_import_nothing(tree: None, dispatcher: User) -> None:
    services.load_seed()
    content = documents.targets_workbook(list(BudgetProject.objects.filter(code="2021-cj-platform")))
    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    ws["E9"] = "约"
    ws["F10"] = "二十"
    ws["B3"] = "不存在的单位"
    out = io.BytesIO()
    wb.save(out)
    units = {u.name: u for u in Unit.objects.subtree(unit("昌吉回族自治州"))}
    with pytest.raises(documents.WorkbookError) as err:
        documents.parse_targets_workbook(out.getvalue(), units)
    sheet = ws.title
    assert err.value.errors == [
        f"工作表“{sheet}”第 3 行：预算单位“不存在的单位”不存在或不在您的管辖范围内",
        f"工作表“{sheet}”第 9 行：比较应为 ≥、≤、= 或 定性",
        f"工作表“{sheet}”第 10 行：“二十”不是数字",
    ]
    with pytest.raises(documents.WorkbookError) as err:
        documents.parse_targets_workbook(b"not a workbook", units)
    assert err.value.errors == ["文件不是有效的 Excel（.xlsx）文件，请用 Excel 或 WPS 另存为 .xlsx"]


def test_import_rejects_a_bad_indicator_whole(tree: None, dispatcher: User) -> None:
    services.load_seed()
    data = services.seed_data()[:2]
    data[1].indicators[0].operator = "ge"
    data[1].indicators[0].target_value = None
    before = BudgetProject.objects.get(code=data[0].code).version
    with pytest.raises(ValidationError) as err:
        services.import_projects(dispatcher, data)
    assert "第 1 个指标（调查县市、园区社会满意度（个数））：定量指标须填写年度指标值" in str(err.value)
    assert BudgetProject.objects.get(code=data[0].code).version == before  # nothing half-written


def test_formula_cells_are_neutralised() -> None:
    assert documents.safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert documents.safe("-1") == "-1"  # a plain number is no formula (core.spreadsheets.HARMLESS)
    assert documents.safe("-1+cmd|' /C calc'!A0") == "'-1+cmd|' /C calc'!A0"
    assert documents.safe("正常") == "正常"


def test_targets_workbook_without_projects_has_one_sheet_saying_so() -> None:

    wb = load_workbook(io.BytesIO(documents.targets_workbook([])))
    assert wb.sheetnames == ["绩效目标"]
    assert [c.value for c in wb["绩效目标"]["A"]] == ["项目支出绩效目标表", "本年度没有可导出的项目"]
