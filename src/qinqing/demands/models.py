"""Enterprise demands (企业诉求): the demand row, its event log, attachments, configuration and outbox.

The demand row is kept small and indexed. Each clock's deadline is computed once from the working-day
calendar at the event that starts it (and again on pause/resume/extension) and stored; overdue and the
traffic light are derived from those deadlines and ``now()`` at query time (``DemandQuerySet.with_light``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NoReturn, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet, subtree_unit_ids
from qinqing.enterprises.models import mask_mobile
from qinqing.orgs.models import Tier

DESCRIPTION_MAX = 4000


class DemandType(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"
    OTHER = "other", "其他"


class Channel(models.TextChoices):
    SELF = "self", "企业自主提交"
    VISIT = "visit", "走访收集"
    HOTLINE = "12345", "12345转办"
    PHONE = "phone", "来电"
    LETTER = "letter", "来信"
    FORUM = "forum", "座谈会"
    OTHER = "other", "其他"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    REJECTED = "rejected", "不予受理"
    ACCEPTED = "accepted", "待交办"
    DISPATCHED = "dispatched", "待签收"
    HANDLING = "handling", "办理中"
    SUSPENDED = "suspended", "已挂起"
    REPLIED = "replied", "待评价"
    CLOSED = "closed", "已办结"


OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.SUSPENDED)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "已解决"
    PARTIAL = "partial", "部分解决"
    UNRESOLVABLE = "unresolvable", "无法解决并说明理由"
    POLICY = "policy", "政策解释"


class Rating(models.IntegerChoices):
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASIC = 3, "基本满意"
    UNSATISFIED = 2, "不满意"
    VERY_UNSATISFIED = 1, "非常不满意"


SATISFIED_MIN = Rating.BASIC  # the top three count as satisfied; the bottom two are 差评


class RejectReason(models.TextChoices):
    """不予受理 reasons (DOMAIN.md §2)."""

    LITIGATION = "litigation", "属于诉讼、仲裁或行政复议事项"
    PETITION = "petition", "已进入信访渠道"
    EMERGENCY = "emergency", "属于110/119/120紧急求助事项"
    SECRET = "secret", "涉及国家秘密或个人隐私"
    REPEAT = "repeat", "重复诉求且无新情况"


class ReturnReason(models.TextChoices):
    NOT_DUTY = "not_duty", "不属于本单位职责"
    WRONG_UNIT = "wrong_unit", "交办单位有误"
    INCOMPLETE = "incomplete", "诉求信息不全，无法办理"


class Light(models.TextChoices):
    GREEN = "green", "正常"
    YELLOW = "yellow", "临期"
    RED = "red", "超期"
    NONE = "none", "—"


class SlipColour(models.TextChoices):
    BLUE = "blue", "蓝色督办单"
    YELLOW = "yellow", "黄色督办单"
    RED = "red", "红色督办单"


class SupervisionKind(models.TextChoices):
    REMIND = "remind", "催办"
    SLIP = "slip", "督办单"


# --- configuration -------------------------------------------------------------------------------
class Category(models.Model):
    """The two-level taxonomy of obstacles (要素保障 › 用地 …), editable by the office."""

    name = models.CharField("名称", max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    help_text = models.CharField("填写说明", max_length=200, blank=True)
    ordering = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"
        ordering = ["ordering", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="demand_category_unique")]

    def __str__(self) -> str:
        return f"{self.parent.name}／{self.name}" if self.parent_id and self.parent else self.name

    def clean(self) -> None:
        if self.parent is not None and self.parent.parent_id is not None:
            raise ValidationError({"parent": "分类最多两级"})


class SlaPolicy(models.Model):
    """Time limits in working days per type × urgency. A change applies to demands submitted after it."""

    demand_type = models.CharField("诉求类型", max_length=12, choices=DemandType.choices)
    urgency = models.CharField("紧急程度", max_length=8, choices=Urgency.choices)
    accept_days = models.PositiveSmallIntegerField("受理时限", default=1)
    sign_days = models.PositiveSmallIntegerField("签收时限", default=1)
    return_days = models.PositiveSmallIntegerField("退回时限", default=2)
    handle_days = models.PositiveSmallIntegerField("办结时限")
    max_handle_days = models.PositiveSmallIntegerField("延期后最长时限", default=30)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        ordering = ["demand_type", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["demand_type", "urgency"], name="sla_type_urgency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_demand_type_display()}·{self.get_urgency_display()}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("accept_days", "sign_days", "return_days", "handle_days"):
            value = getattr(self, name)
            if value is None or not 1 <= value <= 60:
                errors[name] = "时限应为 1–60 个工作日"
        if not errors and self.max_handle_days < self.handle_days:
            errors["max_handle_days"] = "延期后最长时限不能小于办结时限"
        if errors:
            raise ValidationError(errors)


class DemandSettings(models.Model):
    """One row (pk=1): warning thresholds, the rating window and the 12345 webhook."""

    warn_share = models.DecimalField(
        "临期比例",
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.20"),
        help_text="剩余时限不超过该比例时亮黄灯",
    )
    red_overdue_days = models.PositiveSmallIntegerField(
        "红色督办超期天数", default=5, help_text="超期超过该工作日数（或重办两次）为红色督办"
    )
    rating_window_days = models.PositiveSmallIntegerField(
        "评价期限", default=5, help_text="答复后企业在该工作日数内未评价的，由受理机构回访代为评价"
    )
    webhook_url = models.URLField("状态回传地址（12345）", blank=True)
    webhook_secret = models.CharField("签名密钥", max_length=100, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "诉求预警设置"
        verbose_name_plural = "诉求预警设置"

    def __str__(self) -> str:
        return "诉求预警设置"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.warn_share is None or not Decimal("0") <= self.warn_share < Decimal("1"):
            errors["warn_share"] = "临期比例应在 0–0.99 之间"
        if not 1 <= (self.red_overdue_days or 0) <= 60:
            errors["red_overdue_days"] = "应为 1–60 个工作日"
        if not 1 <= (self.rating_window_days or 0) <= 60:
            errors["rating_window_days"] = "应为 1–60 个工作日"
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> DemandSettings:
        row = cls.objects.filter(pk=1).first()
        return row if row is not None else cls(pk=1)


class DemandCounter(models.Model):
    """The per-day sequence behind demand numbers (SQ + yyyymmdd + 4 digits); incremented under a row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


