"""Reading and checking the two investment import files: the project list and the monthly funds figures.

``plan_projects``/``plan_funds`` read the whole file (.xlsx, or .csv with the same headers) and turn each
row into a planned change or a row error; the services (``services.import_projects``/``import_funds``)
then apply every planned row through the ordinary services inside a savepoint and keep the result only
when no row failed. Row numbers are spreadsheet row numbers: the header is row 1, the first data row 2.

Re-import: a project row whose 项目编号 exists updates that project (blank optional cells keep the stored
value; the stage is never changed by an import); a funds row for a project and month already filled in
updates that entry. A row touching a month whose report is submitted or approved is refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from qinqing.enterprises.importing import FileError, RowError, read_table
from qinqing.enterprises.industries import DIVISIONS, SECTIONS, section_of
from qinqing.investment.models import (
    REPORTING_KINDS,
    ChainRole,
    ClusterScheme,
    Construction,
    ContractType,
    FundsEntry,
    IndustryChain,
    IndustryCluster,
    InvestorType,
    Project,
    Source,
    Stage,
    first_of_month,
    sector_of_section,
)
from qinqing.orgs.models import Unit

HEADER_ROW = 1
MAX_ROWS = 5000

# header -> key (model field, or a stage key handled by create_project's INITIAL)
PROJECT_COLUMNS: dict[str, str] = {
    "项目编号": "number",
    "项目名称": "name",
    "投资主体": "investor_name",
    "投资主体统一社会信用代码": "investor_credit_code",
    "投资方来源地": "investor_origin",
    "资金来源": "source",
    "投资主体类型": "investor_type",
    "行业门类": "industry_section",
    "行业大类": "industry_division",
    "产业集群": "cluster",
    "产业链": "chain",
    "链上定位": "chain_role",
    "落地单位": "location_unit",
    "计划总投资（万元）": "planned_investment_wan",
    "新建/续建": "construction",
    "预计带动就业（人）": "expected_jobs",
    "包联领导": "responsible_leader",
    "全额财政资金项目": "is_fiscal_funded",
    "原合同内二期项目": "is_second_phase",
    "阶段": "stage",
    "签约类型": "contract_type",
    "签约金额（万元）": "contract_amount_wan",
    "签约日期": "signed_on",
    "开工日期": "started_on",
    "投产/竣工日期": "produced_on",
    "项目简介": "summary",
}
PROJECT_REQUIRED = (
    "项目名称",
    "投资主体",
    "资金来源",
    "投资主体类型",
    "行业门类",
    "落地单位",
    "计划总投资（万元）",
)
STAGE_KEYS = ("stage", "contract_type", "contract_amount_wan", "signed_on", "started_on", "produced_on")
PROJECT_LENGTHS = {
    "项目编号": 30,
    "项目名称": 200,
    "投资主体": 200,
    "投资方来源地": 40,
    "包联领导": 50,
}

FUNDS_COLUMNS: dict[str, str] = {
    "项目编号": "number",
    "月份": "month",
    "本月到位资金（万元）": "amount_wan",
    "其中区外到位资金（万元）": "outside_amount_wan",
    "凭证说明": "evidence_note",
}
FUNDS_REQUIRED = ("项目编号", "月份", "本月到位资金（万元）", "其中区外到位资金（万元）")

IGNORED_HEADERS = frozenset({"序号"})
IMPORTABLE_STAGES = (Stage.LEAD, Stage.NEGOTIATING, Stage.SIGNED, Stage.STARTED, Stage.PRODUCING)
MAX_MONEY_WAN = Decimal("999999999999.99")


@dataclass
class ProjectRow:
    row: int
    number: str
    fields: dict[str, Any]
    initial: dict[str, Any]
    existing: Project | None = None


@dataclass
class FundsRow:
    row: int
    project: Project
    month: dt.date
    amount_wan: Decimal
    outside_amount_wan: Decimal
    evidence_note: str | None
    existing: FundsEntry | None = None


@dataclass
class Plan:
    kind: str
    projects: list[ProjectRow] = field(default_factory=list)
    funds: list[FundsRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def norm(text: str) -> str:
    """Headers and choice labels compare after NFKC (full-width brackets become ASCII) without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split()).strip("*")


