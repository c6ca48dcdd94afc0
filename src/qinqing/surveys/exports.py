"""Exports: raw responses (Excel, CSV, SPSS .sav) for statisticians and the aggregated results (Excel, CSV).

The small-cell rule: the aggregated export reads queries.results (cells below k are blank and flagged);
the raw export pools the responses of suppressed units (fewer than k, and the secondary cell) under one
label without their stratum, so the totals still add up but no small unit can be told apart, and blanks
the stratum of a response whose unit × stratum cell has fewer than k. Text answers pass the personal-data check. Cells
starting with = + - @ are neutralised (a leading apostrophe) in Excel and CSV.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from qinqing.core.spreadsheets import safe_cell as safe
from qinqing.core.spreadsheets import safe_csv_writer, safe_row
from qinqing.orgs.models import Unit
from qinqing.surveys import privacy, queries, schema, spss
from qinqing.surveys.answering import definition_of
from qinqing.surveys.models import Mode, Survey
from qinqing.surveys.reports import ci, fmt, pct


def columns(definition: schema.Definition) -> list[tuple[str, str, schema.Question, str]]:
    """(name, label, question, matrix item id) of each answer column."""
    out = []
    for q in definition.questions():
        if q.type == "matrix":
            out += [(i.id, f"{q.text}：{i.text}", q, i.id) for i in q.items]
        else:
            out.append((q.id, q.text, q, ""))
    return out


def raw_rows(survey: Survey, units: list[Unit]) -> tuple[list[str], list[str], Iterator[list[Any]]]:
    definition = definition_of(survey.questionnaire)
    cols = columns(definition)
    k = survey.min_cell
    qs, hidden = _raw(survey, units)
    cells = Counter(qs.values_list("unit_id", "stratum"))
    names = {u.pk: (POOLED if u.pk in hidden else u.display_name) for u in units}
    fields = list(survey.strata_fields)
    header = ["id", "unit", "stratum", "submitted_on", "mode", "index"] + [c[0] for c in cols]
    labels = ["答卷编号", "单位", "分层", "提交日期", "方式", "满意度指数"] + [c[1] for c in cols]

    def rows() -> Iterator[list[Any]]:
        for r in qs.order_by("unit_id", "submitted_on", "pk").iterator(chunk_size=2000):
            stratum = r.stratum if cells[(r.unit_id, r.stratum)] >= k and r.unit_id not in hidden else ""
            row: list[Any] = [
                str(r.pk),
                names.get(r.unit_id, ""),
                schema.stratum_label(stratum, fields) if stratum else "",
                r.submitted_on.isoformat(),
                Mode(r.mode).label,
                None if r.index is None else float(r.index),
            ]
            for _, _, q, item in cols:
                v = r.answers.get(q.id)
                if item:
                    v = v.get(item) if isinstance(v, dict) else None
                if isinstance(v, list):
                    v = "；".join(q.label_of(x) for x in v)
                elif q.type in schema.TEXT_TYPES and v:
                    v = privacy.mask(str(v))
                elif q.type in ("single", "yesno") and v is not None:
                    v = q.label_of(v)
                row.append(v)
            yield row

    return header, labels, rows()


POOLED = "（样本不足单位合并）"


def _raw(survey: Survey, units: list[Unit]) -> tuple[Any, set[int]]:
    """All valid responses of the units; those of suppressed units lose their unit and stratum."""
    from qinqing.surveys.models import Response

    hidden = queries.suppressed_units(survey)
    qs = Response.objects.filter(survey=survey, valid=True, unit_id__in=[u.pk for u in units])
    return qs, hidden


def raw_xlsx(survey: Survey, units: list[Unit]) -> bytes:
    header, labels, rows = raw_rows(survey, units)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("答卷")
    ws.append(safe_row(labels))
    ws.append(safe_row(header))
    for row in rows:
        ws.append([safe(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def raw_csv(survey: Survey, units: list[Unit]) -> bytes:
    _, labels, rows = raw_rows(survey, units)
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer)
    writer.writerow(labels)
    for row in rows:
        writer.writerow(["" if v is None else safe(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def raw_sav(survey: Survey, units: list[Unit]) -> bytes:
    definition = definition_of(survey.questionnaire)
    k = survey.min_cell
    qs, hidden = _raw(survey, units)
    cells = Counter(qs.values_list("unit_id", "stratum"))
    shown = [u for u in units if u.pk not in hidden]
    unit_codes = {u.pk: i for i, u in enumerate(shown, 1)}
    pooled = len(shown) + 1
    strata = sorted({s for (_, s), n in cells.items() if n >= k and s})
    fields = list(survey.strata_fields)
    variables = [
        spss.Variable(
            "UNIT",
            "单位",
            decimals=0,
            value_labels={**{float(unit_codes[u.pk]): u.display_name for u in shown}, float(pooled): POOLED},
        ),
        spss.Variable(
            "STRATUM",
            "分层",
            decimals=0,
            value_labels={float(i): schema.stratum_label(s, fields) for i, s in enumerate(strata, 1)},
        ),
        spss.Variable("DAY", "提交日期", width=10),
        spss.Variable("IDX", "满意度指数", decimals=2),
    ]
    answer_cols: list[tuple[schema.Question, str]] = []
    for n, (_, label, q, item) in enumerate(columns(definition), 1):
        var = f"V{n}"
        if q.type in ("scale5", "attention") or (q.type == "matrix"):
            variables.append(
                spss.Variable(var, label, decimals=0, value_labels={float(v): t for v, t in schema.SCALE5})
            )
        elif q.type == "number":
            variables.append(spss.Variable(var, label))
        elif q.type == "yesno":
            variables.append(spss.Variable(var, label, decimals=0, value_labels={1.0: "是", 0.0: "否"}))
        elif q.type == "single":
            variables.append(
                spss.Variable(
                    var,
                    label,
                    decimals=0,
                    value_labels={float(i): t for i, (_, t) in enumerate(q.options, 1)},
                )
            )
        else:
            variables.append(spss.Variable(var, label, width=spss.MAX_STRING))
        answer_cols.append((q, item))
    stratum_code = {s: i for i, s in enumerate(strata, 1)}

    def rows() -> Iterator[list[float | str | None]]:
        for r in qs.order_by("unit_id", "submitted_on", "pk").iterator(chunk_size=2000):
            stratum = r.stratum if cells[(r.unit_id, r.stratum)] >= k and r.unit_id not in hidden else ""
            row: list[float | str | None] = [
                unit_codes.get(r.unit_id, pooled),
                stratum_code.get(stratum),
                r.submitted_on.isoformat(),
                None if r.index is None else float(r.index),
            ]
            for q, item in answer_cols:
                v = r.answers.get(q.id)
                if item:
                    v = v.get(item) if isinstance(v, dict) else None
                if v is None or v == "":
                    row.append(
                        None if q.type not in schema.TEXT_TYPES and q.type not in ("multi", "ranking") else ""
                    )
                elif q.type == "yesno":
                    row.append(1.0 if v == "yes" else 0.0)
                elif q.type == "single":
                    row.append(float([o for o, _ in q.options].index(v) + 1))
                elif q.type in ("multi", "ranking"):
                    row.append(";".join(str(x) for x in v))
                elif q.type in schema.TEXT_TYPES:
                    row.append(privacy.mask(str(v)))
                else:
                    row.append(float(v))
            yield row

    return spss.write(variables, rows(), label=survey.title)


def aggregate_table(survey: Survey, units: list[Unit]) -> list[list[Any]]:
    res = queries.results(survey, units)
    d = res.definition
    header = ["单位", "名次", "答卷数", "回复率", "满意度", "总指数", "总指数95%区间", "区间重叠"]
    for code in res.dimension_codes:
        header += [d.dimension_label(code), f"{d.dimension_label(code)}95%区间"]
    table: list[list[Any]] = [header]
    for r in res.units:
        row: list[Any] = [
            r.unit.display_name,
            r.rank or "",
            "" if r.responses is None else r.responses,
            pct(r.response_rate),
            pct(r.satisfaction),
            fmt(r.overall),
            ci(r.overall),
            "、".join(r.overlaps),
        ]
        for code in res.dimension_codes:
            row += [fmt(r.dimensions[code]), ci(r.dimensions[code])]
        table.append(row)
    table.append(
        ["全部", "", res.total_responses, "", pct(res.total_satisfaction), fmt(res.total), ci(res.total), ""]
        + [
            x
            for c in res.dimension_codes
            for x in (fmt(res.total_dimensions[c]), ci(res.total_dimensions[c]))
        ]
    )
    return table


def aggregate_xlsx(survey: Survey, units: list[Unit]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("结果")
    for row in aggregate_table(survey, units):
        ws.append([safe(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def aggregate_csv(survey: Survey, units: list[Unit]) -> bytes:
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer)
    for row in aggregate_table(survey, units):
        writer.writerow([safe(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")
