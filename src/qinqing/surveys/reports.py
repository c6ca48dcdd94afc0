"""Unit and summary reports (PDF through core.pdf.PrintDocument, Word through python-docx).

A unit report: the index with its 95 % interval, the dimensions against the prefecture (all units of the
survey), the strata, the weakest items, the 满意度 share, and verbatim comments after the personal-data
check (privacy.mask). Every figure comes from queries.py, so the small-cell rule holds in print too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import docx
from django.db import transaction
from reportlab.platypus import Flowable

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.core.pdf import PrintDocument
from qinqing.core.permissions import require
from qinqing.core.word import word_text
from qinqing.orgs.models import Unit
from qinqing.surveys import queries
from qinqing.surveys.models import ReportKind, Survey, SurveyReport
from qinqing.surveys.stats import Estimate

COMMENTS_LIMIT = 60


def fmt(e: Estimate) -> str:
    if e.suppressed:
        return "样本不足"
    if e.mean is None:
        return "—"
    return f"{e.mean:.1f}"


def ci(e: Estimate) -> str:
    if e.suppressed or e.low is None or e.high is None:
        return "—"
    return f"{e.low:.1f}–{e.high:.1f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@dataclass
class Content:
    title: str
    subtitle: str
    blocks: list[tuple[str, Any]]  # ("h", text) ("p", text) ("table", rows)


def unit_content(survey: Survey, unit: Unit) -> Content:
    res = queries.results(survey, list(survey.units.all()))
    row = next(r for r in res.units if r.unit.pk == unit.pk)
    d = res.definition
    blocks: list[tuple[str, Any]] = [("h", "一、总体结果")]
    if row.responses is None or row.overall.suppressed:
        blocks.append(("p", f"本单位有效答卷少于 {res.k} 份，按小样本保护规则不报告分项结果。"))
    else:
        blocks.append(
            (
                "p",
                f"有效答卷 {row.responses} 份，回复率 {pct(row.response_rate)}。满意度指数 {fmt(row.overall)}"
                f"（95% 置信区间 {ci(row.overall)}），全州 {fmt(res.total)}（{ci(res.total)}）；"
                f"满意度（满意及非常满意占比）{pct(row.satisfaction)}，全州 {pct(res.total_satisfaction)}。"
                + (f" 排名第 {row.rank} 位" if row.rank else "")
                + (f"，与{'、'.join(row.overlaps)}的区间重叠，名次差异不显著。" if row.overlaps else "。"),
            )
        )
        blocks.append(("h", "二、分维度结果"))
        table = [["维度", "本单位", "95% 区间", "全州"]]
        for code in res.dimension_codes:
            e = row.dimensions[code]
            table.append([d.dimension_label(code), fmt(e), ci(e), fmt(res.total_dimensions[code])])
        blocks.append(("table", table))
        strata = queries.strata_results(survey, unit)
        if survey.strata_fields and strata:
            blocks.append(("h", "三、分层结果"))
            blocks.append(
                (
                    "table",
                    [["分层", "指数", "95% 区间"]]
                    + [[s.label, fmt(s.overall), ci(s.overall)] for s in strata],
                )
            )
        items = queries.item_means(survey, [unit])[:5]
        if items:
            blocks.append(("h", "四、得分最低的题目"))
            blocks.append(
                (
                    "table",
                    [["题目", "平均得分", "回答数"]] + [[t, f"{m:.1f}", str(n)] for _, t, m, n in items],
                )
            )
        comments = queries.comments(survey, [unit], COMMENTS_LIMIT)
        if comments:
            blocks.append(("h", "五、意见和建议（原文，已隐去个人信息）"))
            blocks += [("p", f"“{text}”") for _, text in comments]
    blocks.append(("h", "说明"))
    blocks.append(
        (
            "p",
            f"指数为每份答卷加权得分（非常满意100、满意80、基本满意60、不满意30、非常不满意0）的平均值，区间为 t 分布 95% 置信区间；"
            f"少于 {res.k} 份答卷的单元格不予显示。",
        )
    )
    return Content(f"{unit.name}营商环境满意度调查报告", survey.title, blocks)


def summary_content(survey: Survey) -> Content:
    res = queries.results(survey, list(survey.units.all()))
    d = res.definition
    blocks: list[tuple[str, Any]] = [
        ("h", "一、总体结果"),
        (
            "p",
            f"共调查 {len(res.units)} 个单位，有效答卷 {res.total_responses} 份。总指数 {fmt(res.total)}（95% 置信区间 {ci(res.total)}），"
            f"满意度（满意及非常满意占比）{pct(res.total_satisfaction)}。",
        ),
        ("h", "二、各单位排名"),
    ]
    table = [["名次", "单位", "指数", "95% 区间", "答卷", "满意度", "区间重叠"]]
    for r in res.units:
        table.append(
            [
                str(r.rank or "—"),
                r.unit.display_name,
                fmt(r.overall),
                ci(r.overall),
                "—" if r.responses is None else str(r.responses),
                pct(r.satisfaction),
                "、".join(r.overlaps) or "—",
            ]
        )
    blocks.append(("table", table))
    blocks.append(("h", "三、分维度结果"))
    blocks.append(
        (
            "table",
            [["维度", "指数", "95% 区间"]]
            + [
                [d.dimension_label(c), fmt(res.total_dimensions[c]), ci(res.total_dimensions[c])]
                for c in res.dimension_codes
            ],
        )
    )
    items = queries.item_means(survey, list(survey.units.all()))[:8]
    if items:
        blocks.append(("h", "四、得分最低的题目"))
        blocks.append(
            ("table", [["题目", "平均得分", "回答数"]] + [[t, f"{m:.1f}", str(n)] for _, t, m, n in items])
        )
    return Content(f"{survey.title}汇总报告", survey.owner_unit.name, blocks)


def to_pdf(content: Content, survey: Survey) -> bytes:
    doc = PrintDocument(
        title=content.title,
        edition=content.subtitle,
        header=survey.title,
        cover_lines=(survey.owner_unit.name,),
    )
    story: list[Flowable] = []
    for kind, value in content.blocks:
        if kind == "h":
            story.append(doc.heading(value))
        elif kind == "p":
            story.append(doc.para(value))
        else:
            story.append(doc.table(value))
    return doc.build(story, cover=True, toc=False)


def to_docx(content: Content) -> bytes:
    document = docx.Document()
    document.add_heading(word_text(content.title), level=0)
    document.add_paragraph(word_text(content.subtitle))
    for kind, value in content.blocks:
        if kind == "h":
            document.add_heading(word_text(value), level=1)
        elif kind == "p":
            document.add_paragraph(word_text(value))
        else:
            table = document.add_table(rows=len(value), cols=len(value[0]))
            table.style = "Table Grid"
            for i, row in enumerate(value):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = word_text(cell)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def generate(user: Any, survey: Survey, unit: Unit | None = None) -> SurveyReport:
    """Produce (or redo) the report of UNIT, or the summary report when UNIT is None."""
    require(user, "surveys.fieldwork")
    if unit is None:
        content, kind, target = summary_content(survey), ReportKind.SUMMARY, survey.owner_unit
    else:
        content, kind, target = unit_content(survey, unit), ReportKind.UNIT, unit
    n = queries.Response.objects.filter(survey=survey, valid=True, **({"unit": unit} if unit else {})).count()
    report, _ = SurveyReport.objects.update_or_create(
        survey=survey,
        unit=target,
        kind=kind,
        defaults={
            "pdf": to_pdf(content, survey),
            "docx": to_docx(content),
            "responses": n,
            "created_by": user,
        },
    )
    record(AuditAction.WORKFLOW, actor=user, obj=report, detail=f"生成{report.get_kind_display()}")
    return report


def generate_all(user: Any, survey: Survey) -> int:
    count = 0
    for unit in survey.units.order_by("ordering", "pk"):
        generate(user, survey, unit)
        count += 1
    generate(user, survey, None)
    return count
