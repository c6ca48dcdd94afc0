"""The monthly report to the region: an Excel workbook in a fixed layout and a printable PDF summary.

Both are built from the lines of *approved* monthly reports only (frozen at submission), so any past
month reproduces exactly.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.core.pdf import escape_markup
from qinqing.core.spreadsheets import workbook_bytes
from qinqing.investment import rules
from qinqing.investment.models import (
    REPORTING_KINDS,
    ZERO,
    Construction,
    IndustryCluster,
    MonthlyReport,
    ReportStatus,
)
from qinqing.investment.queries import approved_lines
from qinqing.orgs.models import Unit

COUNT_KEYS = (
    "in_exec",
    "in_exec_new",
    "in_exec_cont",
    "new_month",
    "new_ytd",
    "new_yi",
    "started",
    "produced",
)
MONEY_KEYS = ("signed", "funds_m", "funds_ytd", "out_m", "out_ytd")
HEADER_TOP = [
    ("A", "A", "序号"),
    ("B", "B", "单位"),
    ("C", "C", "产业集群"),
    ("D", "F", "落实执行项目（个）"),
    ("G", "I", "新签约项目（个）"),
    ("J", "J", "新签约计入投资（万元）"),
    ("K", "L", "本年新开工/投产（个）"),
    ("M", "N", "到位资金（万元）"),
    ("O", "Q", "其中：区外到位资金"),
]
HEADER_SUB = {
    "D": "合计",
    "E": "新建",
    "F": "续建",
    "G": "本月",
    "H": "本年累计",
    "I": "其中亿元以上",
    "K": "开工",
    "L": "投产",
    "M": "本月",
    "N": "本年累计",
    "O": "本月（万元）",
    "P": "本年累计（万元）",
    "Q": "本年累计（亿元）",
}
VALUE_COLUMNS = ["D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P"]
VALUE_KEYS = [
    "in_exec",
    "in_exec_new",
    "in_exec_cont",
    "new_month",
    "new_ytd",
    "new_yi",
    "signed",
    "started",
    "produced",
    "funds_m",
    "funds_ytd",
    "out_m",
    "out_ytd",
]


def figures(prefecture: Unit, month: dt.date) -> dict[str, Any]:
    """Per unit and cluster totals of the approved lines, plus which units have no approved report."""
    rows = (
        approved_lines(prefecture, month)
        .values("report__unit_id", "cluster_id")
        .annotate(
            in_exec=Count("pk", filter=Q(in_execution=True)),
            in_exec_new=Count("pk", filter=Q(in_execution=True, construction=Construction.NEW)),
            in_exec_cont=Count("pk", filter=Q(in_execution=True, construction=Construction.CONTINUING)),
            new_month=Count("pk", filter=Q(new_signing_month=True)),
            new_ytd=Count("pk", filter=Q(new_signing_ytd=True)),
            new_yi=Count("pk", filter=Q(yi_plus=True)),
            started=Count("pk", filter=Q(started_ytd=True)),
            produced=Count("pk", filter=Q(produced_ytd=True)),
            signed=Sum("signed_amount_wan"),
            funds_m=Sum("funds_month_wan"),
            funds_ytd=Sum("funds_ytd_wan"),
            out_m=Sum("outside_month_wan"),
            out_ytd=Sum("outside_ytd_wan"),
        )
    )
    units = list(Unit.objects.subtree(prefecture).filter(kind__in=REPORTING_KINDS).order_by("path"))
    approved = set(
        MonthlyReport.objects.filter(month=month, status=ReportStatus.APPROVED, unit__in=units).values_list(
            "unit_id", flat=True
        )
    )
    clusters = {c.pk: c for c in IndustryCluster.objects.all()}
    by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for k in MONEY_KEYS:
            row[k] = row[k] or ZERO
        cluster = clusters.get(row["cluster_id"])
        row["cluster"] = cluster.name if cluster else "其他"
        row["cluster_order"] = (cluster.scheme, cluster.ordering, cluster.pk) if cluster else ("z", 0, 0)
        by_unit[row["report__unit_id"]].append(row)
    for items in by_unit.values():
        items.sort(key=lambda r: r["cluster_order"])
    return {"units": units, "approved": approved, "by_unit": by_unit}


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {k: 0 for k in COUNT_KEYS}
    out.update({k: ZERO for k in MONEY_KEYS})
    for r in rows:
        for k in (*COUNT_KEYS, *MONEY_KEYS):
            out[k] += r[k]
    return out


def region_workbook(user: Any, prefecture: Unit, month: dt.date) -> bytes:
    data = figures(prefecture, month)
    wb = Workbook()
    ws = wb.active
    ws.title = "招商引资月报"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells("A1:Q1")
    ws["A1"] = f"{prefecture.name}招商引资项目统计月报"
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = center
    ws.merge_cells("A2:H2")
    ws["A2"] = f"填报单位：{prefecture.name}"
    ws.merge_cells("I2:Q2")
    ws["I2"] = f"统计期：{month.year}年1—{month.month}月"
    ws.merge_cells("A3:Q3")
    ws["A3"] = "金额单位：万元（区外到位资金累计另列亿元）；数据来源：已审核的县市、园区月报"
    for first, last, label in HEADER_TOP:
        ws.merge_cells(f"{first}4:{last}{4 if first != last else 5}")
        ws[f"{first}4"] = label
    for col, label in HEADER_SUB.items():
        ws[f"{col}5"] = label
    for row in ws.iter_rows(min_row=4, max_row=5, min_col=1, max_col=17):
        for cell in row:
            cell.alignment = center
            cell.font = Font(bold=True)
            cell.border = border
    r = 6
    grand: list[dict[str, Any]] = []
    seq = 0
    for unit in data["units"]:
        seq += 1
        rows = data["by_unit"].get(unit.pk, [])
        subtotal = _sum(rows)
        ws[f"A{r}"] = seq
        ws[f"B{r}"] = unit.name
        if unit.pk not in data["approved"]:
            ws[f"C{r}"] = "未审核"
            r += 1
            continue
        ws[f"C{r}"] = "小计"
        _write_values(ws, r, subtotal, bold=True)
        r += 1
        for row in rows:
            ws[f"B{r}"] = unit.name
            ws[f"C{r}"] = row["cluster"]
            _write_values(ws, r, row)
            r += 1
        grand.extend(rows)
    ws[f"A{r}"] = "合计"
    ws.merge_cells(f"A{r}:C{r}")
    _write_values(ws, r, _sum(grand), bold=True)
    for row in ws.iter_rows(min_row=6, max_row=r, min_col=1, max_col=17):
        for cell in row:
            cell.border = border
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 18
    ws.freeze_panes = "D6"
    record(
        AuditAction.EXPORT,
        actor=user,
        detail=f"导出招商月报 {rules.month_label(month)}",
        object_type="investment.report",
    )
    return workbook_bytes(wb)


def _write_values(ws: Any, r: int, values: dict[str, Any], bold: bool = False) -> None:
    for col, key in zip(VALUE_COLUMNS, VALUE_KEYS, strict=True):
        v = values[key]
        ws[f"{col}{r}"] = float(v) if isinstance(v, Decimal) else v
        if isinstance(v, Decimal):
            ws[f"{col}{r}"].number_format = "#,##0.00"
    ws[f"Q{r}"] = float(rules.wan_to_yi(values["out_ytd"]))
    ws[f"Q{r}"].number_format = "0.0000"
    if bold:
        for col in ("A", "B", "C", *VALUE_COLUMNS, "Q"):
            ws[f"{col}{r}"].font = Font(bold=True)


def region_pdf(user: Any, prefecture: Unit, month: dt.date) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    data = figures(prefecture, month)
    title = ParagraphStyle("t", fontName="STSong-Light", fontSize=15, leading=20)
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=9, leading=12)
    rows: list[list[str]] = [
        [
            "单位",
            "落实执行（个）",
            "本年新签约（个）",
            "亿元以上（个）",
            "本月到位（万元）",
            "本年到位（万元）",
            "区外累计（万元）",
            "区外累计（亿元）",
        ]
    ]
    grand: list[dict[str, Any]] = []
    for unit in data["units"]:
        if unit.pk not in data["approved"]:
            rows.append([unit.display_name, "未审核", "", "", "", "", "", ""])
            continue
        s = _sum(data["by_unit"].get(unit.pk, []))
        grand.extend(data["by_unit"].get(unit.pk, []))
        rows.append(_pdf_row(unit.display_name, s))
    rows.append(_pdf_row("合计", _sum(grand)))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), title=f"{prefecture.name}招商引资月报摘要")
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    doc.build(
        [
            Paragraph(
                f"{escape_markup(prefecture.name)}招商引资月报摘要（{month.year}年1—{month.month}月）", title
            ),
            Spacer(1, 8),
            Paragraph("数据来源：已审核的县市、园区月报；金额单位如表头所示。", body),
            Spacer(1, 8),
            table,
        ]
    )
    record(
        AuditAction.EXPORT,
        actor=user,
        detail=f"导出招商月报摘要PDF {rules.month_label(month)}",
        object_type="investment.report",
    )
    return buf.getvalue()


def _pdf_row(label: str, s: dict[str, Any]) -> list[str]:
    return [
        label,
        str(s["in_exec"]),
        str(s["new_ytd"]),
        str(s["new_yi"]),
        f"{s['funds_m']:,.2f}",
        f"{s['funds_ytd']:,.2f}",
        f"{s['out_ytd']:,.2f}",
        f"{rules.wan_to_yi(s['out_ytd'])}",
    ]
