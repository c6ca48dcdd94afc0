"""Chambers of commerce (异地商会), representative offices (驻乌办事机构) and the city's offices elsewhere.

Scoping: staff see organisations whose area (登记地区, the supervising unit's area) lies in their scope
subtree; an organisation's own account (OrganisationAccount, role 社会组织用户) sees only its own rows;
see ``OrgScopedQuerySet``. Every change goes through services.py / inspections.py / certificates.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Self, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qinqing.chambers import rules
from qinqing.chambers.rules import (
    AppKind,
    AppStatus,
    CertStatus,
    Conclusion,
    OrgKind,
    OrgStatus,
    ReportStatus,
)
from qinqing.core.scoping import Scope, ScopedQuerySet
from qinqing.enterprises.models import mask_mobile


def account_org_id(user: Any) -> int | None:
    """The organisation an organisation user acts for (cached on the user object), or None."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if getattr(user, "unit_id", None) or getattr(user, "enterprise_id", None):
        return None
    cached = getattr(user, "_chambers_org_id", False)
    if cached is False:
        cached = (
            OrganisationAccount.objects.filter(user_id=user.pk)
            .values_list("organisation_id", flat=True)
            .first()
        )
        user._chambers_org_id = cached
    return cached


M = TypeVar("M", bound=models.Model)


class OrgScopedQuerySet(ScopedQuerySet[M]):
    """Staff: the declared unit scope. An organisation user: only rows of its own organisation
    (``org_path`` from the model to the organisation; "pk" for the organisation itself)."""

    org_path = "organisation"

    def visible_to(self, user: Any) -> Self:
        org_id = account_org_id(user)
        if org_id is not None:
            return self.filter(self.org_filter(org_id))
        return super().visible_to(user)

    def org_filter(self, org_id: int) -> Q:
        return Q(pk=org_id) if self.org_path == "pk" else Q(**{f"{self.org_path}_id": org_id})


class OrganisationQuerySet(OrgScopedQuerySet["Organisation"]):
    org_path = "pk"


class MaterialQuerySet(OrgScopedQuerySet["Material"]):
    org_path = "application__organisation"


class ErrorQuerySet(OrgScopedQuerySet["RegistrationError"]):
    org_path = "application__organisation"


class BureauOnlyQuerySet(OrgScopedQuerySet[M]):
    """Rows of the bureau's own (targets, complaints): organisation users see none."""

    def org_filter(self, org_id: int) -> Q:
        return Q(pk__in=[])


class OrganisationAccountQuerySet(OrgScopedQuerySet["OrganisationAccount"]):
    pass


class OfficerQuerySet(OrgScopedQuerySet["Officer"]):
    pass


class MemberQuerySet(OrgScopedQuerySet["Member"]):
    pass


class ApplicationQuerySet(OrgScopedQuerySet["Application"]):
    pass


class EventQuerySet(OrgScopedQuerySet["Event"]):
    pass


class CertificateQuerySet(OrgScopedQuerySet["Certificate"]):
    pass


class AnnualReportQuerySet(OrgScopedQuerySet["AnnualReport"]):
    pass


class YearTargetQuerySet(BureauOnlyQuerySet["YearTarget"]):
    pass


class ComplaintQuerySet(BureauOnlyQuerySet["Complaint"]):
    pass


class CampaignQuerySet(OrgScopedQuerySet["Campaign"]):
    def org_filter(self, org_id: int) -> Q:
        # an organisation sees the campaigns it takes part in
        return Q(pk__in=AnnualReport.objects.filter(organisation_id=org_id).values("campaign_id"))


