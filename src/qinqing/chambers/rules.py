"""The chambers app's reference lists, required materials, registration rules and state tables.

Everything a reviewer or an organisation is told ("why can I not submit?") is phrased here once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"

# --- registration conditions (DOMAIN.md §4) -----------------------------------------------------------
MIN_FOUNDERS = 5
MIN_MEMBERS = 30
MIN_CAPITAL_WAN = Decimal("3")
MAX_TERM_YEARS = 5  # 社会团体理事会、负责人每届任期不超过五年


class OrgKind(models.TextChoices):
    CHAMBER = "chamber", "异地商会"
    OFFICE = "office", "驻乌办事机构"
    OUTPOST = "outpost", "驻外办事机构"


class OrgStatus(models.TextChoices):
    PREPARING = "preparing", "筹备中"
    ACTIVE = "active", "已登记"
    DEREGISTERED = "deregistered", "已注销"
    REVOKED = "revoked", "已撤销"


class AppKind(models.TextChoices):
    REGISTRATION = "registration", "登记备案"
    CHANGE = "change", "变更"
    DEREGISTRATION = "deregistration", "注销"


class AppStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "退回补正"
    APPROVED = "approved", "已核准"
    REFUSED = "refused", "不予核准"
    WITHDRAWN = "withdrawn", "已撤回"


OPEN_APP_STATUSES = (AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.RETURNED)

# The one table of allowed transitions: (state, action) -> (next state, who may do it).
ORG, STAFF = "org", "staff"
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (AppStatus.DRAFT, "submit"): (AppStatus.SUBMITTED, ORG),
    (AppStatus.RETURNED, "submit"): (AppStatus.SUBMITTED, ORG),
    (AppStatus.DRAFT, "withdraw"): (AppStatus.WITHDRAWN, ORG),
    (AppStatus.RETURNED, "withdraw"): (AppStatus.WITHDRAWN, ORG),
    (AppStatus.SUBMITTED, "approve"): (AppStatus.APPROVED, STAFF),
    (AppStatus.SUBMITTED, "return"): (AppStatus.RETURNED, STAFF),
    (AppStatus.SUBMITTED, "refuse"): (AppStatus.REFUSED, STAFF),
}
ACTION_LABELS = {
    "create": "创建申请",
    "submit": "提交申请",
    "withdraw": "撤回申请",
    "approve": "核准",
    "return": "退回补正",
    "refuse": "不予核准",
    "upload": "上传材料",
    "revoke": "撤销登记",
    "error": "登记差错更正",
    "officers": "负责人变更",
    "certificate": "颁发证书",
    "supersede": "证书换发",
    "void": "证书作废",
    "open_account": "开通账号",
    "import_members": "导入会员名册",
    "annual_submit": "报送年度报告",
    "annual_return": "退回年度报告",
    "annual_conclude": "年检结论",
    "rectification": "提交整改报告",
}
# The state of the organisation each application kind needs.
KIND_NEEDS_ORG_STATUS = {
    AppKind.REGISTRATION: (OrgStatus.PREPARING,),
    AppKind.CHANGE: (OrgStatus.ACTIVE,),
    AppKind.DEREGISTRATION: (OrgStatus.ACTIVE,),
}

# --- required materials per organisation kind and application kind ------------------------------------
MATERIALS: dict[tuple[str, str], list[tuple[str, str]]] = {
    (OrgKind.CHAMBER, AppKind.REGISTRATION): [
        ("founders_ids", "发起人身份证明及营业执照"),
        ("roster", "会员名册"),
        ("charter", "章程草案"),
        ("premises", "住所使用权证明"),
        ("capital", "验资报告"),
        ("officers", "拟任负责人名单及简历"),
        ("origin_approval", "原籍地政府（或商会）同意函"),
    ],
    (OrgKind.OFFICE, AppKind.REGISTRATION): [
        ("approval", "派出单位设立批准文件"),
        ("head", "负责人任命文件及身份证明"),
        ("premises", "办公场所证明"),
        ("tasks", "工作职责与任务说明"),
    ],
    (OrgKind.OUTPOST, AppKind.REGISTRATION): [
        ("approval", "设立批准文件"),
        ("tasks", "招商任务书"),
        ("head", "负责人任命文件"),
    ],
}
CHANGE_MATERIALS = [("resolution", "会员（代表）大会或理事会决议"), ("change_proof", "变更事项证明材料")]
DEREGISTRATION_MATERIALS = [("resolution", "注销决议"), ("liquidation", "清算报告")]


def required_materials(org_kind: str, app_kind: str) -> list[tuple[str, str]]:
    if app_kind == AppKind.CHANGE:
        return CHANGE_MATERIALS
    if app_kind == AppKind.DEREGISTRATION:
        return DEREGISTRATION_MATERIALS
    return MATERIALS[(org_kind, app_kind)]


# Fields an organisation may ask to change (shown before/after to the reviewer).
CHANGEABLE_FIELDS = (
    "name",
    "address",
    "premises_owned",
    "capital_wan",
    "contact_name",
    "contact_mobile",
    "charter",
    "sending_body",
    "tasks_scope",
    "reporting_line",
    "admin_rank",
    "staffing",
    "head_name",
    "investment_tasks",
)
# Of those, the ones printed on the certificate: a change of one re-issues it.
CERTIFICATE_FIELDS = frozenset({"name", "address", "head_name"})


# --- annual inspection -------------------------------------------------------------------------------
class ReportStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未报送"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "已退回"
    CONCLUDED = "concluded", "已结论"


class Conclusion(models.TextChoices):
    PASS = "pass", "合格"
    BASIC = "basic", "基本合格"
    FAIL = "fail", "不合格"


NEEDS_RECTIFICATION = frozenset({Conclusion.BASIC, Conclusion.FAIL})
RECTIFICATION_WORKING_DAYS = 20

# The sections of the annual report (社会团体年度检查办法): key, label, whether a figure in 元.
REPORT_SECTIONS: list[tuple[str, str]] = [
    ("basic", "基本情况（名称、住所、负责人、会员数变化）"),
    ("activities", "业务活动情况（开展的主要活动、服务会员、助力招商）"),
    ("finance", "财务状况（收入、支出、净资产）"),
    ("governance", "内部治理（会员大会、理事会召开情况，换届情况）"),
    ("party", "党建工作情况"),
    ("plans", "下一年度工作计划"),
]
FINANCE_FIELDS = (
    ("income_yuan", "年度收入（元）"),
    ("expense_yuan", "年度支出（元）"),
    ("net_assets_yuan", "净资产（元）"),
)


def default_deadline(year: int) -> dt.date:
    """Reports on year YEAR are due by 31 March of the next year."""
    return dt.date(year + 1, 3, 31)


class CertStatus(models.TextChoices):
    VALID = "valid", "有效"
    SUPERSEDED = "superseded", "已换发"
    VOID = "void", "已作废"


CERT_TITLES = {
    OrgKind.CHAMBER: "异地商会登记备案证书",
    OrgKind.OFFICE: "驻乌办事机构登记证书",
    OrgKind.OUTPOST: "驻外办事机构备案证书",
}


def serial_for(year: int, seq: int) -> str:
    """乌商备 serials: the year and a four-digit (or longer) sequence, e.g. 2026-0007."""
    return f"{year}-{seq:04d}"


class Light(models.TextChoices):
    GREEN = "green", "正常"
    YELLOW = "yellow", "临期"
    RED = "red", "超期"
    NONE = "none", "—"
