"""State changes of the analysis app: merging a duplicate demand, generating the monthly report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from qinqing.analysis import text
from qinqing.analysis.models import AnalysisReport, DuplicateLink
from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction
from qinqing.core.permissions import require
from qinqing.demands import services as demand_services
from qinqing.demands.models import Demand, RejectReason, Status
from qinqing.orgs.models import Unit, UnitKind


@transaction.atomic
def merge_duplicate(user: Any, demand_id: int, original_id: int) -> DuplicateLink:
    """合并为重复诉求: DEMAND (待受理) is not accepted as a repeat of ORIGINAL and linked to it; the
    enterprise sees the original's number in the reason."""
    require(user, "analysis.merge")
    visible = Demand.objects.visible_to(user)
    demand = visible.filter(pk=demand_id).first()
    original = visible.filter(pk=original_id).first()
    if demand is None or original is None:
        raise Http404("未找到该诉求")
    if demand.pk == original.pk:
        raise ValidationError({"original": "不能与自身合并"})
    if demand.status != Status.SUBMITTED:
        raise ValidationError({"demand": "只有待受理的诉求可以合并为重复诉求"})
    if DuplicateLink.objects.filter(demand=original).exists():
        raise ValidationError({"original": "所选原诉求本身已被合并，请选择最早的诉求"})
    from qinqing.analysis.similarity import find_similar

    scores = {d.pk: s for d, s in find_similar(demand, user, limit=50)}
    score = scores.get(original.pk)
    if score is None:
        from qinqing.analysis.similarity import _weights

        a = text.Doc.of(demand.title, demand.description, demand.enterprise_id, demand.category_id)
        b = text.Doc.of(original.title, original.description, original.enterprise_id, original.category_id)
        score = text.similarity(a, b, _weights(a.terms + b.terms))
    try:
        demand_services.reject(
            user,
            demand.pk,
            demand.version,
            reason=RejectReason.REPEAT,
            note=f"与诉求{original.number}「{original.title}」重复，已合并办理",
        )
    except demand_services.ActionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    link = DuplicateLink.objects.create(demand=demand, original=original, score=score, merged_by=user)
    audit.record_create(
        user, link, detail=f"合并重复诉求 {demand.number} → {original.number}（相似度{score:.2f}）"
    )
    return link


# --- the monthly report ------------------------------------------------------------------------------
def _generate(unit: Unit, month: dt.date, actor: Any) -> AnalysisReport:
    from django.core.files.base import ContentFile

    from qinqing.analysis import report

    data = report.collect(unit, month)
    pdf, docx = report.render_pdf(data), report.render_docx(data)
    row = AnalysisReport.objects.select_for_update().filter(unit=unit, month=data.month).first()
    if row is None:
        row = AnalysisReport(unit=unit, month=data.month)
    else:
        row.pdf.delete(save=False)
        row.docx.delete(save=False)
    stem = f"{unit.pk}-{data.month:%Y-%m}"
    row.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    row.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
    row.generated_at = timezone.now()
    row.generated_by = actor if getattr(actor, "pk", None) else None
    row.summary = data.summary()
    row.save()
    audit.record(
        AuditAction.CREATE,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name="" if getattr(actor, "pk", None) else "系统（月报任务）",
        obj=row,
        detail=f"生成{data.title}",
    )
    return row


@transaction.atomic
def generate_report(user: Any, unit: Unit, month: dt.date) -> AnalysisReport:
    """营商环境诉求分析月报 of UNIT's subtree for MONTH (regenerating replaces the files)."""
    require(user, "analysis.report")
    scope = user.scope_unit
    if scope is None or not unit.path.startswith(scope.path):
        raise Http404("未找到该单位")
    if month.replace(day=1) > timezone.localdate().replace(day=1):
        raise ValidationError({"month": "不能生成未来月份的月报"})
    return _generate(unit, month, user)


def third_working_day(year: int, month: int) -> dt.date:
    from qinqing.calendar.services import is_working_day

    day, seen = dt.date(year, month, 1), 0
    while True:
        if is_working_day(day):
            seen += 1
            if seen == 3:
                return day
        day += dt.timedelta(days=1)


def report_units() -> list[Unit]:
    """The prefectures and each county-level area (县市区 and 园区) under them."""
    return list(
        Unit.objects.active()
        .filter(kind__in=[UnitKind.PREFECTURE, UnitKind.COUNTY, UnitKind.PARK])
        .order_by("path")
    )


def scheduled_reports(today: dt.date | None = None) -> int:
    """From the 3rd working day of a month: last month's report for every prefecture and county that has
    none yet (idempotent: a second run finds them). Returns how many were generated."""
    today = today or timezone.localdate()
    if today < third_working_day(today.year, today.month):
        return 0
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    done = set(AnalysisReport.objects.filter(month=month).values_list("unit_id", flat=True))
    count = 0
    for unit in report_units():
        if unit.pk in done:
            continue
        with transaction.atomic():
            _generate(unit, month, None)
        count += 1
    return count
