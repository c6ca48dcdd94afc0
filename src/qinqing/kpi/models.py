"""Budget performance targets (项目支出绩效目标表), their year-end self-evaluation (绩效自评), and the
operations records (故障记录, 运维请求) behind the platform's fault rate, repair and response times."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet
from qinqing.orgs.models import Unit

ZERO = Decimal(0)


def _dec(label: str, **kw: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kw)


# --- budget projects and their indicators ---------------------------------------------------------
class BudgetProjectQuerySet(ScopedQuerySet["BudgetProject"]):
    pass


class BudgetProject(models.Model):
    """One 项目支出 of a unit's annual budget with its 绩效目标表."""

    code = models.SlugField(
        "项目编码", max_length=40, unique=True, help_text="导入导出时识别项目，如 2021-cj-platform"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    unit = models.ForeignKey("orgs.Unit", verbose_name="预算单位", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("项目名称", max_length=100)
    funds_total_wan = _dec("年度资金总额（万元）", validators=[MinValueValidator(ZERO)])
    funds_fiscal_wan = _dec("其中：财政拨款（万元）", default=ZERO, validators=[MinValueValidator(ZERO)])
    funds_other_wan = _dec("其他资金（万元）", default=ZERO, validators=[MinValueValidator(ZERO)])
    goal = models.TextField("项目总体目标", blank=True)
    # Entered at year end for the self-evaluation (预算执行率 = 执行数 ÷ 全年预算数).
    executed_wan = _dec("全年执行数（万元）", null=True, blank=True, validators=[MinValueValidator(ZERO)])
    summary = models.TextField("总体目标完成情况", blank=True)
    ordering = models.PositiveSmallIntegerField("排序", default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(unit="unit")
    objects = BudgetProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "预算项目"
        verbose_name_plural = "预算项目"
        ordering = ["-year", "unit__path", "ordering", "id"]
        indexes = [models.Index(fields=["year", "unit"])]

    def __str__(self) -> str:
        return f"{self.year}年 {self.name}"

    def clean(self) -> None:
        if (
            self.funds_total_wan is not None
            and (self.funds_fiscal_wan or ZERO) + (self.funds_other_wan or ZERO) != self.funds_total_wan
        ):
            raise ValidationError({"funds_total_wan": "年度资金总额应等于财政拨款与其他资金之和"})

    @property
    def measure_unit(self) -> Unit:
        """The subtree the platform metrics are computed over: a lead office (统筹本级) measures its
        parent's whole area, any other unit its own subtree."""
        unit = self.unit
        if unit.coordinates_parent and unit.parent is not None:
            return unit.parent
        return unit

    @property
    def execution_rate(self) -> Decimal | None:
        """预算执行率 (%), 2 decimals, or None before the executed amount is entered."""
        if self.executed_wan is None or not self.funds_total_wan:
            return None
        return (self.executed_wan * 100 / self.funds_total_wan).quantize(Decimal("0.01"))


class Level1(models.TextChoices):
    OUTPUT = "产出指标", "产出指标"
    EFFECT = "效益指标", "效益指标"
    SATISFACTION = "满意度指标", "满意度指标"


class Operator(models.TextChoices):
    GE = "ge", "≥"
    LE = "le", "≤"
    EQ = "eq", "="
    QUALITATIVE = "qual", "定性"


class Source(models.TextChoices):
    METRIC = "metric", "平台指标"
    MANUAL = "manual", "人工填报"
    JUDGED = "judged", "定性评判"


class Judgement(models.TextChoices):
    MET = "met", "达成年度指标"
    PARTLY = "partly", "部分达成年度指标并具有一定效果"
    NOT_MET = "not_met", "未达成年度指标且效果较差"


# 财预〔2020〕10号 附件2: qualitative items score within these bands of their points (percent).
JUDGEMENT_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    Judgement.MET: (Decimal(80), Decimal(100)),
    Judgement.PARTLY: (Decimal(60), Decimal(80)),
    Judgement.NOT_MET: (Decimal(0), Decimal(60)),
}
JUDGEMENT_DEFAULT_PCT: dict[str, Decimal] = {
    Judgement.MET: Decimal(100),
    Judgement.PARTLY: Decimal(70),
    Judgement.NOT_MET: Decimal(30),
}


class IndicatorQuerySet(ScopedQuerySet["Indicator"]):
    pass


class Indicator(models.Model):
    """One row of the 绩效目标表 (一级/二级/三级指标, operator and target) and its self-evaluation."""

    project = models.ForeignKey(BudgetProject, on_delete=models.CASCADE, related_name="indicators")
    level1 = models.CharField("一级指标", max_length=10, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=30)
    name = models.CharField("三级指标", max_length=100)
    target_text = models.CharField("指标值（原文）", max_length=60, blank=True)
    operator = models.CharField("比较", max_length=4, choices=Operator.choices)
    target_value = models.DecimalField("年度指标值", max_digits=14, decimal_places=4, null=True, blank=True)
    value_unit = models.CharField("计量单位", max_length=10, blank=True)
    points = _dec("分值", default=ZERO, validators=[MinValueValidator(ZERO)])
    source = models.CharField("数据来源", max_length=8, choices=Source.choices)
    metric = models.CharField("平台指标名", max_length=60, blank=True)
    # Manual figures and judgements (the self-evaluation's inputs).
    manual_value = models.DecimalField(
        "实际完成值（填报）", max_digits=14, decimal_places=4, null=True, blank=True
    )
    evidence = models.CharField("佐证材料", max_length=300, blank=True)
    judgement = models.CharField("定性评判", max_length=8, choices=Judgement.choices, blank=True)
    judged_pct = _dec("评判得分比例（%）", null=True, blank=True)
    deviation = models.TextField("偏差原因及改进措施", blank=True)
    ordering = models.PositiveSmallIntegerField("排序", default=0)

    scope = Scope(unit="project__unit")
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "绩效指标"
        ordering = ["project", "ordering", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.target_text}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.operator == Operator.QUALITATIVE:
            if self.source != Source.JUDGED:
                errors["source"] = "定性指标只能定性评判"
        else:
            if self.target_value is None:
                errors["target_value"] = "定量指标须填写年度指标值"
            if self.source == Source.JUDGED:
                errors["source"] = "定量指标应来自平台指标或人工填报"
        if self.source == Source.METRIC and not self.metric:
            errors["metric"] = "请填写平台指标名"
        if self.source != Source.METRIC and self.metric:
            errors["metric"] = "只有来源为平台指标时填写指标名"
        if self.judged_pct is not None:
            if not self.judgement:
                errors["judged_pct"] = "请先选择定性评判"
            else:
                lo, hi = JUDGEMENT_BANDS[self.judgement]
                inside = (
                    lo <= self.judged_pct <= hi
                    if self.judgement == Judgement.MET
                    else lo <= self.judged_pct < hi
                )
                if not inside:
                    errors["judged_pct"] = f"“{self.get_judgement_display()}”的得分比例应在 {lo}%–{hi}% 之间"
        if errors:
            raise ValidationError(errors)


# --- operations: incidents and maintenance requests ----------------------------------------------
class System(models.TextChoices):
    PLATFORM = "platform", "营商环境管理系统"
    MINIPROGRAM = "miniprogram", "招商小程序"


class DetectedBy(models.TextChoices):
    PROBE = "probe", "可用性探测"
    STAFF = "staff", "运维人员"
    USER = "user", "用户报告"


class Incident(models.Model):
    """故障记录: a span of time during which (part of) a system was unavailable."""

    system = models.CharField("系统", max_length=12, choices=System.choices, default=System.PLATFORM)
    started_at = models.DateTimeField("故障开始", default=timezone.now)
    ended_at = models.DateTimeField("恢复时间", null=True, blank=True)
    detected_by = models.CharField("发现方式", max_length=6, choices=DetectedBy.choices)
    probe_check = models.CharField("探测项", max_length=12, blank=True, help_text="site / database / queue")
    affected = models.CharField("影响功能", max_length=200)
    cause = models.TextField("故障原因", blank=True)
    fix = models.TextField("处理措施", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = "故障记录"
        verbose_name_plural = "故障记录"
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["system", "started_at"]),
            models.Index(fields=["detected_by", "probe_check", "ended_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="kpi_incident_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.affected} {self.started_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.ended_at is not None and self.started_at and self.ended_at < self.started_at:
            raise ValidationError({"ended_at": "恢复时间不能早于故障开始时间"})

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class MaintenanceRequest(models.Model):
    """运维请求: raised by a user or office, first answered, then resolved."""

    system = models.CharField("系统", max_length=12, choices=System.choices, default=System.PLATFORM)
    title = models.CharField("事项", max_length=200)
    description = models.TextField("说明", blank=True)
    raised_at = models.DateTimeField("提出时间", default=timezone.now)
    raised_by_name = models.CharField("提出人", max_length=50, blank=True)
    first_response_at = models.DateTimeField("首次响应", null=True, blank=True)
    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)
    resolution = models.TextField("处理结果", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = "运维请求"
        verbose_name_plural = "运维请求"
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["system", "raised_at"])]

    def __str__(self) -> str:
        return f"{self.title} {self.raised_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.first_response_at is not None and self.first_response_at < self.raised_at:
            errors["first_response_at"] = "首次响应不能早于提出时间"
        if self.resolved_at is not None:
            if self.first_response_at is None:
                errors["resolved_at"] = "请先记录首次响应"
            elif self.resolved_at < self.first_response_at:
                errors["resolved_at"] = "解决时间不能早于首次响应"
        if errors:
            raise ValidationError(errors)


class JobStat(models.Model):
    """Runs and failures of each periodic job (qinqing.core.jobs), counted by the wrapper kpi installs,
    so the Prometheus endpoint of any web process reports what the job processes did."""

    name = models.CharField(max_length=100, unique=True)
    runs = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True)
    last_finished_at = models.DateTimeField(null=True)
    last_duration_seconds = models.FloatField(null=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "定时任务统计"
        verbose_name_plural = "定时任务统计"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
