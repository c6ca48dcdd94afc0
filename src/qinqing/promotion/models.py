"""Investor reception (考察接待) and outbound promotion (驻外招商, 展会, 小分队, 推介会, 交流会).

Money is Decimal 元 (``*_yuan``). The link to the project library is kept here (``Touch``), so the
investment app knows nothing of promotion; leads are created through investment's services.
Every change goes through services.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet

ZERO = Decimal("0")


def _yuan(verbose: str, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(
        verbose, max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)], **kwargs
    )


class PlaceClass(models.TextChoices):
    XQZ = "xqz", "新疆、青海、西藏"
    OTHER = "other", "其他地区"


# --- configuration ------------------------------------------------------------------------------
class YearStandard(models.Model):
    """The official standards of one year: travel allowances per place class and 公务接待 limits."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    meal_xqz_yuan = _yuan("伙食补助：新疆、青海、西藏（元/人/天）", default=Decimal("120"))
    meal_other_yuan = _yuan("伙食补助：其他地区（元/人/天）", default=Decimal("100"))
    transport_xqz_yuan = _yuan("市内交通补助：新疆、青海、西藏（元/人/天）", default=Decimal("80"))
    transport_other_yuan = _yuan("市内交通补助：其他地区（元/人/天）", default=Decimal("80"))
    reception_meal_yuan = _yuan("公务接待：用餐（元/人/天）", default=Decimal("150"))
    reception_lodging_yuan = _yuan("公务接待：住宿（元/人/晚）", default=Decimal("380"))
    reception_transport_yuan = _yuan("公务接待：交通（元/天）", default=Decimal("600"))
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "年度开支标准"
        verbose_name_plural = "年度开支标准"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年开支标准"

    def meal(self, place: str) -> Decimal:
        return self.meal_xqz_yuan if place == PlaceClass.XQZ else self.meal_other_yuan

    def transport(self, place: str) -> Decimal:
        return self.transport_xqz_yuan if place == PlaceClass.XQZ else self.transport_other_yuan


class YearPlanQuerySet(ScopedQuerySet["YearPlan"]):
    pass


class YearPlan(models.Model):
    """An office's year: the budget line (spending ceiling) and the budget's output targets."""

    year = models.PositiveSmallIntegerField("年度")
    unit = models.ForeignKey("orgs.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    budget_yuan = _yuan("年度招商经费预算（元）")
    target_firms = models.PositiveIntegerField("目标：考察洽谈企业（家）", default=0)
    target_people = models.PositiveIntegerField("目标：接待人数（人次）", default=0)
    target_exhibitions_region = models.PositiveIntegerField("目标：自治区组织的会展（次）", default=0)
    target_exhibitions_department = models.PositiveIntegerField("目标：委办局组织的展会（次）", default=0)
    target_task_forces = models.PositiveIntegerField("目标：驻外招商工作组（个）", default=0)
    target_exchange_meetings = models.PositiveIntegerField("目标：招商交流会（次）", default=0)
    target_work_meetings = models.PositiveIntegerField("目标：招商引资总结交流会议（次）", default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(unit="unit")
    objects = YearPlanQuerySet.as_manager()

    class Meta:
        verbose_name = "年度预算与目标"
        verbose_name_plural = "年度预算与目标"
        ordering = ["-year", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["year", "unit"], name="promo_plan_year_unit")]

    def __str__(self) -> str:
        return f"{self.year} {self.unit_id}"


class Attribution(models.TextChoices):
    FIRST = "first", "首次接触（默认）"
    LAST = "last", "签约前最后一次接触"
    EVEN = "even", "平均分配"


class PromotionSettings(models.Model):
    """One row (pk=1): how results are attributed to the visits and trips that touched a project."""

    attribution = models.CharField(
        "成效归属规则", max_length=10, choices=Attribution.choices, default=Attribution.FIRST
    )
    warn_budget_share = models.DecimalField(
        "预算预警：已用比例达到（%）", max_digits=5, decimal_places=1, default=Decimal("90")
    )
    remind_working_days = models.PositiveSmallIntegerField("下一步提醒：到期前第几个工作日", default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "推介成效设置"
        verbose_name_plural = "推介成效设置"

    def __str__(self) -> str:
        return "推介成效设置"

    @classmethod
    def current(cls) -> PromotionSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# --- task forces --------------------------------------------------------------------------------
class TaskForceQuerySet(ScopedQuerySet["TaskForce"]):
    def active_in(self, start: dt.date, end: dt.date) -> TaskForceQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=start), start_date__lte=end)


