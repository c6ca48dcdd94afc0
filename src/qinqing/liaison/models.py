"""Leader liaison (包联), visits (走访) and their problems, coordination meetings and escalation rules.

- ``Assignment``: a leader looks after an enterprise *or* an investment project (exactly one is set; a
  check constraint holds it) from a start date to an optional end date, at the level (tier) of the
  leader's unit; a service commissioner (服务专员) may assist and a project may have a task force (专班).
- ``LiaisonRule``: per level, the minimum number of enterprises a leader looks after and how often each
  must be visited (months).
- ``Visit`` with ``VisitProblem`` rows: each problem found is a demand (channel 走访收集) in the normal
  workflow; the problem ledger (问题台账) is derived from those demands (``queries.ledger``).
- ``EscalationRule`` per level and ``EscalationProposal``: the 三级联动 ladder.
- ``Meeting`` (协调会/联席会议) with the demands it handled, the units present, decisions and follow-ups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet
from qinqing.orgs.models import Tier

LEVELS = (Tier.PREFECTURE, Tier.COUNTY, Tier.TOWNSHIP)
LEVEL_CHOICES = [(int(t), t.label) for t in LEVELS]
LEVEL_SHORT = {Tier.PREFECTURE: "州级", Tier.COUNTY: "县级", Tier.TOWNSHIP: "乡级"}
# Visit frequency defaults (months between visits): 州级 quarterly, 县级 and 乡级 monthly.
DEFAULT_INTERVAL_MONTHS = {Tier.PREFECTURE: 3, Tier.COUNTY: 1, Tier.TOWNSHIP: 1}
DEFAULT_MIN_ENTERPRISES = 3


class LiaisonRule(models.Model):
    """Quota and visit frequency for leaders of one level."""

    level = models.PositiveSmallIntegerField("层级", choices=LEVEL_CHOICES, unique=True)
    min_enterprises = models.PositiveSmallIntegerField(
        "每位领导最少包联企业数", default=DEFAULT_MIN_ENTERPRISES
    )
    visit_interval_months = models.PositiveSmallIntegerField("走访频次（每几个月至少一次）", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "包联规则"
        verbose_name_plural = "包联规则"
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{LEVEL_SHORT.get(Tier(self.level), self.level)}包联规则"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not 0 <= (self.min_enterprises or 0) <= 100:
            errors["min_enterprises"] = "最少包联企业数应为 0–100"
        if not 1 <= (self.visit_interval_months or 0) <= 12:
            errors["visit_interval_months"] = "走访频次应为每 1–12 个月一次"
        if errors:
            raise ValidationError(errors)

    @classmethod
    def for_level(cls, level: int) -> LiaisonRule:
        row = cls.objects.filter(level=level).first()
        if row is not None:
            return row
        return cls(
            level=level,
            min_enterprises=DEFAULT_MIN_ENTERPRISES,
            visit_interval_months=DEFAULT_INTERVAL_MONTHS.get(Tier(level), 1),
        )

    @classmethod
    def all_levels(cls) -> dict[int, LiaisonRule]:
        rows = {r.level: r for r in cls.objects.all()}
        return {int(t): rows.get(int(t)) or cls.for_level(int(t)) for t in LEVELS}


class AssignmentQuerySet(ScopedQuerySet["Assignment"]):
    def active_on(self, day: dt.date) -> AssignmentQuerySet:
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class Assignment(models.Model):
    """包联: LEADER looks after ENTERPRISE or PROJECT (exactly one)."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="包联领导",
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name="领导所在单位", on_delete=models.PROTECT, related_name="liaison_assignments"
    )
    level = models.PositiveSmallIntegerField("层级", choices=LEVEL_CHOICES)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="包联企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    project = models.ForeignKey(
        "investment.Project",
        verbose_name="包联项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务专员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_commissions",
    )
    task_force = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="专班成员", blank=True, related_name="liaison_task_forces"
    )
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    scope = Scope(unit=("unit", "enterprise__registered_unit", "project__location_unit"))
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "包联关系"
        verbose_name_plural = "包联关系"
        ordering = ["level", "leader_id", "start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(enterprise__isnull=False) & Q(project__isnull=True))
                | (Q(enterprise__isnull=True) & Q(project__isnull=False)),
                name="liaison_assignment_one_target",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="liaison_assignment_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["leader", "end_date"], name="liaison_asg_leader"),
            models.Index(fields=["enterprise", "end_date"], name="liaison_asg_enterprise"),
            models.Index(fields=["project", "end_date"], name="liaison_asg_project"),
            models.Index(fields=["unit", "level"], name="liaison_asg_unit_level"),
            models.Index(fields=["level", "start_date"], name="liaison_asg_level"),
        ]

    def __str__(self) -> str:
        return f"{self.leader} 包联 {self.target}"

    @property
    def target(self) -> Any:
        return self.enterprise if self.enterprise_id else self.project

    @property
    def level_label(self) -> str:
        return LEVEL_SHORT.get(Tier(self.level), str(self.level))

    def is_active_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class VisitForm(models.TextChoices):
    ON_SITE = "on_site", "实地走访"
    FORUM = "forum", "座谈"
    PHONE = "phone", "电话"
    VIDEO = "video", "视频"


