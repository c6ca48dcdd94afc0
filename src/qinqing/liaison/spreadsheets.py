"""The problem ledger (问题台账) as Excel, in the layout offices use: a merged title row, a merged
subtitle, a two-row grouped header, then one row per problem."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from qinqing.core.spreadsheets import workbook_bytes
from qinqing.liaison.queries import LedgerRow

# (group, [(column header, width)]); a group of one column with the same name spans both header rows.
GROUPS: list[tuple[str, list[tuple[str, int]]]] = [
    ("序号", [("序号", 6)]),
    ("走访情况", [("走访日期", 12), ("包联领导", 12), ("企业名称", 28)]),
    ("问题情况", [("问题", 36), ("诉求编号", 18), ("诉求分类", 16)]),
    ("办理情况", [("责任单位", 24), ("办理进度", 14), ("办理时限", 12), ("亮灯", 8)]),
    ("销号情况", [("是否销号", 10), ("销号时间", 12)]),
]
HEADERS = [name for _, cols in GROUPS for name, _ in cols]


def ledger_workbook(rows: Iterable[LedgerRow], title: str) -> bytes:
    rows = list(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    n = len(HEADERS)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.cell(1, 1, title).font = Font(size=16, bold=True)
    ws.cell(1, 1).alignment = center
    ws.row_dimensions[1].height = 30
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n)
    ws.cell(
        2, 1, f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}　共 {len(rows)} 个问题"
    ).alignment = Alignment(horizontal="right")
    col = 1
    for group, cols in GROUPS:
        if len(cols) == 1 and cols[0][0] == group:
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
            ws.cell(3, col, group)
        else:
            ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(cols) - 1)
            ws.cell(3, col, group)
            for i, (name, _) in enumerate(cols):
                ws.cell(4, col + i, name)
        for i, (_, width) in enumerate(cols):
            ws.column_dimensions[get_column_letter(col + i)].width = width
        col += len(cols)
    for r in (3, 4):
        for c in range(1, n + 1):
            cell = ws.cell(r, c)
            cell.font, cell.alignment, cell.fill, cell.border = Font(bold=True), center, fill, border
    for i, row in enumerate(rows, start=1):
        d = row.demand
        deadline = timezone.localtime(row.deadline).strftime("%Y-%m-%d") if row.deadline else ""
        struck = (
            timezone.localtime(d.closed_at).strftime("%Y-%m-%d") if row.struck_off and d.closed_at else ""
        )
        values = [
            i,
            row.visit.visited_on.strftime("%Y-%m-%d"),
            str(row.visit.leader),
            row.visit.enterprise.name,
            d.title,
            d.number,
            str(d.category),
            row.unit.name,
            row.progress,
            deadline,
            row.light_label,
            "是" if row.struck_off else "否",
            struck,
        ]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(4 + i, c, value)
            cell.border = border
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A5"
    return workbook_bytes(wb)