# --- the table ----------------------------------------------------------------------------------
def _table(
    filename: str, content: bytes, columns: dict[str, str], required: tuple[str, ...], errors: list[RowError]
) -> list[tuple[int, dict[str, str]]]:
    """The data rows as {header: text}; header problems go to ERRORS (and no rows are returned)."""
    try:
        table = read_table(filename, content)
    except FileError as exc:
        errors.append(RowError(HEADER_ROW, "文件", str(exc)))
        return []
    if not table or not any(table[0][1]):
        errors.append(RowError(HEADER_ROW, "表头", "文件为空，第 1 行应为表头"))
        return []
    known = {norm(h): h for h in columns}
    headers: list[str | None] = []
    for cell in table[0][1]:
        key = norm(cell)
        if not key or key in IGNORED_HEADERS:
            headers.append(None)
        elif key in known:
            headers.append(known[key])
        else:
            headers.append(None)
            errors.append(RowError(HEADER_ROW, "表头", f"无法识别的列“{cell}”"))
    present = [h for h in headers if h]
    for name in required:
        if name not in present:
            errors.append(RowError(HEADER_ROW, "表头", f"缺少列“{name}”"))
    for name in sorted({h for h in present if present.count(h) > 1}):
        errors.append(RowError(HEADER_ROW, "表头", f"列“{name}”重复"))
    if errors:
        return []
    body = [(n, cells) for n, cells in table[1:] if any(cells)]
    if not body:
        errors.append(RowError(HEADER_ROW, "文件", "没有数据行"))
        return []
    if len(body) > MAX_ROWS:
        errors.append(RowError(HEADER_ROW, "文件", f"一次最多导入 {MAX_ROWS} 行，本文件有 {len(body)} 行"))
        return []
    return [
        (n, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h})
        for n, cells in body
    ]


# --- cell parsers (each returns the value, or None after reporting the problem) -----------------
class Row:
    def __init__(self, number: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.number, self.cells, self.errors = number, cells, errors
        self.start = len(errors)

    @property
    def failed(self) -> bool:
        return len(self.errors) > self.start

    def err(self, header: str, message: str) -> None:
        self.errors.append(RowError(self.number, header, message))

    def text(self, header: str, *, required: bool = False) -> str:
        value = self.cells.get(header, "")
        limit = PROJECT_LENGTHS.get(header)
        if required and not value:
            self.err(header, "不能为空")
        elif limit is not None and len(value) > limit:
            self.err(header, f"不能超过{limit}个字")
        return value

    def money(self, header: str, *, required: bool = False) -> Decimal | None:
        value = self.text(header, required=required).replace(",", "")
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.err(header, f"“{value}”不是数字（单位：万元）")
            return None
        if not amount.is_finite() or amount < 0:
            self.err(header, "应为不小于0的数字（单位：万元）")
            return None
        if amount > MAX_MONEY_WAN or amount != amount.quantize(Decimal("0.01")):
            self.err(header, "金额过大或小数超过两位（单位：万元）")
            return None
        return amount.quantize(Decimal("0.01"))

    def integer(self, header: str) -> int | None:
        value = self.text(header)
        if not value:
            return None
        if not value.isdigit() or len(value) > 9:
            self.err(header, f"“{value}”应为不小于0的整数")
            return None
        return int(value)

    def choice(self, header: str, choices: list[tuple[Any, str]], *, required: bool = False) -> Any:
        value = self.text(header, required=required)
        if not value:
            return None
        for code, label in choices:
            if norm(value) in (norm(str(code)), norm(label)):
                return code
        self.err(header, f"“{value}”无效，应为 {'、'.join(label for _, label in choices)} 之一")
        return None

    def flag(self, header: str) -> bool | None:
        value = self.text(header)
        if not value:
            return None
        if value in ("是", "Y", "y", "1", "TRUE", "True", "true"):
            return True
        if value in ("否", "N", "n", "0", "FALSE", "False", "false"):
            return False
        self.err(header, f"“{value}”应为“是”或“否”")
        return None

    def date(self, header: str) -> dt.date | None:
        value = self.text(header)
        if not value:
            return None
        day = parse_date(value)
        if day is None:
            self.err(header, f"“{value}”不是日期，应写作 2026-03-15")
        return day

    def month(self, header: str) -> dt.date | None:
        value = self.text(header, required=True)
        if not value:
            return None
        day = parse_month(value)
        if day is None:
            self.err(header, f"“{value}”不是月份，应写作 2026-03")
        return day


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]00:00(?::00)?)?$")
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


