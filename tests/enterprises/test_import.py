"""Import from .xlsx / .csv: validate everything first, save all or nothing, update by credit code."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.enterprises import services
from qinqing.enterprises.importing import HEADERS
from qinqing.enterprises.models import Contact, Enterprise
from tests.factories import ContactFactory, EnterpriseFactory, credit_code, unit

pytestmark = pytest.mark.django_db

CODE_A = "91652301MA775LWQ1R"
CODE_B = "91350100M000100Y43"
CODE_C = credit_code("652301")

GOOD_ROWS = [
    # 企业名称, 代码, 法定代表人, 门类, 大类, 规模, 所有制, 属地单位, 地址, 联系人, 职务, 手机, 状态
    ["昌吉瑞丰粮油有限公司", CODE_A, "王伟", "C", "13", "小型", "民营", "昌吉市", "昌吉市建设路1号",
     "李四", "总经理", "13812341234", "存续"],
    ["新疆恒泰物流有限公司", "9135 0100 m000100y43", "", "G 交通运输、仓储和邮政业", "54 道路运输业", "中型",
     "国有", "652301", "", "", "", "", ""],
    ["昌吉天池乳业有限公司", CODE_C, "张三", "", "14", "微型", "外资", "六工镇", "六工镇1号",
     "赵六", "", "139 0000 1111", "停业"],
]  # fmt: skip


def xlsx(rows: list[list[Any]], headers: tuple[str, ...] | list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str) -> bytes:
    lines = [",".join(HEADERS)] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_good_xlsx_saves_every_row(county_dispatcher: Any) -> None:
    result = services.import_enterprises(county_dispatcher, "企业.xlsx", xlsx(GOOD_ROWS))
    assert result.errors == []
    assert result.counts() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "contacts_created": 2,
        "contacts_updated": 0,
    }
    a = Enterprise.objects.get(credit_code=CODE_A)
    assert (a.name, a.industry_section, a.industry_division, a.scale, a.ownership, a.status) == (
        "昌吉瑞丰粮油有限公司", "C", "13", "small", "private", "operating",
    )  # fmt: skip
    assert a.registered_unit.name == "昌吉市"
    b = Enterprise.objects.get(credit_code=CODE_B)  # normalised from "9135 0100 m000100y43"
    assert (b.industry_section, b.industry_division, b.ownership, b.registered_unit.name) == (
        "G", "54", "state", "昌吉市",
    )  # fmt: skip
    c = Enterprise.objects.get(credit_code=CODE_C)
    assert (c.industry_section, c.registered_unit.name, c.status) == ("C", "六工镇", "suspended")
    assert list(Contact.objects.order_by("name").values_list("enterprise__credit_code", "name", "mobile", "is_primary")) == [
        (CODE_A, "李四", "13812341234", True),
        (CODE_C, "赵六", "13900001111", True),
    ]  # fmt: skip
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.result == "success"
    assert event.changes == {
        "file": "企业.xlsx",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "contacts_created": 2,
        "contacts_updated": 0,
    }
    assert AuditEvent.objects.count() == 1  # one IMPORT event, not one per row


def test_bad_file_saves_nothing_and_reports_every_problem(county_dispatcher: Any) -> None:
    rows = [
        GOOD_ROWS[0],  # row 2: fine
        ["坏校验码公司", "91350100M000100Y44", "", "C", "", "小型", "民营", "昌吉市"] + [""] * 5,  # row 3
        ["", "91652301MA775LWQ1S", "", "X", "", "特大型", "民营", "玛纳斯县"] + [""] * 5,  # row 4
        [],  # row 5: blank, skipped
        ["重复公司", "91652301ma775lwq1r", "", "C", "", "小型", "民营", "昌吉市"] + [""] * 5,  # row 6
        ["手机号错误公司", CODE_C, "", "A", "13", "小型", "私营", "不存在的县", "", "钱七", "", "12345", ""],  # row 7
        ["部门公司", credit_code("652301"), "", "C", "", "小型", "民营", "昌吉市市场监督管理局",
         "", "", "经理", "", ""],  # row 8
    ]  # fmt: skip
    result = services.import_enterprises(county_dispatcher, "bad.xlsx", xlsx(rows))
    assert [str(e) for e in result.errors] == [
        "第 3 行 统一社会信用代码: 第18位校验码应为 3",
        "第 4 行 企业名称: 不能为空",
        "第 4 行 统一社会信用代码: 第18位字符“S”不合法（不使用 I、O、S、V、Z）",
        "第 4 行 行业门类: “X”不是国民经济行业分类（GB/T 4754-2017）的门类，应为 A–T",
        "第 4 行 企业规模: “特大型”无效，应为 大型、中型、小型、微型 之一",
        "第 4 行 属地单位: 该单位不在您的数据范围内",
        "第 6 行 统一社会信用代码: 与第 2 行重复",
        "第 7 行 行业大类: 大类 13 不属于门类 A",
        "第 7 行 所有制: “私营”无效，应为 国有、民营、外资、港澳台、其他 之一",
        "第 7 行 属地单位: 找不到单位“不存在的县”",
        "第 7 行 联系人手机: “12345”不是有效手机号，应为以1开头的11位数字",
        "第 8 行 属地单位: 属地单位应为地区、县市区、园区或乡镇街道，不能是部门",
        "第 8 行 联系人: 填写了联系人职务或手机时，联系人姓名不能为空",
    ]
    assert not Enterprise.objects.exists()
    assert not Contact.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (event.result, event.changes) == ("failure", {"file": "bad.xlsx", "errors": 13})


def test_reimport_updates_by_normalised_code_instead_of_duplicating(county_dispatcher: Any) -> None:
    services.import_enterprises(county_dispatcher, "first.xlsx", xlsx(GOOD_ROWS))
    second = [
        ["昌吉瑞丰粮油股份有限公司", CODE_A.lower(), "", "C", "13", "中型", "民营", "昌吉市", "",
         "李四", "董事长", "", ""],  # renamed, bigger; blank cells keep stored values
        GOOD_ROWS[1],  # unchanged
        ["新登记公司", credit_code("652301"), "", "F", "51", "微型", "民营", "昌吉市", "", "", "", "", ""],
    ]  # fmt: skip
    result = services.import_enterprises(county_dispatcher, "second.xlsx", xlsx(second))
    assert result.counts() == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "contacts_created": 0,
        "contacts_updated": 1,
    }
    assert Enterprise.objects.count() == 4
    a = Enterprise.objects.get(credit_code=CODE_A)
    assert (a.name, a.scale, a.legal_representative, a.address) == (
        "昌吉瑞丰粮油股份有限公司", "medium", "王伟", "昌吉市建设路1号",
    )  # fmt: skip
    contact = Contact.objects.get(enterprise=a)
    assert (contact.name, contact.title, contact.mobile) == ("李四", "董事长", "13812341234")


def test_reimport_adds_a_second_contact_as_non_primary(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory(credit_code=CODE_A)
    ContactFactory(enterprise=enterprise, name="甲")
    row = [
        "昌吉瑞丰粮油有限公司",
        CODE_A,
        "",
        "C",
        "13",
        "小型",
        "民营",
        "昌吉市",
        "",
        "乙",
        "",
        "13700001111",
        "",
    ]
    result = services.import_enterprises(county_dispatcher, "x.xlsx", xlsx([row]))
    assert result.contacts_created == 1
    assert list(enterprise.contacts.values_list("name", "is_primary")) == [("甲", True), ("乙", False)]


def test_an_existing_code_outside_the_scope_is_an_error(county_dispatcher: Any) -> None:
    EnterpriseFactory(credit_code=CODE_A, registered_unit=unit("玛纳斯县"), name="玛纳斯企业")
    result = services.import_enterprises(county_dispatcher, "x.xlsx", xlsx([GOOD_ROWS[0]]))
    assert [str(e) for e in result.errors] == [
        "第 2 行 统一社会信用代码: 该企业登记在您的数据范围以外，无权更新"
    ]
    assert Enterprise.objects.get(credit_code=CODE_A).name == "玛纳斯企业"


def test_csv_in_gbk(county_dispatcher: Any) -> None:
    result = services.import_enterprises(county_dispatcher, "企业.csv", csv_bytes(GOOD_ROWS, "gbk"))
    assert result.errors == []
    assert result.created == 3
    assert Enterprise.objects.get(credit_code=CODE_A).name == "昌吉瑞丰粮油有限公司"


def test_csv_in_utf8_with_bom(county_dispatcher: Any) -> None:
    result = services.import_enterprises(county_dispatcher, "企业.csv", csv_bytes(GOOD_ROWS, "utf-8-sig"))
    assert (result.errors, result.created) == ([], 3)
    assert Contact.objects.get(name="李四").mobile == "13812341234"


def test_headers_are_checked(county_dispatcher: Any) -> None:
    headers = [h for h in HEADERS if h != "企业规模"] + ["备注"]
    result = services.import_enterprises(county_dispatcher, "x.xlsx", xlsx([], headers))
    assert [str(e) for e in result.errors] == [
        "第 1 行 表头: 无法识别的列“备注”",
        "第 1 行 表头: 缺少列“企业规模”",
    ]


def test_unreadable_and_unsupported_files(county_dispatcher: Any) -> None:
    assert [
        str(e) for e in services.import_enterprises(county_dispatcher, "x.xlsx", b"not a zip").errors
    ] == ["第 1 行 文件: 文件不是有效的 Excel（.xlsx）文件，请用 Excel 或 WPS 另存为 .xlsx"]
    assert [str(e) for e in services.import_enterprises(county_dispatcher, "x.xls", b"").errors] == [
        "第 1 行 文件: 仅支持 .xlsx 或 .csv 文件"
    ]
    assert [str(e) for e in services.import_enterprises(county_dispatcher, "x.xlsx", xlsx([])).errors] == [
        "第 1 行 文件: 没有企业数据"
    ]


def test_import_needs_the_capability(county_handler: Any) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_enterprises(county_handler, "x.xlsx", xlsx(GOOD_ROWS))
    assert not Enterprise.objects.exists()


# --- page and API --------------------------------------------------------------------------------
def test_import_page_shows_the_error_report(county_dispatcher: Any) -> None:
    client = Client()
    client.force_login(county_dispatcher)
    bad = [["坏校验码公司", "91350100M000100Y44", "", "C", "", "小型", "民营", "昌吉市"] + [""] * 5]
    response = client.post(reverse("enterprises:import"), {"file": SimpleUploadedFile("bad.xlsx", xlsx(bad))})
    assert response.status_code == 400
    html = response.content.decode()
    assert "文件有 1 处问题，未保存任何数据" in html
    assert "第 3 行 统一社会信用代码: 第18位校验码应为 3" not in html
    assert "第 2 行 统一社会信用代码: 第18位校验码应为 3" in html


def test_import_page_success_redirects_with_counts(county_dispatcher: Any) -> None:
    client = Client()
    client.force_login(county_dispatcher)
    response = client.post(
        reverse("enterprises:import"), {"file": SimpleUploadedFile("good.xlsx", xlsx(GOOD_ROWS))}, follow=True
    )
    assert response.redirect_chain == [(reverse("enterprises:import"), 302)]
    assert (
        "导入完成：新增 3 家，更新 0 家，未变 0 家；联系人新增 2 人，更新 0 人" in response.content.decode()
    )


def test_import_page_refuses_other_file_types(county_dispatcher: Any) -> None:
    client = Client()
    client.force_login(county_dispatcher)
    response = client.post(reverse("enterprises:import"), {"file": SimpleUploadedFile("a.txt", b"x")})
    assert "仅支持 .xlsx 或 .csv 文件" in response.content.decode()


def test_template_download(county_dispatcher: Any) -> None:
    client = Client()
    client.force_login(county_dispatcher)
    response = client.get(reverse("enterprises:import-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["企业", "填写说明", "代码表"]
    assert [c.value for c in workbook["企业"][1]] == list(HEADERS)
    units = {row[6] for row in workbook["代码表"].iter_rows(min_row=2, values_only=True)}
    assert {"昌吉市", "六工镇"} <= units
    assert "玛纳斯县" not in units
    assert "昌吉市市场监督管理局" not in units


def test_template_then_import_round_trip(county_dispatcher: Any) -> None:
    client = Client()
    client.force_login(county_dispatcher)
    workbook = load_workbook(io.BytesIO(client.get(reverse("enterprises:import-template")).content))
    workbook["企业"].append(GOOD_ROWS[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = services.import_enterprises(county_dispatcher, "filled.xlsx", buffer.getvalue())
    assert (result.errors, result.created) == ([], 1)


def test_api_import_returns_row_errors_as_json(county_dispatcher: Any) -> None:
    client = APIClient()
    client.force_authenticate(county_dispatcher)
    bad = [GOOD_ROWS[0], ["", "91350100M000100Y44", "", "C", "", "小型", "民营", "昌吉市"] + [""] * 5]
    response = client.post(
        reverse("api:enterprise-import-file"),
        {"file": SimpleUploadedFile("bad.xlsx", xlsx(bad))},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "import_invalid",
        "detail": "文件有 2 处问题，未保存任何数据",
        "fields": {"file": ["第 3 行 企业名称: 不能为空", "第 3 行 统一社会信用代码: 第18位校验码应为 3"]},
        "errors": [
            {"row": 3, "field": "企业名称", "message": "不能为空", "text": "第 3 行 企业名称: 不能为空"},
            {
                "row": 3,
                "field": "统一社会信用代码",
                "message": "第18位校验码应为 3",
                "text": "第 3 行 统一社会信用代码: 第18位校验码应为 3",
            },
        ],
    }
    assert not Enterprise.objects.exists()


def test_api_import_success(county_dispatcher: Any) -> None:
    client = APIClient()
    client.force_authenticate(county_dispatcher)
    response = client.post(
        reverse("api:enterprise-import-file"),
        {"file": SimpleUploadedFile("企业.csv", csv_bytes(GOOD_ROWS, "gbk"))},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "contacts_created": 2,
        "contacts_updated": 0,
    }


def test_api_import_needs_the_capability(county_handler: Any) -> None:
    client = APIClient()
    client.force_authenticate(county_handler)
    response = client.post(
        reverse("api:enterprise-import-file"),
        {"file": SimpleUploadedFile("a.xlsx", xlsx(GOOD_ROWS))},
        format="multipart",
    )
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "无权执行此操作"}
