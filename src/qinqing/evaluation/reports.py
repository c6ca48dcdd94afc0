"""Reports: one per evaluated unit and a summary of the round, as PDF (core.pdf) and Word (python-docx).

The unit report: overall score and rank, radar chart of the first-level indicators, bars per indicator
against the best and the median unit, the three weakest indicators with their distance to frontier, and
suggestions from the reform-measure library. The summary: ranking table and the distribution of scores.
Charts are reportlab.graphics drawings in the PDF; the Word file carries the same figures as tables.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.spider import SpiderChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from qinqing.core.pdf import PrintDocument, cjk_font
from qinqing.core.word import word_text
from qinqing.evaluation import queries, scoring, services
from qinqing.evaluation.models import ReportKind, Round
from qinqing.orgs.models import Unit

BLUE = colors.HexColor("#1f5fa8")
GREY = colors.HexColor("#9aa5b1")
GREEN = colors.HexColor("#3c9a5f")


def fmt(score: Decimal | None, places: int = 2) -> str:
    return "—" if score is None else f"{score:.{places}f}"


def _float(score: Decimal | None) -> float:
    return 0.0 if score is None else float(score)


# --- charts -----------------------------------------------------------------------------------------
def radar(labels: list[str], unit: list[float], median: list[float], width: float) -> Drawing:
    font = cjk_font()
    drawing = Drawing(width, 260)
    chart = SpiderChart()
    chart.x, chart.y, chart.width, chart.height = width / 2 - 115, 20, 230, 230
    chart.data = [unit, median]
    chart.labels = labels
    chart.strands[0].strokeColor = BLUE
    chart.strands[0].fillColor = colors.Color(0.12, 0.37, 0.66, alpha=0.25)
    chart.strands[1].strokeColor = GREY
    chart.strands[1].fillColor = None
    chart.strandLabels.fontName = font
    chart.spokeLabels.fontName = font
    chart.spokeLabels.fontSize = 7
    drawing.add(chart)
    drawing.add(String(8, 248, "蓝：本单位  灰：参评单位中位数", fontName=font, fontSize=8))
    return drawing


def bars(
    labels: list[str],
    series: list[list[float]],
    width: float,
    legend: str = "蓝：本单位  绿：最优单位  灰：中位数",
) -> Drawing:
    font = cjk_font()
    height = 40 + 26 * len(labels)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 20, width - 130, height - 40
    chart.data = series
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.barWidth = 4
    for i, colour in enumerate([BLUE, GREEN, GREY]):
        chart.bars[i].fillColor = colour
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    drawing.add(String(110, height - 12, legend, fontName=font, fontSize=8))
    return drawing


# --- unit report ------------------------------------------------------------------------------------
def _unit_texts(card: queries.Scorecard) -> dict[str, Any]:
    rnd = card.round
    rank = f"第{card.rank}名（共{card.units}个参评单位）" if card.rank else "暂无排名（尚无已审核数据）"
    weakest = [
        (t.node.name, fmt(t.score), fmt(None if t.score is None else scoring.HUNDRED - t.score), fmt(t.best))
        for t in card.weakest
    ]
    return {
        "title": f"{rnd.name}：{card.unit.name}评价报告",
        "overall": f"综合得分 {fmt(card.overall)} 分，{rank}。",
        "rule": f"缺失值规则：{card.missing_rule}。得分按世界银行营商环境“前沿距离”方法计算，满分100分。",
        "weakest": weakest,
    }


def unit_pdf(rnd: Round, unit: Unit) -> bytes:
    card = queries.scorecard(rnd, unit)
    t = _unit_texts(card)
    doc = PrintDocument(
        title=t["title"],
        edition=f"{rnd.year}年度",
        header=f"{rnd.owner_unit.name} · 营商环境第三方评价",
        cover_lines=(unit.name, f"评价体系：{rnd.system.name}"),
    )
    labels = [tp.node.name for tp in card.topics]
    story: list[Any] = [
        doc.heading("一、总体评价"),
        doc.para(t["overall"]),
        doc.para(t["rule"], "small"),
        doc.heading("二、一级指标得分"),
        radar(
            labels,
            [_float(tp.score) for tp in card.topics],
            [_float(tp.median) for tp in card.topics],
            doc.width,
        ),
        bars(
            labels,
            [
                [_float(tp.score) for tp in card.topics],
                [_float(tp.best) for tp in card.topics],
                [_float(tp.median) for tp in card.topics],
            ],
            doc.width,
        ),
        doc.table(
            [["一级指标", "得分", "排名", "最优单位得分", "中位数"]]
            + [
                [tp.node.name, fmt(tp.score), tp.rank or "—", fmt(tp.best), fmt(tp.median)]
                for tp in card.topics
            ],
            col_widths=[doc.width * w for w in (0.36, 0.16, 0.12, 0.18, 0.18)],
        ),
        doc.heading("三、短板指标与前沿距离"),
    ]
    if t["weakest"]:
        story.append(
            doc.table(
                [["指标", "得分", "距前沿（100分）", "最优单位得分"]] + [list(w) for w in t["weakest"]],
                col_widths=[doc.width * w for w in (0.4, 0.2, 0.2, 0.2)],
            )
        )
    else:
        story.append(doc.para("尚无已审核的指标数据。"))
    story.append(doc.heading("四、改进建议"))
    for w in card.weakest:
        story.append(doc.heading(w.node.name, 1))
        for m in card.measures.get(w.node.code, []):
            story.append(doc.para(f"{m.title}：{m.text}"))
        if not card.measures.get(w.node.code):
            story.append(doc.para("改革举措库中暂无该指标的举措。"))
    story.append(doc.heading("五、指标明细"))
    rows = [["指标", "数值", "得分", "排名"]]
    for n in card.nodes:
        value = ""
        if n.value is not None and n.value.value is not None:
            value = f"{n.value.value.normalize():f} {n.node.unit}".strip()
        rows.append(["　" * n.depth + n.node.name, value, fmt(n.score), str(n.rank or "—")])
    story.append(doc.table(rows, col_widths=[doc.width * w for w in (0.5, 0.2, 0.15, 0.15)]))
    return doc.build(story, cover=True, toc=False)


def unit_docx(rnd: Round, unit: Unit) -> bytes:
    from docx import Document

    card = queries.scorecard(rnd, unit)
    t = _unit_texts(card)
    d = Document()
    d.add_heading(word_text(t["title"]), 0)
    d.add_heading("一、总体评价", 1)
    d.add_paragraph(word_text(t["overall"]))
    d.add_paragraph(word_text(t["rule"]))
    d.add_heading("二、一级指标得分", 1)
    _docx_table(
        d,
        ["一级指标", "得分", "排名", "最优单位得分", "中位数"],
        [
            [tp.node.name, fmt(tp.score), str(tp.rank or "—"), fmt(tp.best), fmt(tp.median)]
            for tp in card.topics
        ],
    )
    d.add_heading("三、短板指标与前沿距离", 1)
    _docx_table(d, ["指标", "得分", "距前沿（100分）", "最优单位得分"], [list(w) for w in t["weakest"]])
    d.add_heading("四、改进建议", 1)
    for w in card.weakest:
        d.add_heading(word_text(w.node.name), 2)
        for m in card.measures.get(w.node.code, []):
            d.add_paragraph(word_text(f"{m.title}：{m.text}"), style="List Bullet")
    _docx_footer(d)
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


def _docx_table(d: Any, header: list[str], rows: list[list[str]]) -> None:
    table = d.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = word_text(text)


def _docx_footer(d: Any) -> None:
    """Page numbers: a PAGE field in the footer."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = d.sections[0].footer.paragraphs[0]
    paragraph.text = "第 "
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    paragraph.add_run(" 页")