class VisitQuerySet(ScopedQuerySet["Visit"]):
    pass


class Visit(models.Model):
    """走访记录."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="走访领导",
        on_delete=models.PROTECT,
        related_name="liaison_visits",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name="领导所在单位", on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField("层级", choices=LEVEL_CHOICES)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="走访企业",
        on_delete=models.PROTECT,
        related_name="liaison_visits",
    )
    assignment = models.ForeignKey(
        Assignment,
        verbose_name="包联关系",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    visited_on = models.DateField("走访日期")
    form = models.CharField("走访形式", max_length=10, choices=VisitForm.choices)
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="陪同人员", blank=True, related_name="liaison_companion_visits"
    )
    companions_text = models.CharField("其他陪同人员", max_length=200, blank=True)
    topics = models.CharField("走访主题", max_length=200)
    situation = models.TextField("企业生产经营情况", max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    scope = Scope(unit=("unit", "enterprise__registered_unit"))
    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["leader", "visited_on"], name="liaison_visit_leader"),
            models.Index(fields=["enterprise", "visited_on"], name="liaison_visit_enterprise"),
            models.Index(fields=["unit", "visited_on"], name="liaison_visit_unit"),
            models.Index(fields=["visited_on"], name="liaison_visit_date"),
            models.Index(fields=["form", "visited_on"], name="liaison_visit_form"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} {self.leader} 走访 {self.enterprise}"


def visit_file_path(instance: VisitFile, filename: str) -> str:
    return f"liaison/{timezone.now():%Y/%m}/{instance.token}{instance.extension}"


class VisitFile(models.Model):
    """A photo or document of a visit, served only through ``liaison:visit-file`` (scope checked)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="files")
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=visit_file_path, max_length=200)
    name = models.CharField("文件名", max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "走访附件"
        verbose_name_plural = "走访附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class VisitProblem(models.Model):
    """A problem found on a visit: the demand (channel 走访收集) that carries it through the workflow."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problems")
    demand = models.OneToOneField(
        "demands.Demand", verbose_name="诉求", on_delete=models.PROTECT, related_name="visit_problem"
    )
    position = models.PositiveSmallIntegerField("序号", default=1)

    class Meta:
        verbose_name = "走访问题"
        verbose_name_plural = "走访问题"
        ordering = ["visit_id", "position"]
        constraints = [models.UniqueConstraint(fields=["visit", "position"], name="liaison_problem_position")]

    def __str__(self) -> str:
        return f"{self.visit_id}#{self.position}"


# --- 三级联动 ---------------------------------------------------------------------------------------------
class EscalationMode(models.TextChoices):
    PROPOSE = "propose", "提出提级建议，由上级调度员决定"
    AUTOMATIC = "automatic", "自动提级"


class EscalationRule(models.Model):
    """When a demand handled at LEVEL goes up the ladder (乡镇/部门 → 县市/园区 → 州)."""

    level = models.PositiveSmallIntegerField("承办层级", choices=LEVEL_CHOICES, unique=True)
    overdue_days = models.PositiveSmallIntegerField(
        "超期工作日数", default=5, help_text="办结期限已过超过该工作日数时提级"
    )
    redo_count = models.PositiveSmallIntegerField("重办次数", default=2, help_text="发回重办达到该次数时提级")
    on_difficult = models.BooleanField("承办单位标记疑难时提级", default=True)
    mode = models.CharField(
        "方式", max_length=10, choices=EscalationMode.choices, default=EscalationMode.PROPOSE
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "提级规则"
        verbose_name_plural = "提级规则"
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{LEVEL_SHORT.get(Tier(self.level), self.level)}提级规则"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not 1 <= (self.overdue_days or 0) <= 60:
            errors["overdue_days"] = "超期工作日数应为 1–60"
        if not 1 <= (self.redo_count or 0) <= 10:
            errors["redo_count"] = "重办次数应为 1–10"
        if errors:
            raise ValidationError(errors)

    @classmethod
    def for_level(cls, level: int) -> EscalationRule:
        row = cls.objects.filter(level=level).first()
        return row if row is not None else cls(level=level)


class DifficultMarkQuerySet(ScopedQuerySet["DifficultMark"]):
    pass


class DifficultMark(models.Model):
    """疑难: the handling unit says it cannot solve the demand at its level."""

    demand = models.OneToOneField("demands.Demand", on_delete=models.CASCADE, related_name="difficult_mark")
    unit = models.ForeignKey("orgs.Unit", verbose_name="标记单位", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("疑难原因", max_length=300)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = DifficultMarkQuerySet.as_manager()

    class Meta:
        verbose_name = "疑难标记"
        verbose_name_plural = "疑难标记"

    def __str__(self) -> str:
        return f"{self.demand_id} 疑难"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "待决定"
    ESCALATED = "escalated", "已提级"
    DISMISSED = "dismissed", "不予提级"
    OBSOLETE = "obsolete", "已失效"


class ProposalReason(models.TextChoices):
    OVERDUE = "overdue", "超期"
    REDO = "redo", "多次重办"
    DIFFICULT = "difficult", "疑难"


class EscalationProposalQuerySet(ScopedQuerySet["EscalationProposal"]):
    def pending(self) -> EscalationProposalQuerySet:
        return self.filter(status=ProposalStatus.PROPOSED)


class EscalationProposal(models.Model):
    """A demand proposed for (or automatically given) escalation to TO_UNIT, by rule."""

    demand = models.ForeignKey(
        "demands.Demand", on_delete=models.CASCADE, related_name="escalation_proposals"
    )
    from_unit = models.ForeignKey(
        "orgs.Unit", verbose_name="原承办单位", on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        "orgs.Unit", verbose_name="提级至", on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField("原层级", choices=LEVEL_CHOICES)
    reasons = models.JSONField("提级原因", default=list)
    detail = models.CharField("说明", max_length=300)
    status = models.CharField(
        "状态", max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    automatic = models.BooleanField("自动提级", default=False)
    created_at = models.DateTimeField("提出时间", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decision_note = models.CharField("决定意见", max_length=300, blank=True)

    scope = Scope(unit=("to_unit", "from_unit"))
    objects = EscalationProposalQuerySet.as_manager()

    class Meta:
        verbose_name = "提级建议"
        verbose_name_plural = "提级建议"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One proposal per demand and unit it leaves: the periodic job may run any number of times.
            models.UniqueConstraint(fields=["demand", "from_unit"], name="liaison_proposal_once"),
        ]
        indexes = [
            models.Index(fields=["to_unit", "status"], name="liaison_proposal_to"),
            models.Index(fields=["status", "created_at"], name="liaison_proposal_status"),
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} → {self.to_unit_id}"

    @property
    def reason_labels(self) -> str:
        return "、".join(ProposalReason(r).label for r in self.reasons if r in ProposalReason.values)


class MeetingKind(models.TextChoices):
    COORDINATION = "coordination", "协调会"
    JOINT = "joint", "联席会议"


class MeetingQuerySet(ScopedQuerySet["Meeting"]):
    pass


class Meeting(models.Model):
    """A county coordination meeting (协调会) or a prefecture joint meeting (联席会议)."""

    kind = models.CharField("会议类型", max_length=12, choices=MeetingKind.choices)
    unit = models.ForeignKey("orgs.Unit", verbose_name="召集单位", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("层级", choices=LEVEL_CHOICES)
    title = models.CharField("会议名称", max_length=200)
    held_on = models.DateField("召开日期")
    location = models.CharField("地点", max_length=200, blank=True)
    chair = models.CharField("主持人", max_length=50, blank=True)
    units_present = models.ManyToManyField("orgs.Unit", verbose_name="参会单位", blank=True, related_name="+")
    demands = models.ManyToManyField(
        "demands.Demand", verbose_name="研究的诉求", blank=True, related_name="meetings"
    )
    decisions = models.TextField("会议议定事项", max_length=4000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "协调会议"
        verbose_name_plural = "协调会议"
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["unit", "held_on"], name="liaison_meeting_unit"),
            models.Index(fields=["held_on"], name="liaison_meeting_date"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class FollowUpKind(models.TextChoices):
    DISPATCH = "dispatch", "交办"
    REMIND = "remind", "催办"


class FollowUp(models.Model):
    """A follow-up action decided by a meeting, landed in the demand workflow (交办 or 催办)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="follow_ups")
    demand = models.ForeignKey("demands.Demand", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("落实方式", max_length=10, choices=FollowUpKind.choices)
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assisting_units = models.ManyToManyField(
        "orgs.Unit", verbose_name="配合单位", blank=True, related_name="+"
    )
    action = models.CharField("落实事项", max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "会议落实事项"
        verbose_name_plural = "会议落实事项"
        ordering = ["meeting_id", "id"]
        indexes = [models.Index(fields=["demand"], name="liaison_followup_demand")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.demand_id}"
