"""Reading and validating an enterprise import file (.xlsx or .csv with Chinese headers).

``plan()`` reads the whole file and validates every row before anything is written; the service
(``services.import_enterprises``) saves a clean plan in one transaction. Row numbers are spreadsheet
row numbers: the header is row 1, the first enterprise row 2.

On update (a row whose normalised credit code is already registered), a blank optional cell leaves the
stored value unchanged.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from qinqing.core import uploads
from qinqing.core.spreadsheets import SpreadsheetError, open_xlsx, unquote
from qinqing.enterprises import creditcode
from qinqing.enterprises.industries import DIVISIONS, SECTIONS, section_of
from qinqing.enterprises.models import (
    Contact,
    Enterprise,
    EnterpriseStatus,
    Ownership,
    Scale,
    normalize_mobile,
)
from qinqing.enterprises.queries import scope_units
from qinqing.orgs.models import Unit, UnitKind

# header -> model field (contact columns map to "contact_*")
COLUMNS: dict[str, str] = {
    "企业名称": "name",
    "统一社会信用代码": "credit_code",
    "法定代表人": "legal_representative",
    "行业门类": "industry_section",
    "行业大类": "industry_division",
    "企业规模": "scale",
    "所有制": "ownership",
    "属地单位": "registered_unit",
    "地址": "address",
    "联系人": "contact_name",
    "联系人职务": "contact_title",
    "联系人手机": "contact_mobile",
    "状态": "status",
}
HEADERS = tuple(COLUMNS)
REQUIRED_HEADERS = ("企业名称", "统一社会信用代码", "行业门类", "企业规模", "所有制", "属地单位")
IGNORED_HEADERS = frozenset({"序号"})
MAX_ROWS = 5000
LENGTHS = {"企业名称": 200, "法定代表人": 50, "地址": 200, "联系人": 50, "联系人职务": 50}
HEADER_ROW = 1


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.field}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message, "text": str(self)}


@dataclass
class PlannedRow:
    row: int
    credit_code: str
    fields: dict[str, Any]
    contact: dict[str, str] | None


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)
    existing: dict[str, Enterprise] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "contacts_created": self.contacts_created,
            "contacts_updated": self.contacts_updated,
        }


class FileError(Exception):
    """The file as a whole cannot be read."""


# --- reading -------------------------------------------------------------------------------------
def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return unquote(unicodedata.normalize("NFKC", str(value)).strip())


def read_table(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) for every row of the first sheet / the CSV file."""
    name = filename.lower()
    refusal = uploads.disguised(filename, content)
    if refusal:
        raise FileError(refusal)
    if name.endswith(".xlsx"):
        return _read_xlsx(content)
    if name.endswith(".csv"):
        return _read_csv(content)
    raise FileError("仅支持 .xlsx 或 .csv 文件")


