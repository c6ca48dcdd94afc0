"""Investment promotion (招商引资): project library, stages, funds in place, monthly reports, targets.

Money is in 万元 (``*_wan``) unless a field says 亿元 (``*_yi``). Cumulative funds are never stored: they
are sums of the monthly entries (queries.py). Every change goes through services.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet
from qinqing.enterprises.industries import DIVISION_CHOICES, SECTION_CHOICES, section_of
from qinqing.orgs.models import UnitKind

ZERO = Decimal("0")
WAN_PER_YI = Decimal("10000")


# --- reference lists ----------------------------------------------------------------------------
class ClusterScheme(models.TextChoices):
    REGION = "region", "自治区十大产业集群"
    CHANGJI = "changji", "昌吉州“15+4”产业体系"
    URUMQI = "urumqi", "乌鲁木齐市“6+4”产业体系"


class IndustryCluster(models.Model):
    """A local industry cluster (configurable list; seeded by migration 0002)."""

    scheme = models.CharField("体系", max_length=10, choices=ClusterScheme.choices)
    category = models.CharField(
        "类别", max_length=20, blank=True, help_text="如 优势产业 / 新兴产业 / 未来产业"
    )
    name = models.CharField("产业集群", max_length=60)
    ordering = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "产业集群"
        verbose_name_plural = "产业集群"
        ordering = ["scheme", "ordering", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "name"], name="cluster_scheme_name_unique")]

    def __str__(self) -> str:
        return self.name


class IndustryChain(models.Model):
    cluster = models.ForeignKey(
        IndustryCluster, verbose_name="产业集群", on_delete=models.PROTECT, related_name="chains"
    )
    name = models.CharField("产业链", max_length=60)
    ordering = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "产业链"
        verbose_name_plural = "产业链"
        ordering = ["cluster", "ordering", "id"]
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="chain_cluster_name_unique")]

    def __str__(self) -> str:
        return self.name


class InvestmentSettings(models.Model):
    """Counting rules and thresholds (one row, pk=1); documented in docs/metrics.md."""

    count_first_signing_only = models.BooleanField("项目仅在首次签约时计入", default=True)
    count_increase_only = models.BooleanField("增资项目仅计新增部分", default=True)
    exclude_local_investors = models.BooleanField("不计区内投资主体项目", default=True)
    exclude_fiscal_funded = models.BooleanField("不计全额财政资金项目", default=True)
    exclude_second_phase = models.BooleanField("不计原合同内二期项目", default=True)
    new_signing_industrial_min_wan = models.DecimalField(
        "新签约门槛：工业项目（万元）", max_digits=14, decimal_places=2, default=Decimal("3000")
    )
    new_signing_other_min_wan = models.DecimalField(
        "新签约门槛：其他项目（万元）", max_digits=14, decimal_places=2, default=Decimal("10000")
    )
    report_deadline_working_days = models.PositiveSmallIntegerField("月报截止：次月第几个工作日", default=5)
    light_yellow_points = models.DecimalField(
        "黄灯：落后时序（百分点）超过", max_digits=5, decimal_places=1, default=10
    )
    light_red_points = models.DecimalField(
        "红灯：落后时序（百分点）超过", max_digits=5, decimal_places=1, default=30
    )
    stall_days = models.PositiveIntegerField("阶段停滞预警（天）", default=180)
    score_full_marks = models.DecimalField("功效系数法单项满分", max_digits=6, decimal_places=2, default=25)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "招商统计口径设置"
        verbose_name_plural = "招商统计口径设置"

    def __str__(self) -> str:
        return "招商统计口径设置"

    @classmethod
    def current(cls) -> InvestmentSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def clean(self) -> None:
        if self.light_red_points <= self.light_yellow_points:
            raise ValidationError({"light_red_points": "红灯阈值应大于黄灯阈值"})
        if self.report_deadline_working_days < 1:
            raise ValidationError({"report_deadline_working_days": "至少为1个工作日"})


# --- projects -----------------------------------------------------------------------------------
class Stage(models.TextChoices):
    LEAD = "lead", "线索"
    NEGOTIATING = "negotiating", "在谈"
    SIGNED = "signed", "签约"
    STARTED = "started", "开工"
    PRODUCING = "producing", "投产/竣工"
    TERMINATED = "terminated", "终止"


STAGE_ORDER = [Stage.LEAD, Stage.NEGOTIATING, Stage.SIGNED, Stage.STARTED, Stage.PRODUCING]


class Source(models.TextChoices):
    OTHER_PROVINCE = "province", "外省"
    AID_XINJIANG = "aid", "对口援疆省市"
    OVERSEAS = "overseas", "境外"
    LOCAL = "local", "区内"


class InvestorType(models.TextChoices):
    STATE = "state", "国有"
    CENTRAL = "central", "央企"
    PRIVATE = "private", "民营"
    FOREIGN = "foreign", "外资"
    HMT = "hmt", "港澳台"


class Sector(models.IntegerChoices):
    PRIMARY = 1, "第一产业"
    SECONDARY = 2, "第二产业"
    TERTIARY = 3, "第三产业"


def sector_of_section(section: str) -> int:
    if section == "A":
        return Sector.PRIMARY
    if section in {"B", "C", "D", "E"}:
        return Sector.SECONDARY
    return Sector.TERTIARY


class ChainRole(models.TextChoices):
    BUILD = "build", "建链"
    FILL = "fill", "补链"
    STRENGTHEN = "strengthen", "强链"
    EXTEND = "extend", "延链"


class ContractType(models.TextChoices):
    FRAMEWORK = "framework", "框架协议"
    FORMAL = "formal", "正式合同"


class Construction(models.TextChoices):
    NEW = "new", "新建"
    CONTINUING = "continuing", "续建"


class PublishStatus(models.TextChoices):
    NONE = "none", "不公开"
    PENDING = "pending", "待审核"
    PUBLISHED = "published", "已公开"
    REJECTED = "rejected", "未通过"


class SizeBand(models.IntegerChoices):
    """By planned total investment; 亿元以上 = bands 1–4."""

    UNDER_1YI = 0, "1亿元以下"
    YI_1_5 = 1, "1亿—5亿元"
    YI_5_10 = 2, "5亿—10亿元"
    YI_10_100 = 3, "10亿—100亿元"
    YI_100_UP = 4, "100亿元以上"


def size_band_of(amount_wan: Decimal) -> int:
    yi = amount_wan / WAN_PER_YI
    if yi >= 100:
        return SizeBand.YI_100_UP
    if yi >= 10:
        return SizeBand.YI_10_100
    if yi >= 5:
        return SizeBand.YI_5_10
    if yi >= 1:
        return SizeBand.YI_1_5
    return SizeBand.UNDER_1YI


REPORTING_KINDS = (UnitKind.COUNTY, UnitKind.PARK)


class ProjectQuerySet(ScopedQuerySet["Project"]):
    pass


def _money(verbose: str, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose, max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)], **kwargs
    )


class Project(models.Model):
    number = models.CharField("项目编号", max_length=30, unique=True)
    name = models.CharField("项目名称", max_length=200, db_index=True)
    # investor: a registered enterprise, or an external investor described by name/code/origin
    investor_enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="投资主体（企业库）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investment_projects",
    )
    investor_name = models.CharField("投资主体名称", max_length=200)
    investor_credit_code = models.CharField("投资主体统一社会信用代码", max_length=18, blank=True)
    investor_origin = models.CharField("投资方来源地（省份/国家）", max_length=40, blank=True)
    source = models.CharField("资金来源", max_length=10, choices=Source.choices)
    investor_type = models.CharField("投资主体类型", max_length=10, choices=InvestorType.choices)
    sector = models.PositiveSmallIntegerField("三次产业", choices=Sector.choices)
    industry_section = models.CharField("行业门类", max_length=1, choices=SECTION_CHOICES)
    industry_division = models.CharField("行业大类", max_length=2, choices=DIVISION_CHOICES, blank=True)
    cluster = models.ForeignKey(
        IndustryCluster, verbose_name="产业集群", null=True, blank=True, on_delete=models.PROTECT
    )
    chain = models.ForeignKey(
        IndustryChain, verbose_name="产业链", null=True, blank=True, on_delete=models.PROTECT
    )
    chain_role = models.CharField("链上定位", max_length=12, choices=ChainRole.choices, blank=True)
    location_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="落地县市/园区",
        on_delete=models.PROTECT,
        related_name="investment_projects",
    )
    planned_investment_wan = _money("计划总投资（万元）")
    contract_type = models.CharField("签约类型", max_length=10, choices=ContractType.choices, blank=True)
    contract_amount_wan = _money("签约金额（万元）", null=True, blank=True)
    construction = models.CharField("新建/续建", max_length=10, choices=Construction.choices, default="new")
    expected_jobs = models.PositiveIntegerField("预计带动就业（人）", default=0)
    responsible_leader = models.CharField("包联领导", max_length=50, blank=True)
    responsible_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # counting attributes (docs/metrics.md)
    capital_increase_of = models.ForeignKey(
        "self",
        verbose_name="增资的原项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="increases",
    )
    increase_amount_wan = _money("新增投资（万元，增资项目）", null=True, blank=True)
    is_fiscal_funded = models.BooleanField("全额财政资金项目", default=False)
    is_second_phase = models.BooleanField("原合同内二期项目", default=False)
    # stage and its dates (history in StageChange)
    stage = models.CharField("阶段", max_length=12, choices=Stage.choices, default=Stage.LEAD)
    stage_since = models.DateField("进入当前阶段日期")
    first_signed_on = models.DateField("首次签约日期", null=True, blank=True)
    signed_on = models.DateField("签约日期", null=True, blank=True)
    started_on = models.DateField("开工日期", null=True, blank=True)
    produced_on = models.DateField("投产/竣工日期", null=True, blank=True)
    terminated_on = models.DateField("终止日期", null=True, blank=True)
    termination_reason = models.CharField("终止原因", max_length=200, blank=True)
    # derived at save time from the amounts (indexed filters)
    size_band = models.PositiveSmallIntegerField("规模", choices=SizeBand.choices, default=0)
    # public catalogue
    publish_status = models.CharField(
        "公开发布", max_length=10, choices=PublishStatus.choices, default=PublishStatus.NONE
    )
    publish_comment = models.CharField("发布审核意见", max_length=200, blank=True)
    summary = models.TextField("项目简介", blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope = Scope(unit="location_unit")
    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "招商项目"
        verbose_name_plural = "招商项目"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["location_unit", "stage"]),
            models.Index(fields=["stage", "stage_since"]),
            models.Index(fields=["cluster"]),
            models.Index(fields=["chain"]),
            models.Index(fields=["source"]),
            models.Index(fields=["investor_type"]),
            models.Index(fields=["size_band"]),
            models.Index(fields=["construction"]),
            models.Index(fields=["first_signed_on"]),
            models.Index(fields=["publish_status"]),
            models.Index(fields=["-created_at", "-id"], name="inv_project_recent"),
            # the dashboard's stalled list (ORDER BY stage_since, id LIMIT 20) reads it in order
            models.Index(fields=["stage_since", "id"], name="inv_project_stage_since"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.size_band = size_band_of(self.planned_investment_wan or ZERO)
        if self.stage_since is None:
            self.stage_since = timezone.localdate()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.location_unit_id and self.location_unit.kind not in REPORTING_KINDS:
            errors["location_unit"] = "落地单位应为县市区或园区"
        if self.industry_division and section_of(self.industry_division) != self.industry_section:
            errors["industry_division"] = (
                f"行业大类 {self.industry_division} 不属于门类 {self.industry_section}"
            )
        if self.chain is not None and self.cluster_id and self.chain.cluster_id != self.cluster_id:
            errors["chain"] = "产业链不属于所选产业集群"
        if self.chain_id and not self.chain_role:
            errors["chain_role"] = "请选择链上定位（建链/补链/强链/延链）"
        if self.capital_increase_of_id is not None:
            if self.increase_amount_wan is None:
                errors["increase_amount_wan"] = "增资项目请填写新增投资"
            elif (
                self.planned_investment_wan is not None
                and self.increase_amount_wan > self.planned_investment_wan
            ):
                errors["increase_amount_wan"] = "新增投资不能大于计划总投资"
            if self.pk and self.capital_increase_of_id == self.pk:
                errors["capital_increase_of"] = "原项目不能是本项目"
        elif self.increase_amount_wan is not None:
            errors["increase_amount_wan"] = "只有增资项目填写新增投资"
        if self.investor_enterprise_id is None and not self.investor_name.strip():
            errors["investor_name"] = "请填写投资主体"
        if self.investor_credit_code:
            from qinqing.enterprises import creditcode

            result = creditcode.check(self.investor_credit_code)
            if result.ok:
                self.investor_credit_code = result.code
            else:
                errors["investor_credit_code"] = result.error or "统一社会信用代码有误"
        if errors:
            raise ValidationError(errors)

    @property
    def counted_amount_wan(self) -> Decimal:
        """The amount that counts towards newly signed investment (capital increases: the added part)."""
        if self.capital_increase_of_id is not None and self.increase_amount_wan is not None:
            return self.increase_amount_wan
        return self.planned_investment_wan

    @property
    def is_industrial(self) -> bool:
        return self.sector == Sector.SECONDARY and self.industry_section in {"B", "C", "D"}


class StageChange(models.Model):
    """The stage history: one row per transition (the first row is the project's creation)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField("原阶段", max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField("新阶段", max_length=12, choices=Stage.choices)
    contract_type = models.CharField("签约类型", max_length=10, choices=ContractType.choices, blank=True)
    effective_on = models.DateField("发生日期")
    note = models.CharField("说明", max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        verbose_name = "阶段变更"
        verbose_name_plural = "阶段变更"
        ordering = ["project", "effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"


class Negotiation(models.Model):
    """洽谈记录."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="negotiations")
    held_on = models.DateField("洽谈日期")
    people = models.CharField("参加人员", max_length=200)
    content = models.TextField("洽谈内容")
    next_step = models.CharField("下一步", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "洽谈记录"
        verbose_name_plural = "洽谈记录"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.people}"

    def clean(self) -> None:
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": "洽谈日期不能晚于今天"})


class Attachment(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField("附件名称", max_length=100)
    file = models.FileField("文件", upload_to="investment/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "项目附件"
        verbose_name_plural = "项目附件"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title


# --- funds in place -----------------------------------------------------------------------------
class FundsEntryQuerySet(ScopedQuerySet["FundsEntry"]):
    pass


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


class FundsEntry(models.Model):
    """Funds in place for one project and one month (万元). Cumulative values are derived."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="funds")
    # denormalised from the project for scoping and aggregation over millions of rows
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", editable=False)
    month = models.DateField("月份", help_text="该月1日")
    amount_wan = _money("本月到位资金（万元）")
    outside_amount_wan = _money("其中区外到位资金（万元）")
    evidence = models.FileField("到位凭证", upload_to="investment/funds/%Y/", blank=True)
    evidence_note = models.CharField("凭证说明", max_length=200, blank=True)
    warnings = models.JSONField("预警", default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = FundsEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "到位资金"
        verbose_name_plural = "到位资金"
        ordering = ["-month", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="funds_project_month_unique")
        ]
        indexes = [models.Index(fields=["month", "unit"]), models.Index(fields=["unit", "month"])]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.month and self.month.day != 1:
            self.month = first_of_month(self.month)
        if self.month and self.month > first_of_month(timezone.localdate()):
            errors["month"] = "不能填报未来月份"
        if (
            self.amount_wan is not None
            and self.outside_amount_wan is not None
            and self.outside_amount_wan > self.amount_wan
        ):
            errors["outside_amount_wan"] = "区外到位资金不能大于本月到位资金"
        if errors:
            raise ValidationError(errors)


# --- monthly reports ----------------------------------------------------------------------------
class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核（锁定）"
    REOPENED = "reopened", "已重新开放"


EDITABLE_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED, ReportStatus.REOPENED)


class MonthlyReportQuerySet(ScopedQuerySet["MonthlyReport"]):
    pass


class MonthlyReport(models.Model):
    unit = models.ForeignKey("orgs.Unit", verbose_name="报送单位", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("统计月份", help_text="该月1日")
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    remarks = models.TextField("情况说明", blank=True)
    review_comment = models.TextField("审核意见", blank=True)
    deadline = models.DateField("报送截止日期")
    deadline_provisional = models.BooleanField("截止日期为暂定（节假日安排未公布）", default=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope = Scope(unit="unit")
    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = "招商月报"
        verbose_name_plural = "招商月报"
        ordering = ["-month", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="report_unit_month_unique")]
        indexes = [models.Index(fields=["month", "status"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y年%m月}招商月报"

    @property
    def is_late(self) -> bool:
        if self.submitted_at is None:
            return timezone.localdate() > self.deadline
        return timezone.localtime(self.submitted_at).date() > self.deadline

    @property
    def is_locked(self) -> bool:
        return self.status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


class ReportLine(models.Model):
    """One project's figures in a monthly report, frozen when the report is prepared/submitted."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="lines")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    cluster = models.ForeignKey(IndustryCluster, null=True, on_delete=models.PROTECT, related_name="+")
    project_name = models.CharField(max_length=200)
    construction = models.CharField(max_length=10, choices=Construction.choices)
    stage = models.CharField(max_length=12, choices=Stage.choices)
    in_execution = models.BooleanField("落实执行项目", default=False)
    counted = models.BooleanField("计入统计", default=True)
    new_signing_month = models.BooleanField("本月新签约", default=False)
    new_signing_ytd = models.BooleanField("本年新签约", default=False)
    yi_plus = models.BooleanField("亿元以上", default=False)
    signed_amount_wan = _money("新签约计入金额（万元）", default=ZERO)
    started_month = models.BooleanField("本月新开工", default=False)
    started_ytd = models.BooleanField("本年新开工", default=False)
    produced_month = models.BooleanField("本月投产", default=False)
    produced_ytd = models.BooleanField("本年投产", default=False)
    funds_month_wan = _money("本月到位资金（万元）", default=ZERO)
    funds_ytd_wan = _money("本年累计到位资金（万元）", default=ZERO)
    outside_month_wan = _money("本月区外到位资金（万元）", default=ZERO)
    outside_ytd_wan = _money("本年累计区外到位资金（万元）", default=ZERO)

    class Meta:
        verbose_name = "月报明细"
        verbose_name_plural = "月报明细"
        ordering = ["report", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "project"], name="line_report_project_unique")
        ]

    def __str__(self) -> str:
        return self.project_name


# --- targets ------------------------------------------------------------------------------------
class Indicator(models.TextChoices):
    OUTSIDE_FUNDS = "outside_funds", "引进区外到位资金（亿元）"
    IN_EXECUTION = "in_execution", "落实执行项目（个）"
    NEW_YI_PROJECTS = "new_yi", "新签约亿元以上项目（个）"
    NEW_SIGNINGS = "new_signings", "新签约项目（个）"


class TargetQuerySet(ScopedQuerySet["Target"]):
    pass


class Target(models.Model):
    year = models.PositiveSmallIntegerField("年度")
    unit = models.ForeignKey("orgs.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField("指标", max_length=16, choices=Indicator.choices)
    value = models.DecimalField(
        "目标值", max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(unit="unit")
    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        ordering = ["year", "unit__path", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit", "indicator"], name="target_year_unit_indicator_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit} {self.get_indicator_display()}"


# --- pre-aggregated funds (kept by the funds services; docs/investment.md) ----------------------
MONTHS = range(1, 13)


class ProjectYearFunds(models.Model):
    """The funds entries of one project, unit and calendar year as one row: the twelve monthly amounts
    and 区外 amounts, and a bit per month with an entry (bit m-1 for month m). Derived data, never edited:
    the funds services rewrite the row in the entry's transaction (aggregates.refresh) and
    ``qinqing investment_rebuild_aggregates`` rebuilds and verifies the table. ``unit`` is the entries'
    (denormalised) unit, so scoping matches the funds rows exactly; breakdown keys and counting exclusions
    are read from the project at query time, so project edits need no upkeep here."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    months = models.PositiveIntegerField(default=0, help_text="bit m-1 set when month m has an entry")
    a01 = _money("1月", default=ZERO)
    a02 = _money("2月", default=ZERO)
    a03 = _money("3月", default=ZERO)
    a04 = _money("4月", default=ZERO)
    a05 = _money("5月", default=ZERO)
    a06 = _money("6月", default=ZERO)
    a07 = _money("7月", default=ZERO)
    a08 = _money("8月", default=ZERO)
    a09 = _money("9月", default=ZERO)
    a10 = _money("10月", default=ZERO)
    a11 = _money("11月", default=ZERO)
    a12 = _money("12月", default=ZERO)
    o01 = _money("1月区外", default=ZERO)
    o02 = _money("2月区外", default=ZERO)
    o03 = _money("3月区外", default=ZERO)
    o04 = _money("4月区外", default=ZERO)
    o05 = _money("5月区外", default=ZERO)
    o06 = _money("6月区外", default=ZERO)
    o07 = _money("7月区外", default=ZERO)
    o08 = _money("8月区外", default=ZERO)
    o09 = _money("9月区外", default=ZERO)
    o10 = _money("10月区外", default=ZERO)
    o11 = _money("11月区外", default=ZERO)
    o12 = _money("12月区外", default=ZERO)

    class Meta:
        verbose_name = "项目年度到位资金汇总"
        verbose_name_plural = "项目年度到位资金汇总"
        constraints = [
            models.UniqueConstraint(fields=["project", "unit", "year"], name="pyf_project_unit_year_unique")
        ]
        indexes = [models.Index(fields=["year", "unit"], name="pyf_year_unit")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.unit_id} {self.year}"