class Organisation(models.Model):
    kind = models.CharField("类型", max_length=10, choices=OrgKind.choices)
    name = models.CharField("名称", max_length=100)
    area = models.ForeignKey(
        "orgs.Unit",
        verbose_name="登记地区",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="业务主管单位所在地区（如 乌鲁木齐市）；该地区的招商部门负责审核",
    )
    status = models.CharField("状态", max_length=15, choices=OrgStatus.choices, default=OrgStatus.PREPARING)
    # chambers
    place_of_origin = models.CharField("原籍地", max_length=50, blank=True, help_text="如 浙江省、河南省")
    registration_number = models.CharField("民政登记证号", max_length=40, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    address = models.CharField("住所", max_length=200, blank=True)
    premises_owned = models.BooleanField("有固定住所（自有或租用）", default=False)
    capital_wan = models.DecimalField(
        "注册资金（万元）",
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    charter = models.TextField("章程要点", blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_mobile = models.CharField("联系人手机", max_length=20, blank=True)
    # representative offices and the city's own offices elsewhere
    sending_body = models.CharField("派出单位", max_length=100, blank=True, help_text="派出的政府或企业")
    tasks_scope = models.TextField("工作任务与业务范围", blank=True)
    reporting_line = models.CharField("隶属关系", max_length=100, blank=True)
    admin_rank = models.CharField("机构规格", max_length=30, blank=True, help_text="如 正处级、副处级")
    staffing = models.PositiveSmallIntegerField("编制人数", default=0)
    head_name = models.CharField("负责人", max_length=50, blank=True)
    investment_tasks = models.TextField("招商任务", blank=True, help_text="驻外办事机构的年度招商任务")
    registered_on = models.DateField("登记日期", null=True, blank=True)
    ended_on = models.DateField("注销/撤销日期", null=True, blank=True)
    end_reason = models.CharField("注销/撤销原因", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="area")
    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = "社会组织"
        verbose_name_plural = "社会组织"
        ordering = ["kind", "name"]
        indexes = [
            models.Index(fields=["area", "kind", "status"]),
            models.Index(fields=["place_of_origin"]),
            models.Index(fields=["status"]),
            models.Index(fields=["registered_on"]),
        ]
        constraints = [
            # 一地一会: one chamber per place of origin per area among the live ones.
            models.UniqueConstraint(
                fields=["area", "place_of_origin"],
                condition=Q(kind="chamber", status__in=["preparing", "active"]) & ~Q(place_of_origin=""),
                name="chambers_one_per_origin_area",
                violation_error_message="同一地区同一原籍地只能有一家异地商会（一地一会）",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_contact_mobile(self) -> str:
        return mask_mobile(self.contact_mobile)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.name.strip():
            errors["name"] = "请填写名称"
        if self.kind == OrgKind.CHAMBER and not self.place_of_origin.strip():
            errors["place_of_origin"] = "异地商会须填写原籍地"
        if self.credit_code:
            from qinqing.enterprises import creditcode

            result = creditcode.check(self.credit_code)
            if not result.ok:
                errors["credit_code"] = f"统一社会信用代码有误：{result.error}"
        if self.capital_wan is not None and self.capital_wan < 0:
            errors["capital_wan"] = "注册资金不能为负数"
        if errors:
            raise ValidationError(errors)


class OrganisationAccount(models.Model):
    """Links an organisation user (role 社会组织用户, no unit, no enterprise) to its organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chambers_account"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="accounts")

    scope = Scope(unit="organisation__area")
    objects = OrganisationAccountQuerySet.as_manager()

    class Meta:
        verbose_name = "社会组织账号"
        verbose_name_plural = "社会组织账号"

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class Officer(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="officers")
    name = models.CharField("姓名", max_length=50)
    position = models.CharField("职务", max_length=30, help_text="会长、副会长、秘书长、监事长 …")
    mobile = models.CharField("手机", max_length=20, blank=True)
    term_start = models.DateField("任期起")
    term_end = models.DateField("任期止")

    scope = Scope(unit="organisation__area")
    objects = OfficerQuerySet.as_manager()

    class Meta:
        verbose_name = "负责人"
        verbose_name_plural = "负责人"
        ordering = ["organisation", "id"]

    def __str__(self) -> str:
        return f"{self.position} {self.name}"

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    def clean(self) -> None:
        if self.term_start and self.term_end:
            if self.term_end <= self.term_start:
                raise ValidationError({"term_end": "任期止应晚于任期起"})
            limit = self.term_start.replace(year=self.term_start.year + rules.MAX_TERM_YEARS)
            if self.term_end > limit:
                raise ValidationError({"term_end": f"每届任期不超过{rules.MAX_TERM_YEARS}年"})


class Member(models.Model):
    """A member enterprise of a chamber (单位会员 only: each carries a credit code)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    name = models.CharField("会员单位名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    is_founder = models.BooleanField("发起单位", default=False)
    joined_on = models.DateField("入会日期", null=True, blank=True)

    scope = Scope(unit="organisation__area")
    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "会员单位"
        verbose_name_plural = "会员单位"
        ordering = ["organisation", "-is_founder", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "credit_code"], name="chambers_member_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ReviewSettings(models.Model):
    """Review time limits in working days and the reminder threshold (one row, pk=1)."""

    registration_days = models.PositiveSmallIntegerField("登记备案审核时限（工作日）", default=20)
    change_days = models.PositiveSmallIntegerField("变更审核时限（工作日）", default=10)
    deregistration_days = models.PositiveSmallIntegerField("注销审核时限（工作日）", default=10)
    remind_days = models.PositiveSmallIntegerField("剩余几个工作日起提醒（黄灯）", default=3)
    rectification_days = models.PositiveSmallIntegerField("整改期限（工作日）", default=20)

    class Meta:
        verbose_name = "审核时限设置"
        verbose_name_plural = "审核时限设置"

    def __str__(self) -> str:
        return "审核时限设置"

    @classmethod
    def current(cls) -> ReviewSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def days_for(self, kind: str) -> int:
        return {
            AppKind.REGISTRATION: self.registration_days,
            AppKind.CHANGE: self.change_days,
            AppKind.DEREGISTRATION: self.deregistration_days,
        }[AppKind(kind)]

    def clean(self) -> None:
        for name in ("registration_days", "change_days", "deregistration_days", "rectification_days"):
            if getattr(self, name) < 1:
                raise ValidationError({name: "时限至少为1个工作日"})


class Application(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="applications")
    kind = models.CharField("事项", max_length=15, choices=AppKind.choices)
    status = models.CharField("状态", max_length=10, choices=AppStatus.choices, default=AppStatus.DRAFT)
    # change: {field: new value}; the before values are read from the organisation at review time and
    # frozen into ``before`` on approval.
    proposed = models.JSONField("拟变更事项", default=dict, blank=True)
    before = models.JSONField("变更前", default=dict, blank=True)
    reason = models.CharField("申请事由", max_length=300, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    due_on = models.DateField("审核期限", null=True, blank=True)
    due_provisional = models.BooleanField(default=False)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_comment = models.TextField("审核意见", blank=True)
    reminded_level = models.CharField(max_length=10, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    scope = Scope(unit="organisation__area")
    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "登记申请"
        verbose_name_plural = "登记申请"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["kind", "status", "decided_at"]),
            models.Index(fields=["organisation", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_APP_STATUSES

    @property
    def in_time(self) -> bool | None:
        if self.decided_at is None or self.due_on is None:
            return None
        return timezone.localtime(self.decided_at).date() <= self.due_on


class Material(models.Model):
    """One required item of an application: the uploaded file and the reviewer's comment on it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    item = models.CharField("材料", max_length=30)
    file = models.FileField("文件", upload_to="chambers/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField("审核意见", max_length=300, blank=True)

    scope = Scope(unit="application__organisation__area")
    objects = MaterialQuerySet.as_manager()

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["application", "item", "-uploaded_at"]
        indexes = [models.Index(fields=["application", "item"])]

    def __str__(self) -> str:
        return self.original_name


class Event(models.Model):
    """Every step of every procedure, with time and actor (the organisation's history)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="events")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("动作", max_length=20)
    detail = models.TextField("说明", blank=True)

    scope = Scope(unit="organisation__area")
    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["organisation", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action_label}"

    @property
    def action_label(self) -> str:
        return rules.ACTION_LABELS.get(self.action, self.action)


class RegistrationError(models.Model):
    """A correction after approval: an error counted against the approved application."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="errors")
    found_on = models.DateField("发现日期")
    description = models.CharField("差错说明", max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = Scope(unit="application__organisation__area")
    objects = ErrorQuerySet.as_manager()

    class Meta:
        verbose_name = "登记差错"
        verbose_name_plural = "登记差错"
        indexes = [models.Index(fields=["found_on"])]

    def __str__(self) -> str:
        return self.description


class CertificateCounter(models.Model):
    """The last serial of a year; locked (SELECT … FOR UPDATE) to hand out the next one."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Certificate(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="certificates")
    year = models.PositiveSmallIntegerField("年度")
    seq = models.PositiveIntegerField("顺序号")
    serial = models.CharField("证书编号", max_length=20, unique=True)
    kind = models.CharField("类型", max_length=10, choices=OrgKind.choices)
    org_name = models.CharField("名称（证书所载）", max_length=100)
    address = models.CharField("住所（证书所载）", max_length=200, blank=True)
    head_name = models.CharField("负责人（证书所载）", max_length=50, blank=True)
    status = models.CharField("状态", max_length=12, choices=CertStatus.choices, default=CertStatus.VALID)
    issued_on = models.DateField("发证日期")
    ended_on = models.DateField("换发/作废日期", null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField("发证机关", max_length=100)
    print_count = models.PositiveIntegerField("打印次数", default=0)

    scope = Scope(unit="organisation__area")
    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = "登记备案证书"
        verbose_name_plural = "登记备案证书"
        ordering = ["year", "seq"]
        constraints = [models.UniqueConstraint(fields=["year", "seq"], name="chambers_cert_year_seq")]
        indexes = [models.Index(fields=["organisation", "status"]), models.Index(fields=["issued_on"])]

    def __str__(self) -> str:
        return self.serial

    @property
    def reprints(self) -> int:
        return max(0, self.print_count - 1)


class Campaign(models.Model):
    """The year's annual inspection (年检) of one area's organisations."""

    area = models.ForeignKey("orgs.Unit", verbose_name="地区", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("检查年度", help_text="报告所属年度（次年报送）")
    deadline = models.DateField("报送截止日期")
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = Scope(unit="area")
    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "年检"
        verbose_name_plural = "年检"
        ordering = ["-year", "area"]
        constraints = [models.UniqueConstraint(fields=["area", "year"], name="chambers_campaign_area_year")]

    def __str__(self) -> str:
        return f"{self.year}年度年检（{self.area}）"


class AnnualReport(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="annual_reports")
    status = models.CharField(
        "状态", max_length=12, choices=ReportStatus.choices, default=ReportStatus.NOT_STARTED
    )
    sections = models.JSONField("报告内容", default=dict, blank=True)
    income_yuan = models.DecimalField(
        "年度收入（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    expense_yuan = models.DecimalField(
        "年度支出（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    net_assets_yuan = models.DecimalField(
        "净资产（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    declared = models.BooleanField("已签署声明", default=False)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    late = models.BooleanField("逾期报送", default=False)
    return_comment = models.TextField("退回意见", blank=True)
    conclusion = models.CharField("年检结论", max_length=6, choices=Conclusion.choices, blank=True)
    conclusion_comment = models.TextField("结论意见", blank=True)
    concluded_at = models.DateTimeField("结论时间", null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rectification_due = models.DateField("整改报告截止", null=True, blank=True)
    rectification_text = models.TextField("整改报告", blank=True)
    rectification_submitted_at = models.DateTimeField("整改报告提交时间", null=True, blank=True)
    reminded_at = models.DateTimeField("最近催报", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    scope = Scope(unit="organisation__area")
    objects = AnnualReportQuerySet.as_manager()

    class Meta:
        verbose_name = "年检报告"
        verbose_name_plural = "年检报告"
        ordering = ["campaign", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organisation"], name="chambers_report_unique")
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["conclusion", "concluded_at"]),
            models.Index(fields=["organisation", "campaign"]),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.campaign.year}年度报告"

    def is_overdue(self, today: dt.date) -> bool:
        return (
            self.status in (ReportStatus.NOT_STARTED, ReportStatus.RETURNED)
            and today > self.campaign.deadline
        )

    @property
    def needs_rectification(self) -> bool:
        return self.conclusion in rules.NEEDS_RECTIFICATION


class YearTarget(models.Model):
    """The year's targets of an area (the bureau's budget promises; 2022 Urumqi as the example)."""

    area = models.ForeignKey("orgs.Unit", verbose_name="地区", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    inspections = models.PositiveIntegerField("年检（家次）", default=0)
    revocations = models.PositiveIntegerField("撤销（件）", default=0)
    changes = models.PositiveIntegerField("变更（件）", default=0)
    registrations = models.PositiveIntegerField("新登记（件）", default=0)
    certificates = models.PositiveIntegerField("证书（件）", default=0)
    error_rate_max = models.DecimalField(
        "登记差错率上限（%）", max_digits=5, decimal_places=2, default=Decimal("5")
    )
    ontime_rate_min = models.DecimalField(
        "按时办结率下限（%）", max_digits=5, decimal_places=2, default=Decimal("95")
    )
    complaints_max = models.PositiveIntegerField("公众投诉上限（件）", default=5)

    scope = Scope(unit="area")
    objects = YearTargetQuerySet.as_manager()

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        constraints = [models.UniqueConstraint(fields=["area", "year"], name="chambers_target_area_year")]

    def __str__(self) -> str:
        return f"{self.area} {self.year}年度目标"


class Complaint(models.Model):
    """A public complaint about the registration service, logged by the bureau."""

    area = models.ForeignKey("orgs.Unit", verbose_name="地区", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    received_on = models.DateField("收到日期")
    summary = models.CharField("投诉内容摘要", max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = Scope(unit="area")
    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = "公众投诉"
        verbose_name_plural = "公众投诉"
        indexes = [models.Index(fields=["area", "received_on"])]

    def __str__(self) -> str:
        return self.summary
