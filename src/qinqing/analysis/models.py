"""The text index of demands (kept current at submission), duplicate links and generated monthly reports.

- ``DemandIndex``: one row per demand, its distinct terms (jieba + the domain dictionary).
- ``DemandTerm``: one row per (demand, term), with the submission time: top terms of a period are one
  grouped query, and similar-demand candidates come from the rare terms they share.
- ``TermStat``: document frequency per term (the row with term "" holds the number of documents).
- ``DuplicateLink``: a demand merged as a duplicate of an earlier one.
- ``AnalysisReport``: the generated 营商环境诉求分析月报 (PDF and Word) of a unit subtree and month.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from qinqing.core.scoping import Scope, ScopedQuerySet


class DemandIndex(models.Model):
    demand = models.OneToOneField(
        "demands.Demand", primary_key=True, on_delete=models.CASCADE, related_name="text_index"
    )
    terms = models.TextField("分词", blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "诉求分词索引"
        verbose_name_plural = "诉求分词索引"

    def __str__(self) -> str:
        return f"{self.demand_id}"

    @property
    def term_list(self) -> list[str]:
        return self.terms.split() if self.terms else []


class DemandTerm(models.Model):
    id = models.BigAutoField(primary_key=True)
    demand = models.ForeignKey("demands.Demand", on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=20)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "诉求词项"
        verbose_name_plural = "诉求词项"
        constraints = [models.UniqueConstraint(fields=["demand", "term"], name="analysis_term_once")]
        indexes = [
            models.Index(fields=["term", "created_at"], name="analysis_term_time"),
            models.Index(fields=["created_at", "term"], name="analysis_time_term"),
        ]

    def __str__(self) -> str:
        return self.term


class TermStat(models.Model):
    term = models.CharField(max_length=20, primary_key=True)
    df = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "词频统计"
        verbose_name_plural = "词频统计"

    def __str__(self) -> str:
        return f"{self.term} {self.df}"


class DuplicateLinkQuerySet(ScopedQuerySet["DuplicateLink"]):
    pass


class DuplicateLink(models.Model):
    """DEMAND was merged as a duplicate of ORIGINAL (不予受理: 重复诉求)."""

    demand = models.OneToOneField("demands.Demand", on_delete=models.CASCADE, related_name="duplicate_link")
    original = models.ForeignKey("demands.Demand", on_delete=models.PROTECT, related_name="duplicates")
    score = models.FloatField("相似度")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)

    scope = Scope(unit=("demand__receiving_unit", "demand__lead_unit"))
    objects = DuplicateLinkQuerySet.as_manager()

    class Meta:
        verbose_name = "重复诉求合并"
        verbose_name_plural = "重复诉求合并"
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.demand_id} → {self.original_id}"


class AnalysisReportQuerySet(ScopedQuerySet["AnalysisReport"]):
    pass


def report_path(instance: AnalysisReport, filename: str) -> str:
    return f"reports/{instance.month:%Y-%m}/{filename}"


class AnalysisReport(models.Model):
    unit = models.ForeignKey("orgs.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份", help_text="该月1日")
    pdf = models.FileField(upload_to=report_path, max_length=200)
    docx = models.FileField(upload_to=report_path, max_length=200)
    generated_at = models.DateTimeField("生成时间", default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField("摘要", default=dict)

    scope = Scope(unit="unit")
    objects = AnalysisReportQuerySet.as_manager()

    class Meta:
        verbose_name = "诉求分析月报"
        verbose_name_plural = "诉求分析月报"
        ordering = ["-month", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="analysis_report_once")]
        indexes = [models.Index(fields=["month"], name="analysis_report_month")]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y年%m月}诉求分析月报"