def parse_date(text: str) -> dt.date | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_month(text: str) -> dt.date | None:
    m = _MONTH.match(text.strip())
    if m:
        if not 1 <= int(m[2]) <= 12:
            return None
        return dt.date(int(m[1]), int(m[2]), 1)
    day = parse_date(text)
    return first_of_month(day) if day else None


# --- reference lookups --------------------------------------------------------------------------
class Lookups:
    def __init__(self, actor: Any) -> None:
        scope: Unit | None = getattr(actor, "scope_unit", None)
        units = list(Unit.objects.subtree(scope).filter(kind__in=REPORTING_KINDS)) if scope else []
        self.units: dict[str, list[Unit]] = {}
        for u in units:
            for key in {u.name, u.short_name, u.division_code} - {""}:
                self.units.setdefault(key, []).append(u)
        self.scheme = _scheme_of(scope)
        self.clusters: dict[str, list[IndustryCluster]] = {}
        for c in IndustryCluster.objects.filter(is_active=True):
            self.clusters.setdefault(c.name, []).append(c)
        self.chains: dict[tuple[int, str], IndustryChain] = {
            (ch.cluster_id, ch.name): ch for ch in IndustryChain.objects.filter(is_active=True)
        }

    def unit(self, row: Row, header: str) -> Unit | None:
        text = row.text(header, required=True)
        if not text:
            return None
        found = self.units.get(text, [])
        if len(found) == 1:
            unit = found[0]
            if not unit.is_active:
                row.err(header, "该单位已停用")
                return None
            return unit
        if len(found) > 1:
            row.err(header, f"“{text}”对应多个单位，请填写全称")
        elif Unit.objects.filter(Q(name=text) | Q(short_name=text) | Q(division_code=text)).exists():
            row.err(header, f"“{text}”不是您数据范围内的县市区或园区")
        else:
            row.err(header, f"找不到单位“{text}”")
        return None

    def cluster(self, row: Row, header: str) -> IndustryCluster | None:
        text = row.text(header)
        if not text:
            return None
        found = self.clusters.get(text, [])
        preferred = [c for c in found if c.scheme == self.scheme]
        if len(preferred) == 1:
            return preferred[0]
        if len(found) == 1:
            return found[0]
        if found:
            row.err(header, f"“{text}”在多个产业体系中都有，请联系州级统一本地产业集群名称")
        else:
            row.err(header, f"找不到产业集群“{text}”")
        return None

    def chain(self, row: Row, header: str, cluster: IndustryCluster | None) -> IndustryChain | None:
        text = row.text(header)
        if not text:
            return None
        if cluster is None:
            row.err(header, "填写产业链时请同时填写产业集群")
            return None
        chain = self.chains.get((cluster.pk, text))
        if chain is None:
            row.err(header, f"产业链“{text}”不属于产业集群“{cluster.name}”")
        return chain


def _scheme_of(scope: Unit | None) -> str:
    names = [u.name for u in scope.ancestors()] + [scope.name] if scope is not None else []
    if any("昌吉" in n for n in names):
        return ClusterScheme.CHANGJI
    if any("乌鲁木齐" in n for n in names):
        return ClusterScheme.URUMQI
    return ClusterScheme.REGION


def _section(text: str) -> str | None:
    head = text.split()[0].upper() if text.split() else ""
    if head in SECTIONS:
        return head
    return next((code for code, name in SECTIONS.items() if text == name), None)


def _division(text: str) -> str | None:
    head = text.split()[0] if text.split() else ""
    if head.isdigit() and len(head) <= 2 and head.zfill(2) in DIVISIONS:
        return head.zfill(2)
    return next((code for code, (_, name) in DIVISIONS.items() if text == name), None)


