"""Excel in the 项目支出绩效目标表 layout (export and all-or-nothing import), and the self-evaluation
(绩效自评表) as PDF and Excel."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from qinqing.core.pdf import PrintDocument
from qinqing.core.spreadsheets import SpreadsheetError, open_xlsx, workbook_bytes
from qinqing.core.spreadsheets import safe_cell as safe
from qinqing.kpi.models import BudgetProject, Level1, Operator, Source
from qinqing.kpi.scoring import EXECUTION_POINTS, Evaluation
from qinqing.kpi.services import IndicatorData, ProjectData
from qinqing.orgs.models import Unit

HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值（包含数字及文字描述）",
    "比较",
    "年度指标值",
    "计量单位",
    "分值",
    "数据来源",
    "平台指标名",
]
OPERATOR_BY_LABEL: dict[str, str] = {label: value for value, label in Operator.choices} | {
    "≦": Operator.LE,
    "≧": Operator.GE,
    ">=": Operator.GE,
    "<=": Operator.LE,
}
SOURCE_BY_LABEL = {label: value for value, label in Source.choices}


def _num(value: Decimal | None) -> Any:
    if value is None:
        return None
    return float(value) if value != value.to_integral() else int(value)


# --- the 绩效目标表 workbook ----------------------------------------------------------------------
def targets_workbook(projects: list[BudgetProject]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for i, p in enumerate(projects, start=1):
        ws = wb.create_sheet(f"{i:02d}{p.name}"[:31])
        _write_targets(ws, p)
    if not projects:  # a workbook needs one visible sheet: say that there is nothing, rather than fail
        ws = wb.create_sheet("绩效目标")
        ws.append(["项目支出绩效目标表"])
        ws.append(["本年度没有可导出的项目"])
    return workbook_bytes(wb)


def _write_targets(ws: Worksheet, p: BudgetProject) -> None:
    ws.append(["项目支出绩效目标表"])
    ws.append([f"（{p.year}年度）"])
    ws.append(["预算单位", safe(p.unit.name)])
    ws.append(["项目名称", safe(p.name)])
    ws.append(["项目编码", p.code])
    ws.append(
        [
            "项目资金（万元）",
            "年度资金总额",
            _num(p.funds_total_wan),
            "其中：财政拨款",
            _num(p.funds_fiscal_wan),
            "其他资金",
            _num(p.funds_other_wan),
        ]
    )
    ws.append(["项目总体目标", safe(p.goal)])
    ws.append(HEADER)
    for ind in p.indicators.all():
        ws.append(
            [
                ind.level1,
                safe(ind.level2),
                safe(ind.name),
                safe(ind.target_text),
                ind.get_operator_display(),
                _num(ind.target_value),
                safe(ind.value_unit),
                _num(ind.points),
                ind.get_source_display(),
                ind.metric,
            ]
        )
    ws.merge_cells("A1:J1")
    ws.merge_cells("A2:J2")
    ws.merge_cells("B7:J7")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"].alignment = Alignment(horizontal="center")
    ws["B7"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[7].height = 90
    for col, width in zip("ABCDEFGHIJ", (12, 16, 36, 22, 6, 12, 10, 8, 10, 30), strict=True):
        ws.column_dimensions[col].width = width


@dataclass
class ImportErrors:
    errors: list[str] = field(default_factory=list)

    def add(self, sheet: str, row: int, message: str) -> None:
        self.errors.append(f"工作表“{sheet}”第 {row} 行：{message}")


class WorkbookError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text


def _decimal(value: Any) -> Decimal | None:
    text = _text(value)
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}”不是数字") from None


def parse_targets_workbook(content: bytes, units: dict[str, Unit]) -> list[ProjectData]:
    """The projects of a 绩效目标表 workbook (one sheet per project). Raises WorkbookError listing every
    problem (sheet and row); nothing is imported unless the whole file is right."""
    try:
        wb = open_xlsx(content)  # refuses zip bombs and non-zip files before openpyxl inflates
    except SpreadsheetError as exc:
        raise WorkbookError([str(exc)]) from exc
    errs = ImportErrors()
    out: list[ProjectData] = []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        title = ws.title
        label = {(_text(r[0]) if r else ""): (n, r) for n, r in enumerate(rows, start=1)}
        try:
            year_text = _text(rows[1][0]) if len(rows) > 1 else ""
            year = int("".join(ch for ch in year_text if ch.isdigit())[:4])
        except (ValueError, IndexError):
            errs.add(title, 2, "未找到年度（如“（2021年度）”）")
            continue
        missing = [
            k
            for k in ("预算单位", "项目名称", "项目编码", "项目资金（万元）", "项目总体目标", "一级指标")
            if k not in label
        ]
        if missing:
            errs.add(title, 1, f"缺少“{'”“'.join(missing)}”行")
            continue
        unit_name = _text(label["预算单位"][1][1])
        unit = units.get(unit_name)
        if unit is None:
            errs.add(title, label["预算单位"][0], f"预算单位“{unit_name}”不存在或不在您的管辖范围内")
        funds_row_no, funds = label["项目资金（万元）"]
        try:
            total, fiscal, other = (_decimal(funds[i]) for i in (2, 4, 6))
        except (ValueError, IndexError) as exc:
            errs.add(title, funds_row_no, f"项目资金：{exc}")
            continue
        data_rows: list[IndicatorData] = []
        start = label["一级指标"][0]
        level1 = level2 = ""
        for n, r in enumerate(rows[start:], start=start + 1):
            cells = [_text(c) for c in (list(r) + [None] * 10)[:10]]
            if not any(cells):
                continue
            level1 = cells[0] or level1
            level2 = cells[1] or level2
            if level1 not in Level1.values:
                errs.add(title, n, f"一级指标应为 {'、'.join(Level1.values)}")
                continue
            op = OPERATOR_BY_LABEL.get(cells[4])
            if not op:
                errs.add(title, n, "比较应为 ≥、≤、= 或 定性")
                continue
            try:
                value = _decimal(cells[5])
                points = _decimal(cells[7])
            except ValueError as exc:
                errs.add(title, n, str(exc))
                continue
            source = SOURCE_BY_LABEL.get(cells[8], "") if cells[8] else ""
            if cells[8] and not source:
                errs.add(title, n, "数据来源应为 平台指标、人工填报 或 定性评判")
                continue
            data_rows.append(
                IndicatorData(
                    level1, level2, cells[2], cells[3], op, value, cells[6], cells[9], points, source
                )
            )
        if unit is None or total is None:
            if total is None:
                errs.add(title, funds_row_no, "请填写年度资金总额")
            continue
        out.append(
            ProjectData(
                code=_text(label["项目编码"][1][1]),
                year=year,
                unit=unit,
                name=_text(label["项目名称"][1][1]),
                funds_total_wan=total,
                funds_fiscal_wan=fiscal or Decimal(0),
                funds_other_wan=other or Decimal(0),
                goal=_text(label["项目总体目标"][1][1]),
                indicators=data_rows,
            )
        )
    if not wb.worksheets:
        errs.errors.append("文件中没有工作表")
    if errs.errors:
        raise WorkbookError(errs.errors)
    return out


# --- the self-evaluation -----------------------------------------------------------------------------
EVAL_HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因及改进措施",
]


def _fmt(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def evaluation_rows(ev: Evaluation) -> list[list[str]]:
    rows = []
    for r in ev.rows:
        ind = r.indicator
        if ind.operator == Operator.QUALITATIVE:
            done = ind.get_judgement_display() if ind.judgement else "未评判"
        elif not r.actual.available:
            done = f"未接入（{r.actual.reason}）"
        else:
            done = _fmt(r.actual.value, ind.value_unit)
        rows.append(
            [
                ind.level1,
                ind.level2,
                ind.name,
                ind.target_text,
                done,
                _fmt(ind.points),
                _fmt(r.score),
                ind.deviation,
            ]
        )
    return rows


def evaluation_pdf(evaluations: list[Evaluation], title: str, header: str) -> bytes:
    doc = PrintDocument(title=title, header=header, edition="项目支出绩效自评表")
    story: list[Any] = []
    w = doc.width
    for ev in evaluations:
        p = ev.project
        story.append(doc.heading(f"{p.name}（{p.year}年度）"))
        story.append(
            doc.table(
                [
                    ["预算单位", p.unit.name, "年度资金总额（万元）", _fmt(p.funds_total_wan)],
                    ["全年执行数（万元）", _fmt(p.executed_wan), "预算执行率", _fmt(ev.execution_rate, "%")],
                    ["预算执行率分值", _fmt(EXECUTION_POINTS), "预算执行率得分", _fmt(ev.execution_score)],
                ],
                col_widths=[w * 0.2, w * 0.3, w * 0.25, w * 0.25],
                header=False,
            )
        )
        story.append(doc.para("年度总体目标：" + p.goal))
        if p.summary:
            story.append(doc.para("全年实际完成情况：" + p.summary))
        widths = [0.09, 0.11, 0.2, 0.11, 0.13, 0.07, 0.07, 0.22]
        story.append(doc.table([EVAL_HEADER, *evaluation_rows(ev)], col_widths=[w * x for x in widths]))
        story.append(
            doc.para(
                f"总分：{_fmt(ev.points_total)}　得分：{_fmt(ev.score_total)}　等级：{ev.grade}"
                + ("" if ev.complete else "（尚有未评分指标）")
            )
        )
    return doc.build(story, cover=True, toc=len(evaluations) > 1)


def evaluation_workbook(evaluations: list[Evaluation]) -> bytes:
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(
        ["项目名称", "年度", "预算单位", "年度资金总额（万元）", "预算执行率（%）", "总分", "得分", "等级"]
    )
    for ev in evaluations:
        p = ev.project
        summary.append(
            [
                safe(p.name),
                p.year,
                safe(p.unit.name),
                _num(p.funds_total_wan),
                _num(ev.execution_rate),
                _num(ev.points_total),
                _num(ev.score_total),
                ev.grade,
            ]
        )
    for i, ev in enumerate(evaluations, start=1):
        ws = wb.create_sheet(f"{i:02d}{ev.project.name}"[:31])
        ws.append(["项目支出绩效自评表"])
        ws.append([f"（{ev.project.year}年度）", safe(ev.project.name)])
        ws.append(
            [
                "预算执行率（%）",
                _num(ev.execution_rate),
                "分值",
                _num(EXECUTION_POINTS),
                "得分",
                _num(ev.execution_score),
            ]
        )
        ws.append(EVAL_HEADER)
        for row in evaluation_rows(ev):
            ws.append([safe(c) for c in row])
        ws.append(["合计", "", "", "", "", _num(ev.points_total), _num(ev.score_total), f"等级：{ev.grade}"])
    return workbook_bytes(wb)
