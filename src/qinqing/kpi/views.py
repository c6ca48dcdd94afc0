"""Pages of the budget targets: the list, a project's live indicators with trend and drill-down, the
self-evaluation (with its inputs, PDF and Excel), the office summary, Excel import and export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinqing.accounts.reauth import reauth_required
from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.core.permissions import require_capability
from qinqing.kpi import documents, scoring, services
from qinqing.kpi.forms import ExecutionForm, ImportForm, IndicatorEvalForm
from qinqing.kpi.models import BudgetProject, Indicator
from qinqing.orgs.models import Unit

VIEW, MANAGE = "kpi.view", "kpi.manage"


def _projects(request: HttpRequest) -> Any:
    return BudgetProject.objects.visible_to(request.user).select_related("unit", "unit__parent")


def _project(request: HttpRequest, pk: int) -> BudgetProject:
    return get_object_or_404(_projects(request), pk=pk)


def _year(request: HttpRequest, years: list[int]) -> int | None:
    raw = request.GET.get("year", "")
    if raw.isdigit() and int(raw) in years:
        return int(raw)
    return years[0] if years else None


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    msgs = (
        [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "message_dict") else exc.messages
    )
    for m in msgs:
        messages.error(request, m)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not (user.can(VIEW) or user.can("ops.manage")):
        raise PermissionDenied("无权访问")
    projects = list(_projects(request).annotate(n_indicators=Count("indicators"))) if user.can(VIEW) else []
    years = sorted({p.year for p in projects}, reverse=True)
    year = _year(request, years)
    return render(
        request,
        "kpi/home.html",
        {
            "years": years,
            "year": year,
            "projects": [p for p in projects if p.year == year],
            "can_manage": user.can(MANAGE),
            "can_ops": user.can("ops.manage"),
        },
    )


@login_required
@require_capability(VIEW)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    ev = scoring.evaluate(project)
    return render(
        request,
        "kpi/project.html",
        {"project": project, "ev": ev, "measure_unit": project.measure_unit, "today": timezone.localdate()},
    )


@login_required
@require_capability(VIEW)
def indicator_trend(request: HttpRequest, pk: int) -> JsonResponse:
    ind = get_object_or_404(Indicator.objects.visible_to(request.user).select_related("project__unit"), pk=pk)
    points = scoring.trend(ind, ind.project)
    return JsonResponse(
        {
            "name": ind.name,
            "unit": ind.value_unit,
            "target": None if ind.target_value is None else float(ind.target_value),
            "months": [m for m, _ in points],
            "values": [None if v is None else float(v) for _, v in points],
        }
    )


@login_required
@require_capability(VIEW)
def evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    ev = scoring.evaluate(project)
    can_manage = request.user.can(MANAGE)  # type: ignore[union-attr]
    forms = {}
    if can_manage:
        forms = {
            r.indicator.pk: IndicatorEvalForm(
                instance=r.indicator, initial={"version": project.version}, prefix=f"i{r.indicator.pk}"
            )
            for r in ev.rows
        }
    rows = [(r, forms.get(r.indicator.pk)) for r in ev.rows]
    execution = ExecutionForm(instance=project, initial={"version": project.version}) if can_manage else None
    return render(
        request,
        "kpi/evaluation.html",
        {"project": project, "ev": ev, "rows": rows, "execution": execution, "can_manage": can_manage},
    )


@login_required
@require_capability(MANAGE)
@require_POST
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ind = get_object_or_404(Indicator.objects.visible_to(request.user).select_related("project__unit"), pk=pk)
    form = IndicatorEvalForm(request.POST, instance=Indicator.objects.get(pk=ind.pk), prefix=f"i{ind.pk}")
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.update_indicator(
                request.user, ind, expected_version=form.cleaned_data["version"], values=values
            )
            messages.success(request, f"已保存“{ind.name}”")
        except ValidationError as exc:
            _errors(request, exc)
    else:
        for field, errs in form.errors.items():
            messages.error(request, f"{ind.name}：{field} {'；'.join(str(e) for e in errs)}")
    return redirect("kpi:evaluation", pk=ind.project_id)


@login_required
@require_capability(MANAGE)
@require_POST
def execution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    form = ExecutionForm(request.POST, instance=BudgetProject.objects.get(pk=project.pk))
    if form.is_valid():
        try:
            services.update_execution(
                request.user,
                project,
                expected_version=form.cleaned_data["version"],
                executed_wan=form.cleaned_data["executed_wan"],
                summary=form.cleaned_data["summary"],
            )
            messages.success(request, "已保存预算执行情况")
        except ValidationError as exc:
            _errors(request, exc)
    else:
        for field, errs in form.errors.items():
            messages.error(request, f"{field}：{'；'.join(str(e) for e in errs)}")
    return redirect("kpi:evaluation", pk=project.pk)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _evaluations(request: HttpRequest, year: int) -> list[scoring.Evaluation]:
    projects = _projects(request).filter(year=year).prefetch_related("indicators")
    return [scoring.evaluate(p) for p in projects]


@login_required
@require_capability(VIEW)
@reauth_required("下载绩效自评报告")
def evaluation_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    project = _project(request, pk)
    ev = scoring.evaluate(project)
    record(AuditAction.EXPORT, actor=request.user, obj=project, detail=f"绩效自评表 {fmt}")
    name = f"{project.year}年{project.name}绩效自评表"
    if fmt == "pdf":
        data = documents.evaluation_pdf([ev], f"{project.name}绩效自评表", project.unit.name)
        return _download(data, f"{name}.pdf", "application/pdf")
    if fmt == "xlsx":
        return _download(documents.evaluation_workbook([ev]), f"{name}.xlsx", XLSX)
    raise Http404("不支持的格式")


@login_required
@require_capability(VIEW)
def summary(request: HttpRequest) -> HttpResponse:
    years = sorted(set(_projects(request).values_list("year", flat=True)), reverse=True)
    year = _year(request, years)
    evaluations = _evaluations(request, year) if year else []
    fmt = request.GET.get("format", "")
    if year and fmt in ("pdf", "xlsx"):
        record(
            AuditAction.EXPORT,
            actor=request.user,
            object_type="kpi.budgetproject",
            detail=f"{year}年绩效自评汇总 {fmt}",
        )
        name = f"{year}年项目支出绩效自评汇总"
        if fmt == "pdf":
            header = evaluations[0].project.unit.name if evaluations else ""
            return _download(
                documents.evaluation_pdf(evaluations, name, header), f"{name}.pdf", "application/pdf"
            )
        return _download(documents.evaluation_workbook(evaluations), f"{name}.xlsx", XLSX)
    total_funds = sum((ev.project.funds_total_wan for ev in evaluations), scoring.ZERO)
    return render(
        request,
        "kpi/summary.html",
        {"years": years, "year": year, "evaluations": evaluations, "total_funds": total_funds},
    )


@login_required
@require_capability(VIEW)
@reauth_required("导出绩效目标")
def targets_export(request: HttpRequest) -> HttpResponse:
    years = sorted(set(_projects(request).values_list("year", flat=True)), reverse=True)
    year = _year(request, years)
    projects = list(_projects(request).filter(year=year).prefetch_related("indicators")) if year else []
    record(
        AuditAction.EXPORT, actor=request.user, object_type="kpi.budgetproject", detail=f"{year}年绩效目标表"
    )
    return _download(documents.targets_workbook(projects), f"{year}年项目支出绩效目标表.xlsx", XLSX)


@login_required
@require_capability(MANAGE)
def targets_import(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        scope = request.user.scope_unit  # type: ignore[union-attr]
        units = {u.name: u for u in Unit.objects.subtree(scope)} if scope else {}
        try:
            data = documents.parse_targets_workbook(upload.read(), units)
            done = services.import_projects(request.user, data, filename=upload.name)
        except documents.WorkbookError as exc:
            errors = exc.errors
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, f"已导入 {len(done)} 个项目的绩效目标表")
            return redirect("kpi:home")
    return render(request, "kpi/import.html", {"form": form, "errors": errors})
