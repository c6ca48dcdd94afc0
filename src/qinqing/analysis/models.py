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


# --- pre-aggregated facts for the dashboard (analysis/facts.py) -----------------------------------------
class FactQueue(models.Model):
    """Outbox: a demand whose analysis rows (text index, facts) are to be brought up to date.

    Written by the ``post_save`` receiver in the transaction that changes the demand (append-only, no
    conflicts); drained in batches by the job ``analysis.process_queue``."""

    id = models.BigAutoField(primary_key=True)
    demand_id = models.BigIntegerField(db_index=True)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "待处理诉求"
        verbose_name_plural = "待处理诉求"

    def __str__(self) -> str:
        return f"{self.demand_id}"


# The counters of a fact row: a demand contributes 0/1 to each (the sums are its own values).
FACT_COUNTERS = (
    "accepted",  # accept_decided_at set and not rejected
    "decided",  # accept_decided_at set (受理 decided: the settled part of the timely-accept denominator)
    "accept_timely",
    "signed",  # signed_at set (the settled part of the timely-sign denominator)
    "sign_timely",
    "closed",
    "closed_on_time",
    "rated",
    "satisfied",
    "redone",
    "returns",  # sum of return_count
    "dispatches",  # sum of dispatch_count
    "handle_days_sum",  # sum of handle_working_days of closed demands
    "handle_days_n",
)


class DemandFact(models.Model):
    """One demand as the dashboard counts it (its dimensions and 0/1 counters), as of the last time the
    queue job (or a rebuild) saw it. ``MonthlyFact``/``TermFact`` are exactly the sums of these rows."""

    demand_id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()
    month = models.PositiveIntegerField()  # yyyymm of created_at in Asia/Shanghai
    r_path = models.CharField(max_length=48)  # the receiving office's Unit.path
    l_path = models.CharField(max_length=48, blank=True)  # the lead unit's Unit.path ("" when none)
    category_id = models.BigIntegerField()
    demand_type = models.CharField(max_length=12)
    channel = models.CharField(max_length=8)
    industry = models.CharField(max_length=1, blank=True)
    scale = models.CharField(max_length=10, blank=True)
    ownership = models.CharField(max_length=10, blank=True)
    accepted = models.IntegerField(default=0)
    decided = models.IntegerField(default=0)
    accept_timely = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    sign_timely = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    redone = models.IntegerField(default=0)
    returns = models.IntegerField(default=0)
    dispatches = models.IntegerField(default=0)
    handle_days_sum = models.IntegerField(default=0)
    handle_days_n = models.IntegerField(default=0)
    # The clocks that make a figure depend on "now": the 受理 deadline while not decided and the 签收
    # deadline while not signed (NULL otherwise). Partial indexes find the few that have run out.
    accept_open_due = models.DateTimeField(null=True)
    sign_open_due = models.DateTimeField(null=True)
    terms = models.TextField(blank=True)  # the text index's terms counted in TermFact

    class Meta:
        verbose_name = "诉求事实"
        verbose_name_plural = "诉求事实"
        indexes = [
            models.Index(fields=["created_at"], name="analysis_fact_created"),
            models.Index(
                fields=["accept_open_due"],
                condition=models.Q(accept_open_due__isnull=False),
                name="analysis_fact_accept_open",
            ),
            models.Index(
                fields=["sign_open_due"],
                condition=models.Q(sign_open_due__isnull=False),
                name="analysis_fact_sign_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.demand_id}"


class MonthlyFact(models.Model):
    """Per unit (every unit whose subtree holds the receiving office or the lead unit, once), month and
    dimension value: the number of demands submitted and the sums of their counters."""

    id = models.BigAutoField(primary_key=True)
    unit_id = models.BigIntegerField()
    dim = models.CharField(max_length=10)  # type, category (leaf id), channel, industry, scale, ownership
    month = models.PositiveIntegerField()
    key = models.CharField(max_length=20)
    submitted = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    decided = models.IntegerField(default=0)
    accept_timely = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    sign_timely = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    redone = models.IntegerField(default=0)
    returns = models.IntegerField(default=0)
    dispatches = models.IntegerField(default=0)
    handle_days_sum = models.IntegerField(default=0)
    handle_days_n = models.IntegerField(default=0)

    class Meta:
        verbose_name = "诉求月度事实"
        verbose_name_plural = "诉求月度事实"
        constraints = [
            models.UniqueConstraint(fields=["unit_id", "dim", "month", "key"], name="analysis_monthly_once")
        ]
        indexes = [
            models.Index(fields=["submitted"], condition=models.Q(submitted=0), name="analysis_monthly_zero")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month} {self.dim}={self.key}"


class TermFact(models.Model):
    """Per unit, month and term: the number of demands whose text index holds the term."""

    id = models.BigAutoField(primary_key=True)
    unit_id = models.BigIntegerField()
    month = models.PositiveIntegerField()
    term = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = "诉求月度词频"
        verbose_name_plural = "诉求月度词频"
        constraints = [
            models.UniqueConstraint(fields=["unit_id", "month", "term"], name="analysis_termfact_once")
        ]
        indexes = [models.Index(fields=["n"], condition=models.Q(n=0), name="analysis_termfact_zero")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month} {self.term}"


class FactState(models.Model):
    """One row (pk=1): bumped by every commit that changes the facts, so that a reader can tell that
    its several queries saw one state. ``token`` is drawn at random with every bump: (version, token)
    names one state of the facts even across a database restore or a rolled-back transaction, so the
    figures cached under it (``analysis.fact_reads``) are never those of another state."""

    version = models.BigIntegerField(default=0)
    token = models.BigIntegerField(default=0, db_default=0)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "诉求事实状态"
        verbose_name_plural = "诉求事实状态"

    def __str__(self) -> str:
        return f"v{self.version}"