# --- projects -----------------------------------------------------------------------------------
def plan_projects(actor: Any, filename: str, content: bytes) -> Plan:
    plan = Plan("projects")
    body = _table(filename, content, PROJECT_COLUMNS, PROJECT_REQUIRED, plan.errors)
    if not body:
        return plan
    lookups = Lookups(actor)
    numbers = [c.get("项目编号", "") for _, c in body if c.get("项目编号")]
    visible = {p.number: p for p in Project.objects.visible_to(actor).filter(number__in=numbers)}
    taken = set(Project.objects.filter(number__in=numbers).values_list("number", flat=True))
    first_row: dict[str, int] = {}
    for number, cells in body:
        row = Row(number, cells, plan.errors)
        planned = _project_row(row, lookups)
        if planned is None or row.failed:
            continue
        if planned.number:
            if planned.number in first_row:
                row.err("项目编号", f"与第 {first_row[planned.number]} 行重复")
                continue
            first_row[planned.number] = number
            planned.existing = visible.get(planned.number)
            if planned.existing is None and planned.number in taken:
                row.err("项目编号", f"项目编号“{planned.number}”已被您数据范围以外的项目使用")
                continue
        if planned.existing is not None:
            _check_update(row, planned)
        else:
            _check_create(row, planned)
        if not row.failed:
            plan.projects.append(planned)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _project_row(row: Row, lookups: Lookups) -> ProjectRow | None:
    fields: dict[str, Any] = {}
    initial: dict[str, Any] = {}
    number = row.text("项目编号")
    for header in ("项目名称", "投资主体"):
        value = row.text(header, required=True)
        if value:
            fields[PROJECT_COLUMNS[header]] = value
    for header in ("投资主体统一社会信用代码", "投资方来源地", "包联领导", "项目简介"):
        value = row.text(header)
        if value:
            fields[PROJECT_COLUMNS[header]] = value
    for header, choices, required in (
        ("资金来源", Source.choices, True),
        ("投资主体类型", InvestorType.choices, True),
        ("链上定位", ChainRole.choices, False),
        ("新建/续建", Construction.choices, False),
    ):
        value = row.choice(header, choices, required=required)
        if value is not None:
            fields[PROJECT_COLUMNS[header]] = value
    section_text, division_text = row.text("行业门类", required=True), row.text("行业大类")
    section = _section(section_text) if section_text else None
    if section_text and section is None:
        row.err("行业门类", f"“{section_text}”不是国民经济行业分类（GB/T 4754-2017）的门类，应为 A–T")
    if section is not None:
        fields["industry_section"] = section
        fields["sector"] = sector_of_section(section)
    if division_text:
        division = _division(division_text)
        if division is None:
            row.err("行业大类", f"“{division_text}”不是国民经济行业分类（GB/T 4754-2017）的大类（两位数字）")
        elif section is not None and section_of(division) != section:
            row.err("行业大类", f"大类 {division} 不属于门类 {section}")
        else:
            fields["industry_division"] = division
    cluster = lookups.cluster(row, "产业集群")
    if cluster is not None:
        fields["cluster"] = cluster
    chain = lookups.chain(row, "产业链", cluster)
    if chain is not None:
        fields["chain"] = chain
    unit = lookups.unit(row, "落地单位")
    if unit is not None:
        fields["location_unit"] = unit
    planned = row.money("计划总投资（万元）", required=True)
    if planned is not None:
        fields["planned_investment_wan"] = planned
    jobs = row.integer("预计带动就业（人）")
    if jobs is not None:
        fields["expected_jobs"] = jobs
    for header in ("全额财政资金项目", "原合同内二期项目"):
        flag = row.flag(header)
        if flag is not None:
            fields[PROJECT_COLUMNS[header]] = flag
    stage = row.choice("阶段", [(s.value, s.label) for s in IMPORTABLE_STAGES])
    if stage is not None:
        initial["stage"] = stage
    contract = row.choice("签约类型", ContractType.choices)
    if contract is not None:
        initial["contract_type"] = contract
    amount = row.money("签约金额（万元）")
    if amount is not None:
        initial["contract_amount_wan"] = amount
    for header in ("签约日期", "开工日期", "投产/竣工日期"):
        day = row.date(header)
        if day is not None:
            initial[PROJECT_COLUMNS[header]] = day
    if row.failed:
        return None
    return ProjectRow(row.number, number, fields, initial)