# --- the demand ------------------------------------------------------------------------------------
class DemandQuerySet(ScopedQuerySet["Demand"]):
    def staff_filter(self, user: Any) -> Q | None:
        """Staff of the receiving office's scope, and of the lead, assisting or transferring unit's subtree."""
        ids = subtree_unit_ids(user.scope_unit)
        assisted = DemandAssist.objects.filter(demand=OuterRef("pk"), unit_id__in=ids)
        return (
            Q(receiving_unit_id__in=ids)
            | Q(lead_unit_id__in=ids)
            | Q(transferred_from_id__in=ids)
            | Q(Exists(assisted))
        )

    def with_light(self, now: dt.datetime | None = None) -> Self:
        """Annotate ``light`` (green/yellow/red/none) from the stored deadlines and NOW."""
        now = now or timezone.now()
        return self.annotate(
            light=Case(
                When(due_at__isnull=True, then=Value(Light.NONE)),
                When(due_at__lt=now, then=Value(Light.RED)),
                When(warn_at__lte=now, then=Value(Light.YELLOW)),
                default=Value(Light.GREEN),
                output_field=models.CharField(),
            )
        )

    def with_light_filter(self, light: str, now: dt.datetime | None = None) -> Self:
        now = now or timezone.now()
        if light == Light.RED:
            return self.filter(due_at__lt=now)
        if light == Light.YELLOW:
            return self.filter(due_at__gte=now, warn_at__lte=now)
        if light == Light.GREEN:
            return self.filter(due_at__gte=now, warn_at__gt=now)
        if light == Light.NONE:
            return self.filter(due_at__isnull=True)
        return self

    def overdue(self, now: dt.datetime | None = None) -> Self:
        return self.filter(due_at__lt=now or timezone.now())


