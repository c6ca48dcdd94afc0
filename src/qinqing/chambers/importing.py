"""The member roster import (会员名册): .xlsx or .csv with Chinese headers, all or nothing.

Reuses the enterprises import's reading (``read_table``), its row errors and the credit-code check
(GB 32100-2015). Every row is validated before anything is written; one problem in one row keeps
nothing and reports every problem with its row number. A credit code already on the roster updates
that member (name, founder flag, joining date) instead of adding it twice.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from qinqing.audit.models import AuditAction, AuditResult
from qinqing.audit.services import record
from qinqing.chambers import rules
from qinqing.chambers.models import Member, Organisation
from qinqing.chambers.services import event, require_own, require_staff, side_of
from qinqing.core.spreadsheets import workbook_bytes
from qinqing.enterprises import creditcode
from qinqing.enterprises.importing import FileError, RowError, _clean_header, read_table

HEADERS = ("会员单位名称", "统一社会信用代码", "是否发起单位", "入会日期")
REQUIRED = ("会员单位名称", "统一社会信用代码")
MAX_ROWS = 5000
EXAMPLE_CODE = "91650100MA77CQ8J3R"
YES, NO = {"是", "Y", "YES", "TRUE", "1", "√"}, {"", "否", "N", "NO", "FALSE", "0"}


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(text: str) -> dt.date | None:
    text = text.strip()[:10].replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat(text) if text else None


EXAMPLE_PREFIX = "示例："


def _is_example(cells: list[str], name_col: int) -> bool:
    """The template's example row (its name starts with 示例：) is never imported, even when left in."""
    name = unicodedata.normalize("NFKC", cells[name_col]).strip() if name_col < len(cells) else ""
    return name.startswith(unicodedata.normalize("NFKC", EXAMPLE_PREFIX))


def plan(content: bytes, filename: str) -> tuple[list[dict[str, Any]], list[RowError]]:
    errors: list[RowError] = []
    try:
        table = read_table(filename, content)
    except FileError as exc:
        return [], [RowError(0, "文件", str(exc))]
    if not table:
        return [], [RowError(0, "文件", "文件为空")]
    header = [_clean_header(h) for h in table[0][1]]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        return [], [RowError(1, "表头", "缺少必填列：" + "、".join(missing))]
    col = {h: header.index(h) for h in HEADERS if h in header}
    name_col = col["会员单位名称"]
    body = [
        (n, cells)
        for n, cells in table[1:]
        if any(c.strip() for c in cells) and not _is_example(cells, name_col)
    ]
    if len(body) > MAX_ROWS:
        return [], [RowError(0, "文件", f"一次最多导入{MAX_ROWS}行")]
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, cells in body:

        def cell(h: str, cells: list[str] = cells) -> str:
            i = col.get(h)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        start = len(errors)
        name = cell("会员单位名称")
        if not name:
            errors.append(RowError(number, "会员单位名称", "不能为空"))
        elif len(name) > 200:
            errors.append(RowError(number, "会员单位名称", "不能超过200个字"))
        check = creditcode.check(cell("统一社会信用代码"))
        if not check.ok:
            # individuals cannot join: a chamber has unit members only
            errors.append(RowError(number, "统一社会信用代码", check.error or ""))
        elif check.code in seen:
            errors.append(RowError(number, "统一社会信用代码", f"与第 {seen[check.code]} 行重复"))
        else:
            seen[check.code] = number
        flag = cell("是否发起单位").upper()
        if flag not in YES and flag not in NO:
            errors.append(RowError(number, "是否发起单位", "应填“是”或“否”"))
        try:
            joined = _date(cell("入会日期"))
        except ValueError:
            errors.append(RowError(number, "入会日期", "日期格式应为 YYYY-MM-DD"))
            joined = None
        if len(errors) == start:
            rows.append(
                {"name": name, "credit_code": check.code, "is_founder": flag in YES, "joined_on": joined}
            )
    if not rows and not errors:
        errors.append(RowError(0, "文件", "没有会员数据"))
    return rows, errors


@transaction.atomic
def import_roster(user: Any, org: Organisation, filename: str, content: bytes) -> RosterResult:
    if side_of(user) == rules.ORG:
        require_own(user, org)
    else:
        require_staff(user, "chambers.manage", org)
    rows, errors = plan(content, filename)
    result = RosterResult(errors=errors)
    if errors:
        record(
            AuditAction.IMPORT,
            actor=user,
            obj=org,
            result=AuditResult.FAILURE,
            changes={"file": filename, "errors": len(errors)},
            detail=f"会员名册导入失败：{len(errors)} 处错误，未保存任何数据",
        )
        return result
    existing = {m.credit_code: m for m in Member.objects.filter(organisation=org)}
    new, changed = [], []
    for row in rows:
        member = existing.get(row["credit_code"])
        if member is None:
            new.append(Member(organisation=org, **row))
        else:
            for key, value in row.items():
                setattr(member, key, value)
            changed.append(member)
    Member.objects.bulk_create(new)
    if changed:
        Member.objects.bulk_update(changed, ["name", "is_founder", "joined_on"])
    result.created, result.updated = len(new), len(changed)
    event(user, org, "import_members", f"新增 {result.created}，更新 {result.updated}")
    record(
        AuditAction.IMPORT,
        actor=user,
        obj=org,
        changes={"file": filename, "created": result.created, "updated": result.updated},
    )
    return result


def template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "会员名册"
    ws.append(list(HEADERS))
    # a well-formed (fictional) code with its check character; the row is skipped on import
    ws.append([f"{EXAMPLE_PREFIX}浙江某某实业有限公司", EXAMPLE_CODE, "是", "2024-05-01"])
    for letter, width in zip("ABCD", (36, 24, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width
    return workbook_bytes(wb)