# --- summary ----------------------------------------------------------------------------------------
def _summary_rows(rnd: Round) -> tuple[list[list[str]], list[tuple[str, int]], queries.Ranking]:
    r = queries.ranking(rnd)
    rows = [[str(row.rank or "—"), row.unit.name, fmt(row.score)] for row in r.rows]
    bands = [
        ("90分及以上", 90, 101),
        ("80—90分", 80, 90),
        ("70—80分", 70, 80),
        ("60—70分", 60, 70),
        ("60分以下", -1, 60),
    ]
    dist = [
        (label, sum(1 for row in r.rows if row.score is not None and lo <= row.score < hi))
        for label, lo, hi in bands
    ]
    return rows, dist, r


def summary_pdf(rnd: Round) -> bytes:
    rows, dist, r = _summary_rows(rnd)
    doc = PrintDocument(title=f"{rnd.name}总报告", edition=f"{rnd.year}年度", header=rnd.owner_unit.name)
    story: list[Any] = [
        doc.heading("一、评价概况"),
        doc.para(
            f"本次评价共{len(rows)}个县市区和园区，采用{rnd.system.name}，最高分{fmt(r.best)}，中位数{fmt(r.median)}。"
        ),
        doc.heading("二、综合排名"),
        doc.table(
            [["排名", "单位", "综合得分"], *rows], col_widths=[doc.width * w for w in (0.15, 0.6, 0.25)]
        ),
        doc.heading("三、得分分布"),
        doc.table([["分数段", "单位数"]] + [[a, str(b)] for a, b in dist]),
    ]
    if rows:
        story.append(
            bars(
                [row[1][:10] for row in rows],
                [[_float(x.score) for x in r.rows]],
                doc.width,
                "各单位综合得分",
            )
        )
    return doc.build(story, cover=True, toc=False)


def summary_docx(rnd: Round) -> bytes:
    from docx import Document

    rows, dist, r = _summary_rows(rnd)
    d = Document()
    d.add_heading(word_text(f"{rnd.name}总报告"), 0)
    d.add_paragraph(f"本次评价共{len(rows)}个县市区和园区，最高分{fmt(r.best)}，中位数{fmt(r.median)}。")
    d.add_heading("综合排名", 1)
    _docx_table(d, ["排名", "单位", "综合得分"], rows)
    d.add_heading("得分分布", 1)
    _docx_table(d, ["分数段", "单位数"], [[a, str(b)] for a, b in dist])
    _docx_footer(d)
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


# --- entry points (log each report produced) --------------------------------------------------------
def unit_report(user: Any, rnd: Round, unit: Unit, fmt_: str) -> bytes:
    data = unit_pdf(rnd, unit) if fmt_ == "pdf" else unit_docx(rnd, unit)
    services.log_report(user, rnd, unit, ReportKind.UNIT_PDF if fmt_ == "pdf" else ReportKind.UNIT_DOCX)
    return data


def summary_report(user: Any, rnd: Round, fmt_: str) -> bytes:
    data = summary_pdf(rnd) if fmt_ == "pdf" else summary_docx(rnd)
    services.log_report(user, rnd, None, ReportKind.SUMMARY_PDF if fmt_ == "pdf" else ReportKind.SUMMARY_DOCX)
    return data