def _read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        workbook = open_xlsx(content)  # refuses zip bombs and non-zip files before openpyxl inflates
    except SpreadsheetError as exc:
        raise FileError(str(exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        return [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    except Exception as exc:  # a malformed sheet part fails while streaming, not at open
        raise FileError("无法读取 Excel 文件，请使用模板另存为 .xlsx") from exc
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # a superset of GBK, as saved by Excel on Chinese Windows
        except UnicodeDecodeError as exc:
            raise FileError("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV") from exc
    if "\x00" in text:
        raise FileError("文件包含空字符（NUL），不是文本 CSV 文件，请用 Excel 另存为 CSV 或 .xlsx")
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(number, [_cell_text(v) for v in values]) for number, values in enumerate(reader, start=1)]


# --- validating ----------------------------------------------------------------------------------
def _clean_header(text: str) -> str:
    return "".join(text.split()).strip("*＊")


def _choice(value: str, choices: list[tuple[str, str]]) -> str | None:
    for code, label in choices:
        if value in (code, label):
            return code
    return None


class _UnitLookup:
    def __init__(self, actor: Any) -> None:
        self.units = list(scope_units(actor))
        self.by_name = {u.name: u for u in self.units}
        self.by_code = {u.division_code: u for u in self.units if u.division_code}
        self.by_short: dict[str, list[Unit]] = {}
        for u in self.units:
            if u.short_name:
                self.by_short.setdefault(u.short_name, []).append(u)
        self.ids = {u.pk for u in self.units}

    def find(self, text: str) -> tuple[Unit | None, str | None]:
        unit = self.by_name.get(text) or self.by_code.get(text)
        if unit is None:
            matches = self.by_short.get(text, [])
            if len(matches) > 1:
                return None, f"简称“{text}”对应多个单位，请填写全称"
            unit = matches[0] if matches else None
        if unit is None:
            exists = Unit.objects.filter(Q(name=text) | Q(short_name=text) | Q(division_code=text)).exists()
            return None, ("该单位不在您的数据范围内" if exists else f"找不到单位“{text}”")
        if unit.kind == UnitKind.DEPARTMENT:
            return None, "属地单位应为地区、县市区、园区或乡镇街道，不能是部门"
        if not unit.is_active:
            return None, "该单位已停用"
        return unit, None


def _parse_row(
    number: int, cells: dict[str, str], units: _UnitLookup, errors: list[RowError]
) -> PlannedRow | None:
    def err(header: str, message: str) -> None:
        errors.append(RowError(number, header, message))

    start = len(errors)
    fields: dict[str, Any] = {}
    for header, limit in LENGTHS.items():
        if len(cells.get(header, "")) > limit:
            err(header, f"不能超过{limit}个字")

    name = cells.get("企业名称", "")
    if not name:
        err("企业名称", "不能为空")
    else:
        fields["name"] = name

    result = creditcode.check(cells.get("统一社会信用代码", ""))
    if not result.ok:
        err("统一社会信用代码", result.error or "")

    division = cells.get("行业大类", "")
    section_text = cells.get("行业门类", "")
    section: str | None = None
    if section_text:
        section = _section(section_text)
        if section is None:
            err("行业门类", f"“{section_text}”不是国民经济行业分类（GB/T 4754-2017）的门类，应为 A–T")
    if division:
        code = _division(division)
        if code is None:
            err("行业大类", f"“{division}”不是国民经济行业分类（GB/T 4754-2017）的大类（两位数字）")
        else:
            fields["industry_division"] = code
            if section is None and not section_text:
                section = section_of(code)
            elif section is not None and section_of(code) != section:
                err("行业大类", f"大类 {code} 不属于门类 {section}")
    elif not section_text:
        err("行业门类", "不能为空")
    if section is not None:
        fields["industry_section"] = section

    for header, key, choices in (
        ("企业规模", "scale", Scale.choices),
        ("所有制", "ownership", Ownership.choices),
        ("状态", "status", EnterpriseStatus.choices),
    ):
        text = cells.get(header, "")
        if not text:
            if header != "状态":
                err(header, "不能为空")
            continue
        value = _choice(text, choices)
        if value is None:
            err(header, f"“{text}”无效，应为 {'、'.join(label for _, label in choices)} 之一")
        else:
            fields[key] = value

    unit_text = cells.get("属地单位", "")
    if not unit_text:
        err("属地单位", "不能为空")
    else:
        unit, problem = units.find(unit_text)
        if problem:
            err("属地单位", problem)
        else:
            fields["registered_unit"] = unit

    for header, key in (("法定代表人", "legal_representative"), ("地址", "address")):
        if cells.get(header):
            fields[key] = cells[header]

    contact = _parse_contact(cells, err)
    if len(errors) > start:
        return None
    return PlannedRow(number, result.code, fields, contact)


def _parse_contact(cells: dict[str, str], err: Any) -> dict[str, str] | None:
    name, title, raw_mobile = (
        cells.get("联系人", ""),
        cells.get("联系人职务", ""),
        cells.get("联系人手机", ""),
    )
    if not (name or title or raw_mobile):
        return None
    if not name:
        err("联系人", "填写了联系人职务或手机时，联系人姓名不能为空")
        return None
    contact = {"name": name}
    if title:
        contact["title"] = title
    if raw_mobile:
        mobile = normalize_mobile(raw_mobile)
        try:
            Contact(name=name, mobile=mobile).clean()
        except ValidationError:
            err("联系人手机", f"“{raw_mobile}”不是有效手机号，应为以1开头的11位数字")
            return None
        contact["mobile"] = mobile
    return contact


def _section(text: str) -> str | None:
    head = text.split()[0].upper() if text.split() else ""
    if head in SECTIONS:
        return head
    for code, name in SECTIONS.items():
        if text == name:
            return code
    return None


def _division(text: str) -> str | None:
    head = text.split()[0] if text.split() else ""
    if head.isdigit() and len(head) <= 2 and head.zfill(2) in DIVISIONS:
        return head.zfill(2)
    for code, (_, name) in DIVISIONS.items():
        if text == name:
            return code
    return None


def _model_errors(row: PlannedRow, base: Enterprise | None, errors: list[RowError]) -> None:
    """The model's own validation (lengths, choices, clean()) on a copy, as a safety net."""
    candidate = copy.copy(base) if base is not None else Enterprise()
    candidate.credit_code = row.credit_code
    for key, value in row.fields.items():
        setattr(candidate, key, value)
    try:
        candidate.full_clean(validate_unique=False)
    except ValidationError as exc:
        labels = {f.name: str(f.verbose_name) for f in Enterprise._meta.fields}
        for name, messages in exc.message_dict.items():
            for message in messages:
                errors.append(RowError(row.row, labels.get(name, "企业"), message))


def plan(actor: Any, filename: str, content: bytes) -> Plan:
    """Read and validate the whole file; nothing is written."""
    result = Plan()
    try:
        table = read_table(filename, content)
    except FileError as exc:
        result.errors.append(RowError(HEADER_ROW, "文件", str(exc)))
        return result
    if not table or not any(table[0][1]):
        result.errors.append(RowError(HEADER_ROW, "表头", "文件为空，第 1 行应为表头"))
        return result
    _, header_cells = table[0]
    headers = [_clean_header(h) for h in header_cells]
    for header in headers:
        if header and header not in COLUMNS and header not in IGNORED_HEADERS:
            result.errors.append(RowError(HEADER_ROW, "表头", f"无法识别的列“{header}”"))
    for required in REQUIRED_HEADERS:
        if required not in headers:
            result.errors.append(RowError(HEADER_ROW, "表头", f"缺少列“{required}”"))
    duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
    for header in duplicated:
        result.errors.append(RowError(HEADER_ROW, "表头", f"列“{header}”重复"))
    if result.errors:
        return result

    body = [(n, cells) for n, cells in table[1:] if any(cells)]
    if not body:
        result.errors.append(RowError(HEADER_ROW, "文件", "没有企业数据"))
        return result
    if len(body) > MAX_ROWS:
        result.errors.append(
            RowError(HEADER_ROW, "文件", f"一次最多导入 {MAX_ROWS} 行，本文件有 {len(body)} 行")
        )
        return result

    units = _UnitLookup(actor)
    first_row_of: dict[str, int] = {}
    for number, cells in body:
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h in COLUMNS}
        planned = _parse_row(number, values, units, result.errors)
        if planned is None:
            continue
        if planned.credit_code in first_row_of:
            result.errors.append(
                RowError(number, "统一社会信用代码", f"与第 {first_row_of[planned.credit_code]} 行重复")
            )
            continue
        first_row_of[planned.credit_code] = number
        result.rows.append(planned)

    codes = [r.credit_code for r in result.rows]
    existing = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
    for row in result.rows:
        found = existing.get(row.credit_code)
        if found is not None and found.registered_unit_id not in units.ids:
            result.errors.append(
                RowError(row.row, "统一社会信用代码", "该企业登记在您的数据范围以外，无权更新")
            )
            continue
        _model_errors(row, found, result.errors)
    result.errors.sort(key=lambda e: e.row)
    result.existing = existing
    return result
