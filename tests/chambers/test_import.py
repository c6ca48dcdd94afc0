"""The member roster import: all or nothing, one error per problem with its row, credit codes checked."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from qinqing.accounts.models import User
from qinqing.chambers import importing
from qinqing.chambers.models import Member, Organisation
from tests.chambers import builders

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header or list(importing.HEADERS))
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_clean_file_is_imported_and_a_second_run_updates(chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    codes = [builders.code() for _ in range(3)]
    data = xlsx([[f"会员{i}有限公司", c, "是" if i < 2 else "否", "2025-03-01"] for i, c in enumerate(codes)])
    result = importing.import_roster(user, org, "roster.xlsx", data)
    assert (result.ok, result.created, result.updated) == (True, 3, 0)
    assert Member.objects.filter(organisation=org, is_founder=True).count() == 2
    again = importing.import_roster(
        user, org, "roster.xlsx", xlsx([["会员零号科技有限公司", codes[0], "否", ""]])
    )
    assert (again.created, again.updated) == (0, 1)
    assert Member.objects.get(organisation=org, credit_code=codes[0]).name == "会员零号科技有限公司"


def test_any_bad_row_keeps_nothing(chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    good = builders.code()
    data = xlsx(
        [
            ["甲公司", good, "是", ""],
            ["", builders.code(), "否", ""],
            ["张三（个人）", "650102199001011234", "否", ""],
            ["乙公司", good, "是", ""],
            ["丙公司", builders.code(), "也许", "2025/13/01"],
        ]
    )
    result = importing.import_roster(user, org, "roster.xlsx", data)
    assert [str(e) for e in result.errors] == [
        "第 3 行 会员单位名称: 不能为空",
        "第 4 行 统一社会信用代码: 第18位校验码应为 " + result.errors[1].message[-1],
        "第 5 行 统一社会信用代码: 与第 2 行重复",
        "第 6 行 是否发起单位: 应填“是”或“否”",
        "第 6 行 入会日期: 日期格式应为 YYYY-MM-DD",
    ]
    assert Member.objects.filter(organisation=org).count() == 0


def test_missing_columns_and_bad_files(chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    result = importing.import_roster(user, org, "r.xlsx", xlsx([["甲公司"]], header=["会员单位名称"]))
    assert [str(e) for e in result.errors] == ["第 1 行 表头: 缺少必填列：统一社会信用代码"]
    result = importing.import_roster(user, org, "r.xlsx", b"not a workbook")
    assert [e.message for e in result.errors] == [
        "文件不是有效的 Excel（.xlsx）文件，请用 Excel 或 WPS 另存为 .xlsx"
    ]


def test_only_the_organisation_or_its_bureau_imports(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, _user = chamber
    other, other_user = builders.org_account(staff, name="乌鲁木齐河南商会", origin="河南省")
    with pytest.raises(PermissionDenied):
        importing.import_roster(other_user, org, "r.xlsx", xlsx([["甲公司", builders.code(), "是", ""]]))
    result = importing.import_roster(staff, org, "r.xlsx", xlsx([["甲公司", builders.code(), "是", ""]]))
    assert result.created == 1 and other.members.count() == 0


def test_the_template_example_row_is_never_imported(chamber: tuple[Organisation, User]) -> None:
    """The template's sample code is well-formed (so it shows the format) and its row is skipped."""
    from openpyxl import load_workbook

    from qinqing.enterprises import creditcode

    org, user = chamber
    template = importing.template()
    ws = load_workbook(io.BytesIO(template)).active
    assert ws is not None
    example = [c.value for c in ws[2]]
    assert example == ["示例：浙江某某实业有限公司", "91650100MA77CQ8J3R", "是", "2024-05-01"]
    assert creditcode.check(str(example[1])).ok
    untouched = importing.import_roster(user, org, "member-roster.xlsx", template)
    assert [(e.row, e.field, e.message) for e in untouched.errors] == [(0, "文件", "没有会员数据")]
    code = builders.code()
    filled = xlsx([example, ["新疆某某商贸有限公司", code, "否", "2025-01-02"]])
    result = importing.import_roster(user, org, "member-roster.xlsx", filled)
    assert (result.ok, result.created) == (True, 1)
    assert list(Member.objects.filter(organisation=org).values_list("name", "credit_code")) == [
        ("新疆某某商贸有限公司", code)
    ]
