"""Satisfaction surveys: questionnaires (versioned JSON definitions), surveys, sampling, invitations,
drafts, and anonymous responses.

Anonymity (docs/surveys.md "Anonymity"): for an anonymous survey a ``Response`` has a random UUID key,
only the day it was released, the unit and the analysis stratum — no invitation, enterprise, token,
address, user agent or time of day. The token is marked used in ``TokenUse`` (primary key = the
invitation, no date, no response). A submission is written to ``SealedResponse`` in the token's
transaction; ``release_sealed`` moves sealed rows into ``Response`` in shuffled batches of at least
``RELEASE_BATCH`` in a later transaction, so neither the row's transaction id (PostgreSQL ``xmin``) nor its
position in the table follows the order in which tokens were used.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class QuestionnaireQuerySet(ScopedQuerySet["Questionnaire"]):
    pass


class Questionnaire(models.Model):
    """One version of a questionnaire. A published version is frozen; an edit makes the next version."""

    family = models.UUIDField("问卷系列", default=uuid.uuid4, db_index=True)
    version = models.PositiveIntegerField("版本", default=1)
    title = models.CharField("问卷名称", max_length=200)
    owner_unit = models.ForeignKey(
        "orgs.Unit", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+"
    )
    definition = models.JSONField("问卷定义", default=dict)
    status = models.CharField(
        "状态", max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    lock_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    scope = Scope(unit="owner_unit")
    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["family", "version"], name="questionnaire_version")]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"

    @property
    def frozen(self) -> bool:
        return self.status == QuestionnaireStatus.PUBLISHED

    def clean(self) -> None:
        from qinqing.surveys import schema

        try:
            schema.Definition.parse(self.definition)
        except schema.DefinitionError as exc:
            raise ValidationError({"definition": str(exc)}) from exc


class LibraryQuestionQuerySet(ScopedQuerySet["LibraryQuestion"]):
    pass


class LibraryQuestion(models.Model):
    """A reusable question (the JSON of one question), copied into questionnaires."""

    owner_unit = models.ForeignKey(
        "orgs.Unit", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("名称", max_length=200)
    question = models.JSONField("题目")
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="owner_unit")
    objects = LibraryQuestionQuerySet.as_manager()

    class Meta:
        verbose_name = "题库题目"
        verbose_name_plural = "题库"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "准备中"
    OPEN = "open", "调查中"
    CLOSED = "closed", "已结束"


# status -> statuses reachable from it (services.TRANSITIONS enforces it, with the capability)
class Audience(models.TextChoices):
    ENTERPRISES = "enterprises", "企业（从企业库抽样）"
    PUBLIC = "public", "公众"


STRATA_FIELDS = {"industry_section": "行业门类", "scale": "企业规模", "ownership": "所有制"}


class SurveyQuerySet(ScopedQuerySet["Survey"]):
    pass


class Survey(models.Model):
    title = models.CharField("调查名称", max_length=200)
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name="问卷版本", on_delete=models.PROTECT, related_name="surveys"
    )
    owner_unit = models.ForeignKey(
        "orgs.Unit", verbose_name="组织单位", on_delete=models.PROTECT, related_name="+"
    )
    units = models.ManyToManyField("orgs.Unit", verbose_name="调查单位", related_name="+")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    audience = models.CharField(
        "调查对象", max_length=12, choices=Audience.choices, default=Audience.ENTERPRISES
    )
    anonymous = models.BooleanField("匿名调查", default=True)
    notice_version = models.CharField("告知书版本", max_length=20, default="v1")
    notice = models.TextField("告知书", blank=True)
    allow_invitation = models.BooleanField("邀请（一次性链接）", default=True)
    allow_open_link = models.BooleanField("公开链接/二维码", default=False)
    allow_interview = models.BooleanField("调查员录入", default=True)
    open_slug = models.CharField(max_length=32, unique=True, default="", blank=True)
    strata_fields = models.JSONField("分析分层", default=list, blank=True)
    min_cell = models.PositiveSmallIntegerField("最小单元格", default=5)
    status = models.CharField("状态", max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    lock_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit=("owner_unit", "units"))
    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = "满意度调查"
        verbose_name_plural = "满意度调查"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "结束日期不能早于开始日期"
        unknown = [f for f in self.strata_fields or [] if f not in STRATA_FIELDS]
        if unknown:
            errors["strata_fields"] = f"未知的分层字段：{'、'.join(unknown)}"
        if self.min_cell < 1:
            errors["min_cell"] = "最小单元格至少为 1"
        if errors:
            raise ValidationError(errors)


class SamplingRun(models.Model):
    """One draw from the enterprise registry: the plan and the seed, so it can be redrawn identically."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sampling_runs")
    seed = models.BigIntegerField("随机种子")
    plan = models.JSONField("抽样方案")  # {"per_stratum": {stratum: n}, "default": n}
    drawn = models.PositiveIntegerField("抽中数", default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"抽样 {self.seed}"


class Quota(models.Model):
    """Completions allowed per surveyed unit × stratum ("" = the whole unit); intake stops when full."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=60, blank=True)
    target = models.PositiveIntegerField("配额")
    completed = models.PositiveIntegerField("已完成", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "unit", "stratum"], name="survey_quota_cell")
        ]

    def __str__(self) -> str:
        return f"配额 {self.completed}/{self.target}"


class InvitationQuerySet(ScopedQuerySet["Invitation"]):
    pass


class Invitation(models.Model):
    """A one-use token for one sampled enterprise. Only the token's SHA-256 is stored."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stratum = models.CharField(max_length=60, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField("渠道", max_length=10, default="sms")
    address = models.CharField("联系方式", max_length=200, blank=True)
    sent = models.BooleanField(default=False)
    reminders = models.PositiveSmallIntegerField(default=0)
    opened = models.BooleanField(default=False)
    opted_out = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit="unit")
    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["survey", "unit", "stratum"], name="survey_invitation_cell")]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "enterprise"],
                condition=models.Q(enterprise__isnull=False),
                name="survey_invitation_enterprise",
            )
        ]

    def __str__(self) -> str:
        return f"邀请 {self.pk}"


