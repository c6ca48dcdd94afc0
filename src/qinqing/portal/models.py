"""Public investment portal (招商门户 / 招商小程序): content, its public snapshot, inquiries, publications, visits.

Staff edit ``Entry`` rows (draft → review → published, scheduled publication and unpublishing, every saved
state kept in ``EntryVersion``). Publication writes a ``PublicItem`` (the snapshot public pages and the
mini-program API read); published investment projects are copied into ``PublicItem`` rows of kind
``project`` by ``snapshot.sync_projects`` with the public fields only. Public traffic never reads the staff
tables. Every change goes through services.py.
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


# --- content ------------------------------------------------------------------------------------
class ContentKind(models.TextChoices):
    PROFILE = "profile", "城市概况"
    PARK = "park", "产业园区"
    CLUSTER = "cluster", "产业集群"
    POLICY = "policy", "优惠政策"
    NEWS = "news", "新闻动态"
    EVENT = "event", "招商活动/展会"


class ProfileSection(models.TextChoices):
    LOCATION = "location", "区位优势"
    RESOURCES = "resources", "资源优势"
    INDUSTRY = "industry", "产业基础"
    TRANSPORT = "transport", "交通"
    COSTS = "costs", "要素成本"


class PolicyType(models.TextChoices):
    LAND = "land", "土地"
    TAX = "tax", "税收"
    POWER = "power", "用电"
    TALENT = "talent", "人才"
    FINANCE = "finance", "金融"
    SUBSIDY = "subsidy", "奖补"
    OTHER = "other", "其他"


class EnterpriseScale(models.TextChoices):
    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class ProjectType(models.TextChoices):
    NEW = "new", "新建"
    EXPANSION = "expansion", "扩建/技改"
    RELOCATION = "relocation", "整体迁入"
    HQ = "hq", "总部/区域总部"
    RND = "rnd", "研发中心"


class ContentStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    REVIEW = "review", "待审核"
    RETURNED = "returned", "已退回"
    SCHEDULED = "scheduled", "待定时发布"
    PUBLISHED = "published", "已发布"
    UNPUBLISHED = "unpublished", "已下线"


class EntryQuerySet(ScopedQuerySet["Entry"]):
    pass


class Entry(models.Model):
    """One piece of portal content. Kind-specific fields are in ``data`` (forms.py says which)."""

    kind = models.CharField("类型", max_length=10, choices=ContentKind.choices)
    unit = models.ForeignKey("orgs.Unit", verbose_name="维护单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        "状态", max_length=12, choices=ContentStatus.choices, default=ContentStatus.DRAFT
    )
    title = models.CharField("标题", max_length=200)
    title_en = models.CharField("标题（英文）", max_length=200, blank=True)
    summary = models.CharField("摘要", max_length=500, blank=True)
    summary_en = models.CharField("摘要（英文）", max_length=500, blank=True)
    body = models.TextField("正文", blank=True)
    body_en = models.TextField("正文（英文）", blank=True)
    data = models.JSONField("类型字段", default=dict, blank=True)
    image = models.ForeignKey(
        "portal.Image",
        verbose_name="图片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ordering = models.PositiveIntegerField("排序", default=0)
    online = models.BooleanField("公开中", default=False)  # a published snapshot is on the public site
    publish_at = models.DateTimeField("定时发布时间", null=True, blank=True)
    unpublish_at = models.DateTimeField("定时下线时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    review_comment = models.CharField("审核意见", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(unit="unit")
    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = "门户内容"
        verbose_name_plural = "门户内容"
        ordering = ["kind", "ordering", "-id"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["status", "publish_at"]),
            models.Index(fields=["status", "unpublish_at"]),
            models.Index(fields=["unit", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.title}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.title.strip():
            errors["title"] = "请填写标题"
        if self.publish_at and self.unpublish_at and self.unpublish_at <= self.publish_at:
            errors["unpublish_at"] = "下线时间应晚于发布时间"
        if self.kind == ContentKind.POLICY:
            start, end = self.data.get("valid_from"), self.data.get("valid_to")
            if start and end and str(end) < str(start):
                errors["valid_to"] = "失效日期不能早于生效日期"
        if errors:
            raise ValidationError(errors)


class EntryVersion(models.Model):
    """A saved state of an entry (every save, submission and publication), for the version history."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本")
    status = models.CharField("状态", max_length=12, choices=ContentStatus.choices)
    payload = models.JSONField("内容")
    note = models.CharField("说明", max_length=200, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "内容版本"
        verbose_name_plural = "内容版本"
        ordering = ["entry", "-id"]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.number}"