STAGE_HEADERS = {
    "stage": "阶段",
    "contract_type": "签约类型",
    "contract_amount_wan": "签约金额（万元）",
    "signed_on": "签约日期",
    "started_on": "开工日期",
    "produced_on": "投产/竣工日期",
}


def _check_update(row: Row, planned: ProjectRow) -> None:
    """An import never moves a project along its stages: the stage columns must match the library."""
    project = planned.existing
    assert project is not None
    for key, value in planned.initial.items():
        current = getattr(project, key)
        if value != current:
            shown = Stage(current).label if key == "stage" else (current if current is not None else "空")
            row.err(
                STAGE_HEADERS[key],
                f"与项目库不一致（项目库为“{shown}”）；已有项目的阶段请在项目页办理阶段变更",
            )


def _check_create(row: Row, planned: ProjectRow) -> None:
    """Dates in a locked month are refused here, with the column they came from."""
    from qinqing.investment.services import assert_period_open

    unit = planned.fields.get("location_unit")
    if unit is None:
        return
    for key in ("signed_on", "started_on", "produced_on"):
        day = planned.initial.get(key)
        if day is None:
            continue
        try:
            assert_period_open(unit.pk, day)
        except ValidationError as exc:
            row.err(STAGE_HEADERS[key], exc.messages[0])


# --- funds --------------------------------------------------------------------------------------
def plan_funds(actor: Any, filename: str, content: bytes) -> Plan:
    from qinqing.investment.services import assert_period_open

    plan = Plan("funds")
    body = _table(filename, content, FUNDS_COLUMNS, FUNDS_REQUIRED, plan.errors)
    if not body:
        return plan
    numbers = {c.get("项目编号", "") for _, c in body}
    projects = {p.number: p for p in Project.objects.visible_to(actor).filter(number__in=numbers)}
    entries = {
        (e.project_id, e.month): e for e in FundsEntry.objects.filter(project__in=list(projects.values()))
    }
    first_row: dict[tuple[int, dt.date], int] = {}
    for number, cells in body:
        row = Row(number, cells, plan.errors)
        code = row.text("项目编号", required=True)
        project = projects.get(code) if code else None
        if code and project is None:
            row.err("项目编号", f"找不到项目编号“{code}”（或不在您的数据范围内）")
        month = row.month("月份")
        amount = row.money("本月到位资金（万元）", required=True)
        outside = row.money("其中区外到位资金（万元）", required=True)
        note = row.text("凭证说明") if "凭证说明" in cells else None
        if note is not None and len(note) > 200:
            row.err("凭证说明", "不能超过200个字")
        if amount is not None and outside is not None and outside > amount:
            row.err("其中区外到位资金（万元）", "区外到位资金不能大于本月到位资金")
        if row.failed or project is None or month is None or amount is None or outside is None:
            continue
        key = (project.pk, month)
        if key in first_row:
            row.err("月份", f"与第 {first_row[key]} 行是同一项目同一月份")
            continue
        first_row[key] = number
        try:
            assert_period_open(project.location_unit_id, month)
        except ValidationError as exc:
            row.err("月份", exc.messages[0])
            continue
        plan.funds.append(FundsRow(number, project, month, amount, outside, note, entries.get(key)))
    plan.errors.sort(key=lambda e: e.row)
    return plan