class TokenUse(models.Model):
    """The used-mark of a token: which invitation was used — never when, never which response."""

    invitation = models.OneToOneField(
        Invitation, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return "已使用"


class Mode(models.TextChoices):
    INVITATION = "invitation", "邀请链接"
    OPEN = "open", "公开链接"
    QR = "qr", "二维码"
    INTERVIEW = "interview", "调查员录入"


class Draft(models.Model):
    """A partial response, resumable on the device that holds the draft id (cookie). Deleted on submit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(max_length=12, choices=Mode.choices)
    stratum = models.CharField(max_length=60, blank=True)
    answers = models.JSONField(default=dict)
    page = models.PositiveSmallIntegerField(default=0)
    consent_at = models.DateTimeField(null=True, blank=True)
    updated_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return "草稿"


class SealedResponse(models.Model):
    """A submitted anonymous response waiting for its release batch (see the module docstring)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=60, blank=True)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    answers = models.JSONField(default=dict)
    valid = models.BooleanField(default=True)

    def __str__(self) -> str:
        return "待发布答卷"


class ResponseQuerySet(ScopedQuerySet["Response"]):
    pass


class Response(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=60, blank=True)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    submitted_on = models.DateField("提交日期")
    answers = models.JSONField(default=dict)
    index = models.DecimalField("满意度指数", max_digits=6, decimal_places=2, null=True)
    satisfied = models.PositiveSmallIntegerField(default=0)  # five-level answers 满意/非常满意
    rated = models.PositiveSmallIntegerField(default=0)  # five-level answers given
    valid = models.BooleanField(default=True)  # False: failed the attention check (excluded from results)
    # Non-anonymous surveys only (follow-up allowed, consent given):
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_notice = models.CharField(max_length=20, blank=True)

    scope = Scope(unit="unit")
    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = "答卷"
        verbose_name_plural = "答卷"
        indexes = [models.Index(fields=["survey", "unit", "stratum"], name="survey_response_cell")]

    def __str__(self) -> str:
        return "答卷"

    def clean(self) -> None:
        if self.survey_id and self.survey.anonymous and (self.invitation_id or self.consent_at):
            raise ValidationError("匿名调查的答卷不得关联邀请")


class DimensionScore(models.Model):
    """A response's score in one dimension ("" = the overall index), denormalised for aggregation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="scores")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=60, blank=True)
    dimension = models.CharField(max_length=40, blank=True)
    score = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["survey", "unit", "dimension"], name="survey_score_cell")]

    def __str__(self) -> str:
        return f"{self.dimension or '总指数'} {self.score:.1f}"


class ReportKind(models.TextChoices):
    UNIT = "unit", "单位报告"
    SUMMARY = "summary", "汇总报告"


class SurveyReportQuerySet(ScopedQuerySet["SurveyReport"]):
    pass


class SurveyReport(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    pdf = models.BinaryField()
    docx = models.BinaryField()
    responses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = Scope(unit="unit")
    objects = SurveyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["survey", "unit", "kind"], name="survey_report_once")]

    def __str__(self) -> str:
        return f"{self.survey} {self.get_kind_display()}"


def strata_of(enterprise: Any, fields: list[str]) -> str:
    return "|".join(str(getattr(enterprise, f)) for f in fields)
