"""Excel files: the import template and the export of the enterprise list (mobiles masked)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from qinqing.core.spreadsheets import workbook_bytes
from qinqing.enterprises.importing import HEADERS, REQUIRED_HEADERS
from qinqing.enterprises.industries import DIVISIONS, SECTIONS
from qinqing.enterprises.models import Enterprise, EnterpriseStatus, Ownership, Scale
from qinqing.orgs.models import Unit

EXPORT_HEADERS = (
    "企业名称",
    "统一社会信用代码",
    "法定代表人",
    "行业门类",
    "行业大类",
    "企业规模",
    "所有制",
    "属地单位",
    "地址",
    "联系人",
    "联系人职务",
    "联系人手机（已脱敏）",
    "状态",
)
WIDTHS = {"企业名称": 36, "统一社会信用代码": 22, "属地单位": 24, "地址": 36, "行业大类": 28}
TEMPLATE_NOTES = {
    "企业名称": "必填",
    "统一社会信用代码": "必填，18位（GB 32100-2015）；已登记的代码按该代码更新企业，不会重复新增",
    "法定代表人": "选填",
    "行业门类": "必填（填写行业大类时可留空），如 C 或 制造业",
    "行业大类": "选填，两位代码，如 13 或 农副食品加工业",
    "企业规模": "必填：" + "、".join(Scale.labels),
    "所有制": "必填：" + "、".join(Ownership.labels),
    "属地单位": "必填：您数据范围内的单位全称、简称或行政区划代码（不能是部门）",
    "地址": "选填",
    "联系人": "选填；同一企业同名联系人按姓名更新",
    "联系人职务": "选填",
    "联系人手机": "选填，以1开头的11位数字",
    "状态": "选填（默认存续）：" + "、".join(EnterpriseStatus.labels),
}


def _save(workbook: Workbook) -> bytes:
    return workbook_bytes(workbook)


def _header_row(sheet: Any, headers: Iterable[str]) -> None:
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = WIDTHS.get(header, 14)
    sheet.freeze_panes = "A2"


def template_workbook(units: Iterable[Unit]) -> bytes:
    """The import template: the header row, the rules per column, and the codes to use."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "企业"
    _header_row(sheet, HEADERS)
    for column in range(1, len(HEADERS) + 1):  # codes typed as text keep their leading zeros
        sheet.cell(row=2, column=column).number_format = "@"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "是否必填", "说明"])
    for header in HEADERS:
        notes.append([header, "必填" if header in REQUIRED_HEADERS else "选填", TEMPLATE_NOTES[header]])
    notes.append([])
    notes.append(["第 1 行为表头，请勿修改；从第 2 行起每行一家企业。任何一行有误时整个文件都不会保存。"])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 80
    codes = workbook.create_sheet("代码表")
    codes.append(["行业门类", "名称", "", "行业大类", "名称", "", "属地单位", "简称", "行政区划代码"])
    sections = list(SECTIONS.items())
    divisions = [(code, name) for code, (_, name) in DIVISIONS.items()]
    unit_rows = [(u.name, u.short_name, u.division_code) for u in units]
    for i in range(max(len(sections), len(divisions), len(unit_rows))):
        row: list[str] = []
        row += list(sections[i]) if i < len(sections) else ["", ""]
        row += [""]
        row += list(divisions[i]) if i < len(divisions) else ["", ""]
        row += [""]
        row += list(unit_rows[i]) if i < len(unit_rows) else ["", "", ""]
        codes.append(row)
    return _save(workbook)


def export_workbook(enterprises: Iterable[Enterprise]) -> bytes:
    """The enterprise list; each enterprise's primary contact with the mobile masked on the server."""
    from qinqing.enterprises.queries import primary_contact

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "企业名录"
    _header_row(sheet, EXPORT_HEADERS)
    for e in enterprises:
        contact = primary_contact(e)
        sheet.append(
            [
                e.name,
                e.credit_code,
                e.legal_representative,
                e.get_industry_section_display(),
                e.get_industry_division_display() if e.industry_division else "",
                e.get_scale_display(),
                e.get_ownership_display(),
                e.registered_unit.name,
                e.address,
                contact.name if contact else "",
                contact.title if contact else "",
                contact.masked_mobile if contact else "",
                e.get_status_display(),
            ]
        )
    return _save(workbook)
