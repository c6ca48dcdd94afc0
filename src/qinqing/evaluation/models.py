"""Indicator systems, evaluation rounds, values with evidence and history, scores, benchmarks, reform measures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from qinqing.core.scoping import Scope, ScopedQuerySet, subtree_unit_ids


class MissingRule(models.TextChoices):
    EXCLUDE = "exclude", "缺失指标不计入上级平均"
    ZERO = "zero", "缺失指标按0分计"


class Better(models.TextChoices):
    LOWER = "lower", "越低越好"
    HIGHER = "higher", "越高越好"


class Source(models.TextChoices):
    ENTERED = "entered", "人工采集"
    SURVEY = "survey", "问卷调查指数"
    METRIC = "metric", "平台实时数据"


class IndicatorSystem(models.Model):
    """A versioned indicator tree; its code is the root's code. Frozen once a round uses it."""

    code = models.CharField("体系代码", max_length=40)
    name = models.CharField("名称", max_length=120)
    year = models.PositiveSmallIntegerField("适用年度")
    missing = models.CharField(
        "缺失值规则", max_length=10, choices=MissingRule.choices, default=MissingRule.EXCLUDE
    )
    note = models.TextField("说明", blank=True)
    frozen_at = models.DateTimeField("冻结时间", null=True, blank=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)  # optimistic lock for the tree editor
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "指标体系"
        verbose_name_plural = "指标体系"
        ordering = ["-year", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "year"], name="evaluation_system_code_year")]

    def __str__(self) -> str:
        return f"{self.name}（{self.year}）"

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class Indicator(models.Model):
    """A node of a system: a first-level indicator (no parent), a second-level one, or a measured leaf."""

    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    code = models.CharField("指标代码", max_length=40)
    name = models.CharField("指标名称", max_length=120)
    order = models.PositiveIntegerField("排序", default=0)
    weight = models.DecimalField("权重", max_digits=10, decimal_places=4, default=Decimal(1))
    unit = models.CharField("计量单位", max_length=20, blank=True)
    better = models.CharField("方向", max_length=10, choices=Better.choices, blank=True)
    best = models.DecimalField("最优值", max_digits=20, decimal_places=6, null=True, blank=True)
    worst = models.DecimalField("最差值", max_digits=20, decimal_places=6, null=True, blank=True)
    power = models.DecimalField("幂次变换", max_digits=8, decimal_places=4, null=True, blank=True)
    source = models.CharField("数据来源", max_length=10, choices=Source.choices, default=Source.ENTERED)
    metric = models.CharField("平台指标名", max_length=60, blank=True)
    note = models.TextField("出处与说明", blank=True)

    class Meta:
        verbose_name = "评价指标"
        verbose_name_plural = "评价指标"
        ordering = ["system", "order"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="evaluation_indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.best is not None and self.worst is not None:
            if self.best == self.worst:
                raise ValidationError({"worst": "最优值与最差值不能相同"})
            if self.better == Better.LOWER and self.best > self.worst:
                raise ValidationError({"best": "越低越好的指标，最优值应小于最差值"})
            if self.better == Better.HIGHER and self.best < self.worst:
                raise ValidationError({"best": "越高越好的指标，最优值应大于最差值"})
        if (self.best is None) != (self.worst is None):
            raise ValidationError({"worst": "最优值与最差值须同时填写"})
        if self.source != Source.ENTERED and not self.metric:
            raise ValidationError({"metric": "数据来源为平台数据时须填写平台指标名"})
        if self.weight is not None and self.weight < 0:
            raise ValidationError({"weight": "权重不能为负数"})
        if self.power is not None and self.power <= 0:
            raise ValidationError({"power": "幂次应大于0"})


# --- rounds -----------------------------------------------------------------------------------------
def _membership_filter(user: Any, round_path: str, staff: Q | None) -> Q | None:
    """Staff see rounds organised in their scope; an evaluator sees the rounds they are a member of.

    A pure evaluator (评估员, possibly from an outside firm) sees nothing but their rounds, whatever unit
    their account hangs under.
    """
    from qinqing.accounts.roles import Role

    member = Q(**{f"{round_path}__in": RoundMember.objects.filter(user=user).values("round_id")})
    if user.role_codes <= {Role.EVALUATOR}:
        return member
    return member if staff is None else staff | member


class RoundQuerySet(ScopedQuerySet["Round"]):
    def staff_filter(self, user: Any) -> Q | None:
        return _membership_filter(user, "pk", super().staff_filter(user))


class RoundStatus(models.TextChoices):
    COLLECTING = "collecting", "数据采集中"
    CLOSED = "closed", "已结束"


class Round(models.Model):
    name = models.CharField("评价名称", max_length=120)
    year = models.PositiveSmallIntegerField("评价年度")
    system = models.ForeignKey(
        IndicatorSystem, on_delete=models.PROTECT, related_name="rounds", verbose_name="指标体系"
    )
    owner_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="evaluation_rounds", verbose_name="组织单位"
    )
    units = models.ManyToManyField("orgs.Unit", related_name="evaluated_in", verbose_name="被评价单位")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("截止日期")
    status = models.CharField(
        "状态", max_length=12, choices=RoundStatus.choices, default=RoundStatus.COLLECTING
    )
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="上一轮评价"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = Scope(unit="owner_unit")
    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = "评价轮次"
        verbose_name_plural = "评价轮次"
        ordering = ["-year", "-pk"]
        indexes = [models.Index(fields=["year"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "截止日期不能早于开始日期"})


class RoundMember(models.Model):
    """A member of the evaluating team (评估组) of a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evaluation_rounds"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="evaluation_member_unique")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.user_id}"


# --- values -----------------------------------------------------------------------------------------
class ValueStatus(models.TextChoices):
    ENTRY = "entry", "录入中"
    REVIEW = "review", "待审核"
    ACCEPTED = "accepted", "已通过"


class ValueOrigin(models.TextChoices):
    ENTERED = "entered", "人工录入"
    IMPORTED = "imported", "Excel导入"
    LIVE = "live", "平台实时数据"
    OVERRIDE = "override", "人工修正"


class ValueQuerySet(ScopedQuerySet["Value"]):
    def staff_filter(self, user: Any) -> Q | None:
        staff = Q(round__owner_unit__in=subtree_unit_ids(user.scope_unit))
        return _membership_filter(user, "round_id", staff)


class Value(models.Model):
    """The value of one leaf for one unit in a round; only accepted values are scored."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="values")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="被评价单位"
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="values", verbose_name="指标"
    )
    value = models.DecimalField("数值", max_digits=20, decimal_places=6, null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=ValueStatus.choices, default=ValueStatus.ENTRY)
    origin = models.CharField("来源", max_length=10, choices=ValueOrigin.choices, default=ValueOrigin.ENTERED)
    metric = models.CharField("平台指标", max_length=60, blank=True)
    missing_reason = models.CharField("缺失原因", max_length=200, blank=True)
    override_reason = models.TextField("修正理由", blank=True)
    source_document = models.CharField("资料来源", max_length=200, blank=True)
    note = models.TextField("备注", blank=True)
    review_comment = models.CharField("审核意见", max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(unit="round__owner_unit")
    objects = ValueQuerySet.as_manager()

    class Meta:
        verbose_name = "指标数值"
        verbose_name_plural = "指标数值"
        constraints = [
            models.UniqueConstraint(fields=["round", "unit", "indicator"], name="evaluation_value_unique")
        ]
        indexes = [models.Index(fields=["round", "status"]), models.Index(fields=["round", "indicator"])]

    def __str__(self) -> str:
        return f"{self.indicator.code}"


class ValueChange(models.Model):
    """The full history of a value: every change of number, status or override, append-only."""

    value = models.ForeignKey(Value, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=40)
    old_value = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    new_value = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class Evidence(models.Model):
    value = models.ForeignKey(Value, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField("附件", upload_to="evaluation/evidence/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class UnitScore(models.Model):
    """Every node's score of one unit in a round (a cache of scoring.score_unit over accepted values)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    overall = models.DecimalField(max_digits=30, decimal_places=20, null=True)
    scores = models.JSONField(default=dict)  # code -> score as a decimal string, or null
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="evaluation_unitscore_unique")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.unit_id}"

    def score(self, code: str) -> Decimal | None:
        raw = self.scores.get(code)
        return None if raw is None else Decimal(raw)


class Benchmark(models.Model):
    """An external reference value (e.g. a nationally advanced county's figure, 全国先进县市) for a leaf."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="benchmarks")
    name = models.CharField("对标对象", max_length=80)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField("数值", max_digits=20, decimal_places=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "name", "indicator"], name="evaluation_benchmark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.indicator_id}"


class ReformMeasure(models.Model):
    """A reform measure (改革举措) of the library, mapped to a first-level indicator by its code."""

    topic = models.CharField("一级指标代码", max_length=40, db_index=True)
    title = models.CharField("举措", max_length=120)
    text = models.TextField("内容")
    source = models.CharField("出处", max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["topic", "pk"]

    def __str__(self) -> str:
        return self.title


class ReportKind(models.TextChoices):
    UNIT_PDF = "unit_pdf", "单位报告（PDF）"
    UNIT_DOCX = "unit_docx", "单位报告（Word）"
    SUMMARY_PDF = "summary_pdf", "总报告（PDF）"
    SUMMARY_DOCX = "summary_docx", "总报告（Word）"


class ReportLog(models.Model):
    """Each report produced (the evaluation.reports metric counts them)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=14, choices=ReportKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