class TaskForce(models.Model):
    """驻外招商工作组: a team resident in another province."""

    unit = models.ForeignKey("orgs.Unit", verbose_name="派出单位", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("工作组名称", max_length=100)
    base_province = models.CharField("驻地省份", max_length=20)
    base_city = models.CharField("驻地城市", max_length=40)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    leader = models.CharField("组长", max_length=50)
    members = models.TextField("成员", help_text="每行一人：姓名 职务")
    clusters = models.ManyToManyField(
        "investment.IndustryCluster", verbose_name="目标产业集群", blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = TaskForceQuerySet.as_manager()

    class Meta:
        verbose_name = "驻外招商工作组"
        verbose_name_plural = "驻外招商工作组"
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["unit", "start_date"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "结束日期不能早于开始日期"})


class TaskForceActivity(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.CASCADE, related_name="activities")
    on = models.DateField("日期")
    content = models.TextField("工作内容")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "工作组活动"
        verbose_name_plural = "工作组活动"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.on} {self.content[:20]}"


# --- receptions ---------------------------------------------------------------------------------
class ReceptionQuerySet(ScopedQuerySet["Reception"]):
    pass


class Reception(models.Model):
    """考察接待: a delegation of investors received by the office."""

    unit = models.ForeignKey("orgs.Unit", verbose_name="接待单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("考察事由", max_length=200)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    origin = models.CharField("客商来源地（省份/国家）", max_length=40)
    cluster = models.ForeignKey(
        "investment.IndustryCluster",
        verbose_name="对接产业集群",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delegation_size = models.PositiveIntegerField("来访人数", validators=[MinValueValidator(1)])
    delegation_leaders = models.CharField("客商带队人", max_length=200, blank=True)
    hosts = models.CharField("接待人员", max_length=200)
    accompanying_leaders = models.CharField("陪同领导", max_length=200, blank=True)
    itinerary = models.TextField("考察行程（现场、园区、会谈）", blank=True)
    outcome = models.TextField("考察成果", blank=True)
    meal_yuan = _yuan("用餐费（元）")
    lodging_yuan = _yuan("住宿费（元）")
    lodging_nights = models.PositiveIntegerField("住宿（人·晚）", default=0)
    transport_yuan = _yuan("交通费（元）")
    total_yuan = _yuan("合计（元）", editable=False)
    warnings = models.JSONField("超标准提示", default=list, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = ReceptionQuerySet.as_manager()

    class Meta:
        verbose_name = "考察接待"
        verbose_name_plural = "考察接待"
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["unit", "start_date"]),
            models.Index(fields=["start_date"]),
            models.Index(fields=["origin"]),
            models.Index(fields=["cluster"]),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%Y-%m-%d} {self.title}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "结束日期不能早于开始日期"})


