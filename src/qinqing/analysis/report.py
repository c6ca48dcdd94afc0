"""营商环境诉求分析月报: the month's figures of a unit subtree as PDF (reportlab, CID font STSong-Light,
no font file) and Word (python-docx), with the same charts and tables.

The figures come from ``queries.dashboard`` (which is ``demands.stats.compute`` plus the breakdowns),
seen as the unit's own staff see them (``UnitViewer``), so the report agrees with the statistics page.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from qinqing.analysis.queries import Dashboard, Slice, dashboard, previous_period
from qinqing.core.pdf import escape_markup
from qinqing.core.word import word_text
from qinqing.demands.stats import METRIC_LABELS, compute
from qinqing.orgs.models import Unit

FONT = "STSong-Light"


@dataclass(frozen=True)
class UnitViewer:
    """Staff of UNIT as ``visible_to`` sees them: the scheduled job reports what the unit itself sees."""

    unit: Unit
    is_authenticated: bool = True
    is_active: bool = True
    enterprise_id: None = None

    @property
    def unit_id(self) -> int:
        return self.unit.pk

    @property
    def scope_unit(self) -> Unit:
        return self.unit


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end


@dataclass
class ReportData:
    unit: Unit
    month: dt.date
    board: Dashboard
    previous_total: dict[str, Any]

    @property
    def title(self) -> str:
        return f"{self.unit.name}{self.month.year}年{self.month.month}月营商环境诉求分析月报"

    def summary(self) -> dict[str, Any]:
        t = self.board.stats.total
        return {
            "submitted": t["submitted"],
            "closed": t["closed"],
            "close_rate": t["close_rate"],
            "on_time_close_rate": t["on_time_close_rate"],
            "satisfaction_rate": t["satisfaction_rate"],
            "previous_submitted": self.previous_total["submitted"],
            "overdue": self.board.overdue_count,
        }

    def overview(self) -> str:
        t, p = self.board.stats.total, self.previous_total
        change = ""
        if p["submitted"]:
            ratio = round(100.0 * (t["submitted"] - p["submitted"]) / p["submitted"], 1)
            change = f"，环比{'增长' if ratio >= 0 else '下降'}{abs(ratio)}%"

        def pct(v: Any) -> str:
            return "—" if v is None else f"{v}%"

        return (
            f"本月共受理企业诉求{t['submitted']}件{change}；办结{t['closed']}件，办结率{pct(t['close_rate'])}，"
            f"按时办结率{pct(t['on_time_close_rate'])}，满意率{pct(t['satisfaction_rate'])}；"
            f"目前超期未办结{self.board.overdue_count}件。"
        )

    def metric_rows(self) -> list[list[str]]:
        rows = [["指标", "本月", "上月"]]
        for key, label in METRIC_LABELS:
            cur, prev = self.board.stats.total.get(key), self.previous_total.get(key)
            rows.append([label, _fmt(cur), _fmt(prev)])
        return rows

    def slice_rows(self, slices: list[Slice], head: str) -> list[list[str]]:
        rows = [[head, "件数", "占比(%)", "上月", "环比(%)"]]
        for s in slices:
            rows.append([s.label, str(s.count), f"{s.share}", str(s.previous), _fmt(s.change)])
        return rows

    def ranking_rows(self) -> list[list[str]]:
        rows = [["名次", "单位", "提交量", "办结率(%)", "按时办结率(%)", "满意率(%)"]]
        for i, (unit, m) in enumerate(self.board.stats.ranking, start=1):
            rows.append(
                [
                    str(i),
                    unit.name,
                    str(m["submitted"]),
                    _fmt(m["close_rate"]),
                    _fmt(m["on_time_close_rate"]),
                    _fmt(m["satisfaction_rate"]),
                ]
            )
        return rows

    def term_rows(self) -> list[list[str]]:
        rows = [["热词", "本月", "上月", "趋势"]]
        rows += [[t.term, str(t.count), str(t.previous), t.arrow] for t in self.board.terms]
        return rows

    def obstacle_rows(self) -> list[list[str]]:
        rows = [["堵点分类", "件数", "集中单位"]]
        for o in self.board.obstacles:
            rows.append(
                [
                    o.category.label,
                    str(o.category.count),
                    "、".join(f"{u.display_name}({n})" for u, n in o.units),
                ]
            )
        return rows

    def overdue_rows(self) -> list[list[str]]:
        rows = [["诉求编号", "标题", "承办单位", "办理期限"]]
        for d in self.board.overdue:
            due = timezone.localtime(d.due_at).strftime("%Y-%m-%d") if d.due_at else "—"
            rows.append([d.number, d.title, (d.lead_unit or d.coordinating_unit).name, due])
        return rows

    def coverage_text(self) -> str:
        c = self.board.coverage
        rate = "—" if c.coverage_rate is None else f"{round(c.coverage_rate * 100, 1)}%"
        return (
            f"辖区在营企业{c.enterprises}家，已落实包联领导{c.covered}家，包联覆盖率{rate}；"
            f"包联领导{c.leaders}人，其中未达最少包联数{c.leaders_below_quota}人；"
            f"本月走访{c.visits_in_period}次，走访逾期{c.visits_overdue}项。"
        )


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)


def collect(unit: Unit, month: dt.date, viewer: Any = None) -> ReportData:
    viewer = viewer or UnitViewer(unit)
    start, end = month_bounds(month)
    board = dashboard(viewer, unit, start, end)
    p_start, p_end = previous_period(start, end)
    previous = compute(viewer, unit, p_start, p_end).total
    return ReportData(unit, start, board, previous)


SECTIONS = (
    "一、总体情况",
    "二、诉求分类",
    "三、单位排名（红黑榜）",
    "四、行业、规模与来源",
    "五、热点词",
    "六、堵点集中",
    "七、超期诉求",
    "八、包联走访",
)


# --- PDF ---------------------------------------------------------------------------------------------
def render_pdf(data: ReportData, *, compress: bool = True) -> bytes:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("t", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=6)
    h2 = ParagraphStyle("h", fontName=FONT, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("b", fontName=FONT, fontSize=10.5, leading=17, wordWrap="CJK")

    def table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
        cells = [[Paragraph(escape_markup(c), body) for c in row] for row in rows]
        t = Table(cells, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7f0ff")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    def bars(slices: list[Slice]) -> Drawing:
        items = slices[:10]
        height = 24 + 18 * max(len(items), 1)
        d = Drawing(170 * mm, height)
        chart = HorizontalBarChart()
        chart.x, chart.y, chart.width, chart.height = 90, 10, 170 * mm - 110, height - 20
        chart.data = [[s.count for s in reversed(items)] or [0]]
        chart.categoryAxis.categoryNames = [s.label for s in reversed(items)] or ["—"]
        chart.categoryAxis.labels.fontName = FONT
        chart.categoryAxis.labels.fontSize = 8
        chart.valueAxis.labels.fontName = FONT
        chart.valueAxis.valueMin = 0
        chart.bars[0].fillColor = colors.HexColor("#0d6efd")
        chart.barLabelFormat = "%d"
        chart.barLabels.fontName = FONT
        chart.barLabels.fontSize = 8
        d.add(chart)
        return d

    b = data.board
    story: list[Any] = [
        Paragraph(escape_markup(data.title), title),
        Paragraph(
            f"统计口径：{escape_markup(data.unit.name)}（含下级）{data.month:%Y-%m} 提交的诉求；生成时间 {timezone.localtime():%Y-%m-%d %H:%M}",
            body,
        ),
        Paragraph(SECTIONS[0], h2),
        Paragraph(data.overview(), body),
        Spacer(1, 4),
        table(data.metric_rows()),
        Paragraph(SECTIONS[1], h2),
        bars(b.categories),
        table(data.slice_rows(b.categories, "分类")),
        Paragraph(SECTIONS[2], h2),
        table(data.ranking_rows()),
        Paragraph(SECTIONS[3], h2),
        table(data.slice_rows(b.industries, "行业门类")),
        Spacer(1, 4),
        table(data.slice_rows(b.scales, "企业规模")),
        Spacer(1, 4),
        table(data.slice_rows(b.channels, "来源渠道")),
        Paragraph(SECTIONS[4], h2),
        table(data.term_rows()),
        Paragraph(SECTIONS[5], h2),
        table(data.obstacle_rows()),
        Paragraph(SECTIONS[6], h2),
        table(data.overdue_rows()),
        Paragraph(SECTIONS[7], h2),
        Paragraph(data.coverage_text(), body),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=data.title,
        author="亲清平台",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        pageCompression=1 if compress else 0,
    )
    doc.build(story)
    return buf.getvalue()


# --- Word ----------------------------------------------------------------------------------------------
def bar_png(values: list[int], width: int = 600, bar: int = 18, gap: int = 8) -> bytes:
    """A plain horizontal bar chart as PNG (no text: the table below carries the labels and values)."""
    n = max(len(values), 1)
    height = n * (bar + gap) + gap
    top = max(values) if values and max(values) > 0 else 1
    rows = []
    for y in range(height):
        index, offset = divmod(y - gap, bar + gap)
        length = 0
        if 0 <= index < len(values) and 0 <= offset < bar:
            length = int((width - 20) * values[index] / top)
        line = bytearray(b"\xff\xff\xff" * width)
        for x in range(10, 10 + length):
            line[3 * x : 3 * x + 3] = b"\x0d\x6e\xfd"
        rows.append(b"\x00" + bytes(line))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def render_docx(data: ReportData) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(word_text(data.title), level=0)
    doc.add_paragraph(
        f"统计口径：{word_text(data.unit.name)}（含下级）{data.month:%Y-%m} 提交的诉求；生成时间 {timezone.localtime():%Y-%m-%d %H:%M}"
    )

    def table(rows: list[list[str]]) -> None:
        t = doc.add_table(rows=len(rows), cols=len(rows[0]))
        t.style = "Table Grid"
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                t.cell(i, j).text = word_text(value)
        doc.add_paragraph()

    b = data.board
    doc.add_heading(SECTIONS[0], level=1)
    doc.add_paragraph(data.overview())
    table(data.metric_rows())
    doc.add_heading(SECTIONS[1], level=1)
    doc.add_picture(io.BytesIO(bar_png([s.count for s in b.categories[:10]])), width=Cm(15))
    table(data.slice_rows(b.categories, "分类"))
    doc.add_heading(SECTIONS[2], level=1)
    table(data.ranking_rows())
    doc.add_heading(SECTIONS[3], level=1)
    table(data.slice_rows(b.industries, "行业门类"))
    table(data.slice_rows(b.scales, "企业规模"))
    table(data.slice_rows(b.channels, "来源渠道"))
    doc.add_heading(SECTIONS[4], level=1)
    table(data.term_rows())
    doc.add_heading(SECTIONS[5], level=1)
    table(data.obstacle_rows())
    doc.add_heading(SECTIONS[6], level=1)
    table(data.overdue_rows())
    doc.add_heading(SECTIONS[7], level=1)
    doc.add_paragraph(data.coverage_text())
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