def error_rows(row: int, exc: ValidationError, headers: dict[str, str], default: str) -> list[RowError]:
    """A service's ValidationError as row errors, with field names shown as column headers."""
    if hasattr(exc, "error_dict"):
        return [
            RowError(row, headers.get(name, default), message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(row, default, message) for message in exc.messages]


PROJECT_HEADERS = {v: k for k, v in PROJECT_COLUMNS.items()} | {"opened_on": "签约日期", "sector": "行业门类"}
FUNDS_HEADERS = {v: k for k, v in FUNDS_COLUMNS.items()}


# --- templates ----------------------------------------------------------------------------------
PROJECT_NOTES: dict[str, str] = {
    "项目编号": "选填；留空则自动编号。填写已有项目的编号时按编号更新该项目，不会重复新增",
    "项目名称": "必填",
    "投资主体": "必填，投资企业全称",
    "投资主体统一社会信用代码": "选填，18位（GB 32100-2015）",
    "投资方来源地": "选填，省份或国家",
    "资金来源": "必填：" + "、".join(Source.labels),
    "投资主体类型": "必填：" + "、".join(InvestorType.labels),
    "行业门类": "必填，如 C 或 制造业（GB/T 4754-2017）",
    "行业大类": "选填，两位代码，如 32",
    "产业集群": "选填，本地产业集群名称（见“代码表”）",
    "产业链": "选填，须属于所填产业集群；填写时须填链上定位",
    "链上定位": "选填：" + "、".join(ChainRole.labels),
    "落地单位": "必填：您数据范围内的县市区或园区全称、简称或行政区划代码",
    "计划总投资（万元）": "必填，万元，最多两位小数",
    "新建/续建": "选填（默认新建）：" + "、".join(Construction.labels),
    "预计带动就业（人）": "选填，整数",
    "包联领导": "选填",
    "全额财政资金项目": "选填：是、否",
    "原合同内二期项目": "选填：是、否",
    "阶段": "选填（默认线索），仅新项目有效："
    + "、".join(s.label for s in IMPORTABLE_STAGES)
    + "；已有项目须与项目库一致",
    "签约类型": "已签约项目必填：" + "、".join(ContractType.labels),
    "签约金额（万元）": "已签约项目必填",
    "签约日期": "阶段为签约及以后时必填，如 2026-03-15；不能落在已报送或已审核锁定的月份",
    "开工日期": "阶段为开工及以后时必填",
    "投产/竣工日期": "阶段为投产/竣工时必填",
    "项目简介": "选填",
}
FUNDS_NOTES: dict[str, str] = {
    "项目编号": "必填，项目库中的项目编号",
    "月份": "必填，如 2026-03；已报送或已审核锁定月份的数据不能导入",
    "本月到位资金（万元）": "必填，万元，最多两位小数",
    "其中区外到位资金（万元）": "必填，不能大于本月到位资金",
    "凭证说明": "选填；同一项目同一月份已有数据时按导入值更新",
}


def template_workbook(kind: str, actor: Any) -> bytes:
    """The import template of KIND (projects/funds): header row, notes per column, code lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from qinqing.core.spreadsheets import workbook_bytes

    columns, required, notes = (
        (PROJECT_COLUMNS, PROJECT_REQUIRED, PROJECT_NOTES)
        if kind == "projects"
        else (FUNDS_COLUMNS, FUNDS_REQUIRED, FUNDS_NOTES)
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "项目" if kind == "projects" else "到位资金"
    for column, header in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(12, len(header) * 2 + 2)
        sheet.cell(row=2, column=column).number_format = "@"
    sheet.freeze_panes = "A2"
    info = workbook.create_sheet("填写说明")
    info.append(["列", "是否必填", "说明"])
    for header in columns:
        info.append([header, "必填" if header in required else "选填", notes[header]])
    info.append([])
    info.append(["第 1 行为表头，请勿修改；从第 2 行起每行一条。任何一行有误时整个文件都不会保存。"])
    info.column_dimensions["A"].width = 24
    info.column_dimensions["C"].width = 90
    if kind == "projects":
        codes = workbook.create_sheet("代码表")
        codes.append(["落地单位", "简称", "行政区划代码", "", "产业集群", "产业链"])
        scope = getattr(actor, "scope_unit", None)
        units = list(Unit.objects.subtree(scope).filter(kind__in=REPORTING_KINDS)) if scope else []
        scheme = _scheme_of(scope)
        chains = [
            (ch.cluster.name, ch.name)
            for ch in IndustryChain.objects.filter(cluster__scheme=scheme, is_active=True).select_related(
                "cluster"
            )
        ]
        for i in range(max(len(units), len(chains))):
            u = units[i] if i < len(units) else None
            c = chains[i] if i < len(chains) else ("", "")
            codes.append(
                [u.name if u else "", u.short_name if u else "", u.division_code if u else "", "", *c]
            )
    return workbook_bytes(workbook)