class Image(models.Model):
    """An uploaded picture, resized on upload into widths (``sizes``: width → stored name)."""

    original = models.CharField("原图", max_length=200)
    sizes = models.JSONField("尺寸", default=dict)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "图片"
        verbose_name_plural = "图片"

    def __str__(self) -> str:
        return self.alt or self.original


class EntryFile(models.Model):
    """An attachment of a policy (PDF/DOCX/XLSX), public once the policy is published."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="files")
    title = models.CharField("附件名称", max_length=100)
    file = models.FileField("文件", upload_to="portal/files/%Y/")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "政策附件"
        verbose_name_plural = "政策附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


# --- the public snapshot ------------------------------------------------------------------------
class PublicItem(models.Model):
    """What the public sees: one published entry or catalogue project, frozen at publication.

    ``payload`` holds only public fields (both languages); the filter columns repeat what list pages
    filter by. Written by snapshot.py only.
    """

    kind = models.CharField(max_length=10)  # ContentKind values and "project"
    ref = models.PositiveBigIntegerField()  # Entry.id or investment Project.id
    payload = models.JSONField()
    search_text = models.TextField(blank=True)  # segmented words (analysis.text), space-separated
    source_version = models.PositiveIntegerField(default=0)
    ordering = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "公开快照"
        verbose_name_plural = "公开快照"
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="portal_public_kind_ref")]
        indexes = [models.Index(fields=["kind", "ordering", "ref"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


class PortalState(models.Model):
    """One row: the snapshot's version, bumped by every write to PublicItem (cache keys, ETags)."""

    version = models.PositiveBigIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    projects_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "门户快照状态"
        verbose_name_plural = "门户快照状态"

    def __str__(self) -> str:
        return f"v{self.version}"


class PortalSettings(models.Model):
    """One row (pk=1): routing, the answer deadline, the consent notice."""

    site_name = models.CharField("门户名称", max_length=60, default="乌鲁木齐招商")
    site_name_en = models.CharField("门户名称（英文）", max_length=60, default="Invest in Urumqi")
    base_url = models.URLField(
        "门户对外地址",
        blank=True,
        help_text="如 https://invest.urumqi.gov.cn（印刷品二维码指向此地址下的 /portal/）",
    )
    default_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="综合咨询受理单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answer_days = models.PositiveSmallIntegerField("答复时限（工作日）", default=3)
    warn_share = models.DecimalField(
        "剩余时限占比低于此值亮黄灯", max_digits=3, decimal_places=2, default=Decimal("0.34")
    )
    notice_version = models.CharField("个人信息处理告知书版本", max_length=20, default="2026-1")
    notice_text = models.TextField(
        "个人信息处理告知书",
        default=(
            "您提交的单位名称、联系人、电话和电子邮箱仅用于本次投资洽谈的联系与答复，由受理单位依法保存，"
            "不向第三方提供。您可以联系受理单位查询、更正或删除。"
        ),
    )
    inquiry_ip_limit = models.PositiveSmallIntegerField("每个地址每小时最多提交", default=10)
    inquiry_phone_limit = models.PositiveSmallIntegerField("每个手机号每天最多提交", default=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "门户设置"
        verbose_name_plural = "门户设置"

    def __str__(self) -> str:
        return "门户设置"

    @classmethod
    def current(cls) -> PortalSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def clean(self) -> None:
        if self.answer_days < 1:
            raise ValidationError({"answer_days": "至少为1个工作日"})


# --- inquiries (对接洽谈) --------------------------------------------------------------------------
class InquiryStatus(models.TextChoices):
    RECEIVED = "received", "待答复"
    ANSWERED = "answered", "已答复"
    LEAD = "lead", "已转为项目线索"
    DECLINED = "declined", "不予受理"
    CLOSED = "closed", "已办结"


class Rating(models.IntegerChoices):
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASIC = 3, "基本满意"
    UNSATISFIED = 2, "不满意"
    VERY_UNSATISFIED = 1, "非常不满意"


SATISFIED_RATINGS = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASIC)


