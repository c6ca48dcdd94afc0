"""Results pages, reports and exports (all read queries.py, where the small-cell rule is applied)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from qinqing.accounts.reauth import reauth_required
from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.core.permissions import require_capability
from qinqing.orgs.models import Unit
from qinqing.surveys import exports, privacy, queries, reports
from qinqing.surveys.answering import definition_of
from qinqing.surveys.models import Survey, SurveyReport
from qinqing.surveys.views import _survey

VIEW = "surveys.view"


def _chart(res: queries.Results) -> dict[str, Any]:
    rows = [r for r in res.units if r.overall.mean is not None]
    return {
        "units": [r.unit.display_name for r in rows],
        "mean": [round(r.overall.mean or 0, 1) for r in rows],
        "low": [round(r.overall.low, 1) if r.overall.low is not None else None for r in rows],
        "high": [round(r.overall.high, 1) if r.overall.high is not None else None for r in rows],
    }


@login_required
@require_capability(VIEW)
def results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    res = queries.results(survey, units)
    return render(
        request, "surveys/results.html", {"survey": survey, "res": res, "chart": _chart(res), "tab": "units"}
    )


@login_required
@require_capability(VIEW)
def strata(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    unit = _unit(request, units)
    if unit is None and len(units) != survey.units.count():
        unit = units[0] if units else None
    rows = queries.strata_results(survey, unit)
    definition = definition_of(survey.questionnaire)
    return render(
        request,
        "surveys/strata.html",
        {
            "survey": survey,
            "rows": rows,
            "units": units,
            "unit": unit,
            "definition": definition,
            "tab": "strata",
            "codes": [d["code"] for d in definition.dimensions],
        },
    )


def _unit(request: HttpRequest, units: list[Unit]) -> Unit | None:
    raw = request.GET.get("unit", "")
    if not raw:
        return None
    found = next((u for u in units if str(u.pk) == raw), None)
    if found is None:
        raise Http404
    return found


@login_required
@require_capability(VIEW)
def questions(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    unit = _unit(request, units)
    chosen = [unit] if unit else units
    definition = definition_of(survey.questionnaire)
    section_id = request.GET.get("section") or definition.sections[0].id
    section = next((s for s in definition.sections if s.id == section_id), definition.sections[0])
    dists = [
        queries.distribution(survey, chosen, q)
        for q in section.questions
        if q.type in ("single", "multi", "scale5", "yesno", "attention")
    ]
    items = [t for t in queries.item_means(survey, chosen)]
    return render(
        request,
        "surveys/questions.html",
        {
            "survey": survey,
            "definition": definition,
            "section": section,
            "dists": dists,
            "items": items,
            "units": units,
            "unit": unit,
            "tab": "questions",
        },
    )


@login_required
@require_capability(VIEW)
def crosstab(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    definition = definition_of(survey.questionnaire)
    variables = [("unit", "单位"), ("stratum", "分层")] + [
        (q.id, f"{q.id} {q.text}") for q in definition.questions() if q.type in ("single", "yesno", "scale5")
    ]
    row_var = request.GET.get("rows", "unit")
    col_var = request.GET.get("cols", next((v for v, _ in variables[2:]), "stratum"))
    table = None
    error = ""
    try:
        table = queries.crosstab(survey, units, row_var, col_var)
    except ValueError as exc:
        error = str(exc)
    return render(
        request,
        "surveys/crosstab.html",
        {
            "survey": survey,
            "variables": variables,
            "row_var": row_var,
            "col_var": col_var,
            "table": table,
            "error": error,
            "tab": "crosstab",
        },
    )


@login_required
@require_capability(VIEW)
def text(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    unit = _unit(request, units)
    chosen = [unit] if unit else units
    definition = definition_of(survey.questionnaire)
    text_questions = [q for q in definition.questions() if q.type in ("text", "textarea")]
    qid = request.GET.get("q") or (text_questions[0].id if text_questions else "")
    search = request.GET.get("search", "").strip()
    names = {u.pk: u.display_name for u in units}
    page = None
    terms: list[tuple[str, int]] = []
    if qid:
        rows = queries.text_answers(survey, chosen, qid, search).values_list("unit_id", "t")
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        page.object_list = [(names.get(u, ""), privacy.mask(t)) for u, t in page.object_list]
        terms = queries.terms(survey, chosen, qid)
    return render(
        request,
        "surveys/text.html",
        {
            "survey": survey,
            "questions": text_questions,
            "qid": qid,
            "search": search,
            "page_obj": page,
            "terms": terms,
            "units": units,
            "unit": unit,
            "tab": "text",
        },
    )


# --- reports -------------------------------------------------------------------------------------
@login_required
@require_capability(VIEW)
def report_list(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    rows = (
        SurveyReport.objects.visible_to(request.user)
        .filter(survey=survey)
        .select_related("unit")
        .defer("pdf", "docx")
    )
    return render(
        request,
        "surveys/reports.html",
        {
            "survey": survey,
            "reports": rows,
            "tab": "reports",
            "can_generate": getattr(request.user, "can", lambda c: False)("surveys.fieldwork"),
        },
    )


@login_required
@require_POST
def report_generate(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    if not request.user.can("surveys.fieldwork"):  # type: ignore[union-attr]
        raise PermissionDenied
    raw = request.POST.get("unit", "")
    if raw == "all":
        n = reports.generate_all(request.user, survey)
        messages.success(request, f"已生成 {n} 份单位报告和汇总报告")
    else:
        unit = get_object_or_404(survey.units.all(), pk=raw) if raw else None
        reports.generate(request.user, survey, unit)
        messages.success(request, "报告已生成")
    return redirect("surveys:reports", survey.pk)


@login_required
@require_capability(VIEW)
@reauth_required("下载调查报告")
def report_file(request: HttpRequest, pk: int, report_id: int, fmt: str) -> HttpResponse:
    survey = _survey(request, pk)
    report = get_object_or_404(SurveyReport.objects.visible_to(request.user), pk=report_id, survey=survey)
    if fmt == "pdf":
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    else:
        response = HttpResponse(
            bytes(report.docx),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-report-{report.pk}.{fmt}"'
    return response


# --- exports -------------------------------------------------------------------------------------
CONTENT = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "sav": "application/x-spss-sav",
}


@login_required
@require_capability(VIEW)
@reauth_required("导出调查数据")
def export(request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
    survey: Survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    if kind == "raw":
        if not request.user.can("surveys.export_raw"):  # type: ignore[union-attr]
            raise PermissionDenied
        data = {"xlsx": exports.raw_xlsx, "csv": exports.raw_csv, "sav": exports.raw_sav}[fmt](survey, units)
    elif kind == "results" and fmt in ("xlsx", "csv"):
        data = {"xlsx": exports.aggregate_xlsx, "csv": exports.aggregate_csv}[fmt](survey, units)
    else:
        raise Http404
    record(
        AuditAction.EXPORT,
        actor=request.user,
        obj=survey,
        detail=f"导出{'原始答卷' if kind == 'raw' else '结果'} {fmt}",
    )
    response = HttpResponse(data, content_type=CONTENT[fmt])
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-{kind}.{fmt}"'
    return response