class ReceptionFirm(models.Model):
    """A visiting firm: from the enterprise registry, or external (name, credit code, origin)."""

    reception = models.ForeignKey(Reception, on_delete=models.CASCADE, related_name="firms")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("企业名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    origin = models.CharField("来源地", max_length=40, blank=True)

    class Meta:
        verbose_name = "来访企业"
        verbose_name_plural = "来访企业"
        ordering = ["reception", "id"]

    def __str__(self) -> str:
        return self.name


# --- outbound trips and events ------------------------------------------------------------------
class TripKind(models.TextChoices):
    RESIDENT = "resident", "驻点招商"
    SQUAD = "squad", "小分队招商"
    EXPO = "expo", "展会"
    ROADSHOW = "roadshow", "推介会"
    EXCHANGE = "exchange", "招商交流会"
    WORK_MEETING = "meeting", "招商引资总结交流会议"


class Organiser(models.TextChoices):
    REGION = "region", "自治区组织"
    DEPARTMENT = "department", "委办局组织"
    OWN = "own", "本单位组织"


class TripQuerySet(ScopedQuerySet["Trip"]):
    pass


class Trip(models.Model):
    """An outbound trip or event (驻点招商, 小分队, 展会, 推介会, 交流会) with its costs."""

    unit = models.ForeignKey("orgs.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=10, choices=TripKind.choices)
    organiser = models.CharField("组织方", max_length=10, choices=Organiser.choices, default=Organiser.OWN)
    task_force = models.ForeignKey(
        TaskForce,
        verbose_name="所属工作组",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trips",
    )
    title = models.CharField("名称", max_length=200)
    province = models.CharField("目的地省份", max_length=20)
    city = models.CharField("城市", max_length=40, blank=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    participants = models.PositiveIntegerField("人数", validators=[MinValueValidator(1)])
    participant_names = models.CharField("参加人员", max_length=300, blank=True)
    cluster = models.ForeignKey(
        "investment.IndustryCluster",
        verbose_name="目标产业集群",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField("活动情况", blank=True)
    allowance_yuan = _yuan("伙食及市内交通补助（元，按标准计算）", editable=False)
    transport_yuan = _yuan("城市间交通费（元）")
    lodging_yuan = _yuan("住宿费（元）")
    other_yuan = _yuan("其他费用（元，展位、会务等）")
    total_yuan = _yuan("合计（元）", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = TripQuerySet.as_manager()

    class Meta:
        verbose_name = "外出招商活动"
        verbose_name_plural = "外出招商活动"
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["unit", "start_date"]),
            models.Index(fields=["start_date", "kind"]),
            models.Index(fields=["task_force"]),
            models.Index(fields=["cluster"]),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%Y-%m-%d} {self.title}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = "结束日期不能早于开始日期"
        if self.kind == TripKind.EXPO and not self.organiser:
            errors["organiser"] = "展会请选择组织方"
        if errors:
            raise ValidationError(errors)


class TripLeg(models.Model):
    """Where the participants were from FROM_DATE on (until the next leg or the trip's end)."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="legs")
    from_date = models.DateField("自（日期）")
    province = models.CharField("所在省份", max_length=20)

    class Meta:
        verbose_name = "行程段"
        verbose_name_plural = "行程段"
        ordering = ["trip", "from_date"]
        constraints = [models.UniqueConstraint(fields=["trip", "from_date"], name="promo_leg_trip_date")]

    def __str__(self) -> str:
        return f"{self.from_date} {self.province}"


class TripContact(models.Model):
    """A firm met on a trip (a contact record)."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="contacts")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    firm_name = models.CharField("企业名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    person = models.CharField("联系人", max_length=50, blank=True)
    mobile = models.CharField("联系电话", max_length=20, blank=True)
    note = models.CharField("洽谈情况", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "对接企业"
        verbose_name_plural = "对接企业"
        ordering = ["trip", "id"]

    def __str__(self) -> str:
        return self.firm_name


# --- the link to the project library ------------------------------------------------------------
class TouchQuerySet(ScopedQuerySet["Touch"]):
    pass


class Touch(models.Model):
    """A project touched by a reception, a trip or a task force (projects discussed, leads produced).

    Exactly one of reception / trip / task_force is set. ``created_lead``: the lead was created from it.
    Attribution (first touch by default) reads these rows; see docs/promotion.md ## Metrics.
    """

    project = models.ForeignKey("investment.Project", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", editable=False)
    reception = models.ForeignKey(
        Reception, null=True, blank=True, on_delete=models.CASCADE, related_name="touches"
    )
    trip = models.ForeignKey(Trip, null=True, blank=True, on_delete=models.CASCADE, related_name="touches")
    task_force = models.ForeignKey(
        TaskForce, null=True, blank=True, on_delete=models.CASCADE, related_name="touches"
    )
    on = models.DateField("接触日期")
    created_lead = models.BooleanField("由此产生线索", default=False)
    intention = models.CharField("投资意向", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = TouchQuerySet.as_manager()

    class Meta:
        verbose_name = "项目来源"
        verbose_name_plural = "项目来源"
        ordering = ["project_id", "on", "id"]
        indexes = [models.Index(fields=["project", "on", "id"], name="promo_touch_project")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(reception__isnull=False, trip__isnull=True, task_force__isnull=True)
                    | Q(reception__isnull=True, trip__isnull=False, task_force__isnull=True)
                    | Q(reception__isnull=True, trip__isnull=True, task_force__isnull=False)
                ),
                name="promo_touch_one_source",
            ),
            models.UniqueConstraint(
                fields=["project", "reception"], condition=Q(reception__isnull=False), name="promo_touch_rec"
            ),
            models.UniqueConstraint(
                fields=["project", "trip"], condition=Q(trip__isnull=False), name="promo_touch_trip"
            ),
            models.UniqueConstraint(
                fields=["project", "task_force"],
                condition=Q(task_force__isnull=False),
                name="promo_touch_tf",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.on}"

    @property
    def source(self) -> Reception | Trip | TaskForce:
        return self.reception or self.trip or self.task_force  # type: ignore[return-value]


# --- next steps ---------------------------------------------------------------------------------
class NextStepQuerySet(ScopedQuerySet["NextStep"]):
    def open(self) -> NextStepQuerySet:
        return self.filter(done_at__isnull=True)


class NextStep(models.Model):
    """A next step agreed during a reception or trip, with its owner and due date."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", editable=False)
    reception = models.ForeignKey(
        Reception, null=True, blank=True, on_delete=models.CASCADE, related_name="next_steps"
    )
    trip = models.ForeignKey(Trip, null=True, blank=True, on_delete=models.CASCADE, related_name="next_steps")
    description = models.CharField("下一步工作", max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField("完成期限")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_note = models.CharField("完成情况", max_length=300, blank=True)
    reminded_at = models.DateTimeField("已提醒", null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = NextStepQuerySet.as_manager()

    class Meta:
        verbose_name = "下一步工作"
        verbose_name_plural = "下一步工作"
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "done_at", "due_on"], name="promo_step_owner"),
            models.Index(fields=["done_at", "reminded_at", "due_on"], name="promo_step_remind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reception__isnull=False, trip__isnull=True)
                | Q(reception__isnull=True, trip__isnull=False),
                name="promo_step_one_source",
            )
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def source(self) -> Reception | Trip:
        return self.reception or self.trip  # type: ignore[return-value]