class InquiryQuerySet(ScopedQuerySet["Inquiry"]):
    pass


class Inquiry(models.Model):
    number = models.CharField("编号", max_length=24, unique=True)
    token = models.CharField("查询令牌", max_length=64, unique=True, editable=False)
    project = models.ForeignKey(
        "investment.Project",
        verbose_name="意向项目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    project_name = models.CharField("意向项目名称", max_length=200, blank=True)
    # no index of its own: (unit, status, due_at) below serves the unit filter
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name="受理单位", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    company = models.CharField("单位名称", max_length=100)
    contact = models.CharField("联系人", max_length=30)
    phone = models.CharField("手机号", max_length=11)
    email = models.EmailField("电子邮箱", blank=True)
    message = models.TextField("洽谈内容")
    lang = models.CharField(max_length=5, default="zh")
    source = models.CharField("来源", max_length=20, default="web")  # web / miniprogram
    consent_at = models.DateTimeField("同意告知书时间")
    consent_version = models.CharField("告知书版本", max_length=20)
    fingerprint = models.CharField(max_length=64, unique=True)  # phone+project+text+day: duplicates
    status = models.CharField(
        "状态", max_length=10, choices=InquiryStatus.choices, default=InquiryStatus.RECEIVED
    )
    created_at = models.DateTimeField("提交时间", default=timezone.now)
    due_at = models.DateTimeField("答复期限")
    warn_at = models.DateTimeField("临期提醒时间")
    provisional = models.BooleanField("期限为暂定", default=False)
    answered_at = models.DateTimeField("首次答复时间", null=True, blank=True)
    lead_at = models.DateTimeField("转线索时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结/不予受理时间", null=True, blank=True)
    lead_project = models.OneToOneField(
        "investment.Project",
        verbose_name="转化的项目线索",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portal_inquiry",
    )
    rating = models.PositiveSmallIntegerField("评价", choices=Rating.choices, null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope = Scope(unit="unit")
    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = "对接洽谈"
        verbose_name_plural = "对接洽谈"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status", "due_at"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["status", "warn_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.company}"

    def clean(self) -> None:
        if self.phone and not (len(self.phone) == 11 and self.phone.isdigit() and self.phone[0] == "1"):
            raise ValidationError({"phone": "请填写11位手机号码"})

    @property
    def is_open(self) -> bool:
        return self.status == InquiryStatus.RECEIVED

    def light(self, now: dt.datetime | None = None) -> str:
        """green / yellow / red while waiting for the first answer; '' once answered or closed."""
        if self.answered_at is not None or self.status in (InquiryStatus.DECLINED, InquiryStatus.CLOSED):
            return ""
        now = now or timezone.now()
        if now > self.due_at:
            return "red"
        if now >= self.warn_at:
            return "yellow"
        return "green"

    @property
    def on_time(self) -> bool | None:
        if self.answered_at is None:
            return None
        return self.answered_at <= self.due_at


class SmsCode(models.Model):
    """A one-time SMS code for an inquiry's phone (sms.py): only its keyed hash is stored; single use."""

    phone = models.CharField("手机号", max_length=11)
    code_hash = models.CharField(max_length=64)  # HMAC-SHA256(SECRET_KEY, phone:code), hex
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["phone", "expires_at"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


class InquiryEvent(models.Model):
    """A step of an inquiry; ``public`` replies are shown on the tracking page."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20)
    text = models.TextField("内容", blank=True)
    public = models.BooleanField("公开答复", default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit_name = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "洽谈记录"
        verbose_name_plural = "洽谈记录"
        ordering = ["inquiry", "at", "id"]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.action}"


class InquiryReminder(models.Model):
    """One reminder per inquiry, threshold (due_soon/overdue) and deadline — sent exactly once."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="+")
    threshold = models.CharField(max_length=10)
    deadline = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inquiry", "threshold", "deadline"], name="portal_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.threshold}"


# --- publications -------------------------------------------------------------------------------
class PublicationKind(models.TextChoices):
    GUIDE = "guide", "投资指南"
    BROCHURE = "brochure", "招商项目册"
    POLICIES = "policies", "政策汇编"
    PARKS = "parks", "产业园区手册"


UNIT_COSTS_YUAN = {
    PublicationKind.GUIDE: Decimal("50"),
    PublicationKind.BROCHURE: Decimal("25"),
    PublicationKind.POLICIES: Decimal("30"),
    PublicationKind.PARKS: Decimal("22"),
}


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已生成"
    FAILED = "failed", "生成失败"


class EditionQuerySet(ScopedQuerySet["Edition"]):
    pass


class Edition(models.Model):
    kind = models.CharField("出版物", max_length=10, choices=PublicationKind.choices)
    unit = models.ForeignKey("orgs.Unit", verbose_name="编印单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("书名", max_length=100)
    edition = models.CharField("版次", max_length=40)
    pagesize = models.CharField("开本", max_length=2, choices=[("A4", "A4"), ("A5", "A5")], default="A4")
    edition_date = models.DateField("出版日期")
    print_run = models.PositiveIntegerField("印数（册）", default=0)
    unit_cost_yuan = models.DecimalField(
        "单价（元/册）", max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    printed_on = models.DateField("印制完成日期", null=True, blank=True)
    selection = models.JSONField(
        "收录范围",
        default=dict,
        blank=True,
        help_text="项目册：cluster/location/industry/size；政策汇编：type",
    )
    contents = models.JSONField("收录内容", default=list, blank=True)  # [{"kind","ref","title"}]
    status = models.CharField("生成状态", max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    message = models.CharField("生成说明", max_length=300, blank=True)
    pdf = models.FileField("PDF", upload_to="portal/editions/", blank=True)
    docx = models.FileField("Word", upload_to="portal/editions/", blank=True)
    pages = models.PositiveIntegerField("页数", default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = EditionQuerySet.as_manager()

    class Meta:
        verbose_name = "出版物版次"
        verbose_name_plural = "出版物版次"
        ordering = ["-edition_date", "-id"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["printed_on"])]

    def __str__(self) -> str:
        return f"{self.title}（{self.edition}）"

    @property
    def budget_yuan(self) -> Decimal:
        return (self.unit_cost_yuan * self.print_run).quantize(Decimal("0.01"))

    def clean(self) -> None:
        if self.printed_on and self.print_run <= 0:
            raise ValidationError({"print_run": "印制完成的版次请填写印数"})


class EditionError(models.Model):
    """An error found after printing (错印、漏印、内容差错), with the copies it affects."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="errors")
    found_on = models.DateField("发现日期")
    page = models.CharField("页码/位置", max_length=40, blank=True)
    description = models.CharField("差错说明", max_length=300)
    copies_affected = models.PositiveIntegerField("涉及册数", default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "印刷差错"
        verbose_name_plural = "印刷差错"
        ordering = ["-found_on", "-id"]

    def __str__(self) -> str:
        return self.description


# --- visits ---------------------------------------------------------------------------------------
class Visit(models.Model):
    """Page views per day, page and source; counted server-side, no address or identifier stored."""

    day = models.DateField()
    page = models.CharField(max_length=30)
    source = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "访问量"
        verbose_name_plural = "访问量"
        constraints = [models.UniqueConstraint(fields=["day", "page", "source"], name="portal_visit_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.page} {self.source} {self.count}"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