class Demand(models.Model):
    number = models.CharField("诉求编号", max_length=20, unique=True)
    external_ref = models.CharField("外部编号（12345）", max_length=64, null=True, blank=True, unique=True)
    # Foreign keys whose column leads a composite index below have no index of their own (db_index=False):
    # every index is written by each submission, and the composite one answers the same look-ups.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="demands",
        db_index=False,
    )
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    channel = models.CharField("来源渠道", max_length=8, choices=Channel.choices)
    demand_type = models.CharField("诉求类型", max_length=12, choices=DemandType.choices)
    category = models.ForeignKey(
        Category, verbose_name="诉求分类", on_delete=models.PROTECT, related_name="demands", db_index=False
    )
    title = models.CharField("标题", max_length=100)
    description = models.TextField("诉求内容", max_length=DESCRIPTION_MAX)
    urgency = models.CharField("紧急程度", max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    hide_below_tier = models.PositiveSmallIntegerField(
        "对下级单位隐藏企业身份",
        choices=Tier.choices,
        null=True,
        blank=True,
        help_text="选定层级以下的承办单位看不到企业名称和联系人（防打击报复）",
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    version = models.PositiveIntegerField("版本", default=1)

    receiving_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="受理机构",
        on_delete=models.PROTECT,
        related_name="received_demands",
        db_index=False,
    )
    coordinating_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="交办机构",
        on_delete=models.PROTECT,
        related_name="coordinated_demands",
        db_index=False,
    )
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="主办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_demands",
        db_index=False,
    )
    transferred_from = models.ForeignKey(
        "orgs.Unit",
        verbose_name="转办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transferred_demands",
        db_index=False,
    )
    current_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_demands",
        db_index=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.PROTECT,
        related_name="submitted_demands",
    )
    created_at = models.DateTimeField("提交时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Limits copied from the SLA policy at submission (a later policy change does not touch them).
    accept_days = models.PositiveSmallIntegerField("受理时限")
    sign_days = models.PositiveSmallIntegerField("签收时限")
    return_days = models.PositiveSmallIntegerField("退回时限")
    handle_days = models.PositiveSmallIntegerField("办结时限")
    max_handle_days = models.PositiveSmallIntegerField("最长时限")

    # 受理 clock.
    accept_due_at = models.DateTimeField("受理期限")
    accept_warn_at = models.DateTimeField("受理预警")
    accept_decided_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_on_time = models.BooleanField("及时受理", null=True)
    # 签收 clock (the latest dispatch).
    dispatched_at = models.DateTimeField("交办时间", null=True, blank=True)
    sign_due_at = models.DateTimeField("签收期限", null=True, blank=True)
    sign_warn_at = models.DateTimeField("签收预警", null=True, blank=True)
    return_due_at = models.DateTimeField("退回期限", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_on_time = models.BooleanField("及时签收", null=True)
    # 办结 clock: starts at acceptance (restarts at a redo), paused while suspended, extended when approved.
    handle_started_at = models.DateTimeField("办理起算", null=True, blank=True)
    handle_due_at = models.DateTimeField("办结期限", null=True, blank=True)
    handle_warn_at = models.DateTimeField("办结预警", null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField("已批准延期", default=0)
    paused_days = models.PositiveSmallIntegerField("本轮挂起天数", default=0)
    paused_days_total = models.PositiveSmallIntegerField("挂起天数合计", default=0)
    suspended_at = models.DateTimeField("挂起时间", null=True, blank=True)
    extension_requested_days = models.PositiveSmallIntegerField("申请延期", null=True, blank=True)
    extension_reason = models.CharField("延期理由", max_length=200, blank=True)
    # The running clock that drives the light and 我的待办 (the earliest open deadline); None when none runs.
    due_at = models.DateTimeField("当前期限", null=True, blank=True)
    warn_at = models.DateTimeField("当前预警", null=True, blank=True)
    provisional = models.BooleanField("期限待定", default=False, help_text="所跨年度的节假日安排尚未公布")

    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    replied_on_time = models.BooleanField("按时答复", null=True)
    reply_outcome = models.CharField("办理结果", max_length=14, choices=Outcome.choices, blank=True)
    reply_text = models.TextField("答复内容", blank=True)
    handle_working_days = models.PositiveSmallIntegerField("办理用时（工作日）", null=True, blank=True)
    rating = models.PositiveSmallIntegerField("评价", choices=Rating.choices, null=True, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    rated_by_follow_up = models.BooleanField("回访代评", default=False)
    rating_due_at = models.DateTimeField("评价期限", null=True, blank=True)
    follow_up_due = models.BooleanField("待回访", default=False)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_on_time = models.BooleanField("按时办结", null=True)
    reject_reason = models.CharField("不予受理理由", max_length=12, choices=RejectReason.choices, blank=True)

    redo_count = models.PositiveSmallIntegerField("重办次数", default=0)
    return_count = models.PositiveSmallIntegerField("退回次数", default=0)
    dispatch_count = models.PositiveSmallIntegerField("交办次数", default=0)
    escalation_count = models.PositiveSmallIntegerField("提级次数", default=0)

    scope = Scope(unit=("receiving_unit", "lead_unit"), enterprise="enterprise")
    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = "企业诉求"
        verbose_name_plural = "企业诉求"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="demand_status_due"),
            models.Index(fields=["receiving_unit", "created_at"], name="demand_recv_created"),
            # 我的待办's branches (queries.todo_window): each an ordered range of (unit or handler, status)
            # in the page's order (due_at, created_at).
            models.Index(
                fields=["lead_unit", "status", "due_at", "created_at"], name="demand_lead_status_due"
            ),
            # The list's unit filter with a date range (the lead-unit branch of filter_unit).
            models.Index(fields=["lead_unit", "created_at"], name="demand_lead_created"),
            models.Index(
                fields=["coordinating_unit", "status", "due_at", "created_at"], name="demand_coord_status_due"
            ),
            models.Index(
                fields=["current_handler", "status", "due_at", "created_at"], name="demand_handler_status_due"
            ),
            models.Index(fields=["enterprise", "created_at"], name="demand_ent_created"),
            models.Index(fields=["created_at"], name="demand_created"),
            # The list's filters, newest first (the page is the first 30 in created_at order): a
            # filtered page reads its own entries backwards instead of AND-ing a bitmap of every
            # demand of that type or status, or skipping through the newest demands of every kind.
            # Covering (status, newest first, and the three unit columns of the unit filter): a status
            # list of a large unit (a prefecture's rejected demands) pages and counts from the index
            # alone, each entry tested against the subtree's ids (filters.DemandFilter.filter_unit).
            models.Index(
                fields=["status", "created_at", "id", "receiving_unit", "lead_unit"],
                name="demand_status_created_units",
            ),
            models.Index(fields=["demand_type", "created_at"], name="demand_type_created"),
            models.Index(fields=["channel", "created_at"], name="demand_channel_created"),
            models.Index(fields=["category", "created_at"], name="demand_category_created"),
            models.Index(fields=["due_at"], name="demand_due"),
            models.Index(fields=["handle_due_at"], name="demand_handle_due"),
            models.Index(fields=["transferred_from"], name="demand_transferred"),
            # 我的待办 of an office: the few demands whose negative rating still waits for 回访.
            models.Index(
                fields=["coordinating_unit"], condition=Q(follow_up_due=True), name="demand_follow_up_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.contact_phone)

    def identity_visible_to(self, user: Any) -> bool:
        """Whether USER may see which enterprise raised this demand (防打击报复)."""
        if getattr(user, "enterprise_id", None):
            return bool(user.enterprise_id == self.enterprise_id)
        if self.hide_below_tier is None:
            return True
        unit = getattr(user, "unit", None)
        return unit is not None and unit.tier <= self.hide_below_tier

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def light_at(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.due_at is None:
            return Light.NONE
        if self.due_at < now:
            return Light.RED
        if self.warn_at is not None and self.warn_at <= now:
            return Light.YELLOW
        return Light.GREEN


class DemandAssist(models.Model):
    """An assisting unit (协办) and the opinion it gives the lead unit before the reply."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="assists")
    unit = models.ForeignKey("orgs.Unit", verbose_name="协办单位", on_delete=models.PROTECT, related_name="+")
    opinion = models.TextField("协办意见", blank=True)
    opinion_at = models.DateTimeField("提交时间", null=True, blank=True)
    opinion_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "协办单位"
        verbose_name_plural = "协办单位"
        constraints = [models.UniqueConstraint(fields=["demand", "unit"], name="demand_assist_unique")]
        indexes = [models.Index(fields=["unit", "demand"], name="demand_assist_unit")]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.unit_id}"


class AppendOnlyError(RuntimeError):
    pass


class DemandEventQuerySet(models.QuerySet["DemandEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("demand events cannot be changed")

    def public(self) -> Self:
        return self.filter(public=True)


class DemandEvent(models.Model):
    """One step of a demand's history; append-only. Public events form the enterprise's timeline."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField("操作人", max_length=50, blank=True)
    actor_unit = models.CharField("操作单位", max_length=100, blank=True)
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    note = models.TextField("说明", blank=True)
    public = models.BooleanField("企业可见", default=True)
    data = models.JSONField("详情", default=dict, blank=True)

    objects = DemandEventQuerySet.as_manager()

    class Meta:
        verbose_name = "诉求办理记录"
        verbose_name_plural = "诉求办理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["demand", "at"], name="demand_event_demand_at")]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("demand events cannot be changed")
        super().save(*args, **kwargs)

    @property
    def action_label(self) -> str:
        from qinqing.demands.workflow import ACTION_LABELS

        return ACTION_LABELS.get(self.action, self.action)

    @property
    def from_label(self) -> str:
        return Status(self.from_status).label if self.from_status else ""

    @property
    def to_label(self) -> str:
        return Status(self.to_status).label if self.to_status else ""


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"demands/{now:%Y/%m}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """A file stored under MEDIA_ROOT (outside the web root), served only by ``demands:attachment``."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField("文件名", max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    public = models.BooleanField("企业可见", default=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Supervision(models.Model):
    """A reminder (催办) or a three-colour supervision slip (督办单) issued by the office."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="supervisions")
    kind = models.CharField("类型", max_length=8, choices=SupervisionKind.choices)
    colour = models.CharField("颜色", max_length=8, choices=SlipColour.choices, blank=True)
    note = models.CharField("督办意见", max_length=500, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["demand", "issued_at"], name="demand_supervision_demand")]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.get_kind_display()}"


class Reminder(models.Model):
    """The due-soon/overdue reminder the periodic job sent: once per demand, clock, threshold and deadline."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="reminders")
    clock = models.CharField(max_length=10)
    threshold = models.CharField(max_length=10)
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "clock", "threshold", "deadline"], name="demand_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.clock} {self.threshold}"


# --- notifications -----------------------------------------------------------------------------------
class OutboxStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Outbox(models.Model):
    """A message to deliver, written in the same transaction as the action that caused it."""

    channel = models.CharField("渠道", max_length=20)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField("地址", max_length=300, blank=True)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    payload = models.JSONField(default=dict, blank=True)
    demand = models.ForeignKey(Demand, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    delivery_key = models.CharField(max_length=80, unique=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "待发消息"
        verbose_name_plural = "待发消息"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.channel} {self.subject}"


class InboxMessage(models.Model):
    """站内消息."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demand_inbox")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    demand = models.ForeignKey(Demand, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    delivery_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_unread")]

    def __str__(self) -> str:
        return self.subject
