"""Pages: project library (list, kanban, detail, forms), funds, monthly reports, targets, dashboard, exports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from qinqing.accounts.reauth import reauth_required
from qinqing.core import uploads
from qinqing.core.permissions import require_capability
from qinqing.investment import queries, rules, services
from qinqing.investment.filters import ProjectFilter
from qinqing.investment.forms import (
    AttachmentForm,
    FundsEditForm,
    FundsForm,
    ImportForm,
    NegotiationForm,
    PrepareForm,
    ProjectEditForm,
    ProjectForm,
    PublishForm,
    ReviewForm,
    SettingsForm,
    StageForm,
)
from qinqing.investment.models import (
    REPORTING_KINDS,
    Attachment,
    FundsEntry,
    Indicator,
    InvestmentSettings,
    MonthlyReport,
    Project,
    ReportStatus,
    Stage,
    Target,
)
from qinqing.orgs.models import Tier, Unit

VIEW = "investment.view"


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def _attempt(request: HttpRequest, func: Callable[[], Any], ok: str) -> bool:
    try:
        func()
    except ValidationError as exc:
        _errors(request, exc)
        return False
    messages.success(request, ok)
    return True


def _period(request: HttpRequest) -> tuple[int, int]:
    today = timezone.localdate()
    last = rules.previous_month(today)
    try:
        year = int(request.GET.get("year") or last.year)
        month = int(request.GET.get("month") or (last.month if year == last.year else 12))
    except ValueError:
        year, month = last.year, last.month
    return year, max(1, min(month, 12))


@login_required
@require_capability(VIEW)
def project_list(request: HttpRequest) -> HttpResponse:
    # the scope as a literal unit list (same rows as visible_to): with the path-LIKE subquery PostgreSQL
    # estimates one unit and nests loops over the project table for both the page and its COUNT
    base = queries.visible_projects(request.user).select_related("location_unit", "cluster")
    f = ProjectFilter(request.GET, queryset=base, request=request)
    page = Paginator(f.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "investment/project_list.html",
        {
            "filter": f,
            "filter_fields": filter_fields(f.form),
            "page_obj": page,
            "querystring_no_page": query.urlencode(),
        },
    )


def _options(choices: Any, selected: set[str]) -> list[str]:
    out: list[str] = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            inner = "".join(_options(label, selected))
            out.append(format_html('<optgroup label="{}">{}</optgroup>', value, mark_safe(inner)))  # noqa: S308 - escaped parts
            continue
        v = "" if value is None else str(value)
        out.append(
            format_html(
                '<option value="{}"{}>{}</option>', v, mark_safe(" selected") if v in selected else "", label
            )
        )
    return out


def _choices(field: Any) -> Any:
    """A field's choices; a model choice field's read with one plain query (its iterator opens a
    server-side cursor on PostgreSQL: DECLARE … WITH HOLD, FETCH and CLOSE, three round trips)."""
    from django import forms

    if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        objs = list(field.queryset) if field.queryset is not None else []
        return empty + [(field.prepare_value(obj), field.label_from_instance(obj)) for obj in objs]
    return field.choices


def filter_fields(form: Any) -> list[tuple[str, str]]:
    """The filter form's fields as (label, HTML). Selects are written here (the same markup as Django's
    widget templates, without their whitespace): rendering the unit, cluster and chain selects option by
    option through the template engine was most of the list page's time (bench/RESULTS.md)."""
    from django import forms

    out: list[tuple[str, str]] = []
    for bf in form:
        widget = bf.field.widget
        if type(widget) not in (forms.Select, forms.SelectMultiple) or widget.attrs:
            out.append((str(bf.label), str(bf)))
            continue
        multiple = isinstance(widget, forms.SelectMultiple)
        value = bf.value()
        values = value if isinstance(value, list | tuple) else [value]
        selected = {"" if v is None else str(v) for v in values}
        options = "".join(_options(_choices(bf.field), selected))
        html = format_html(
            '<select name="{}" id="{}"{}>{}</select>',
            bf.html_name,
            bf.auto_id,
            mark_safe(" multiple") if multiple else "",
            mark_safe(options),  # noqa: S308 - built from escaped parts
        )
        out.append((str(bf.label), html))
    return out


@login_required
@require_capability(VIEW)
def kanban(request: HttpRequest) -> HttpResponse:
    base = Project.objects.visible_to(request.user).select_related("location_unit")
    f = ProjectFilter(request.GET, queryset=base, request=request)
    columns = []
    for stage in [*rules.STAGE_ORDER_FOR_BOARD]:
        qs = f.qs.filter(stage=stage).order_by("stage_since", "pk")
        columns.append({"stage": Stage(stage).label, "count": qs.count(), "items": list(qs[:30])})
    return render(request, "investment/kanban.html", {"filter": f, "columns": columns})


@login_required
@require_capability(VIEW)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(
        Project.objects.visible_to(request.user).select_related("location_unit", "cluster", "chain"), pk=pk
    )
    history = list(project.stage_changes.select_related("actor"))
    today = timezone.localdate()
    for i, h in enumerate(history):
        nxt = history[i + 1].effective_on if i + 1 < len(history) else today
        h.days = (nxt - h.effective_on).days  # type: ignore[attr-defined]
    funds = list(project.funds.order_by("month"))
    cum = rules.quantize(sum((e.amount_wan for e in funds), start=rules.Decimal(0)))
    running = rules.Decimal(0)
    for e in funds:
        running += e.amount_wan
        e.cumulative = running  # type: ignore[attr-defined]
    stage_form = StageForm(initial={"version": project.version, "on": today})
    to_stage: Any = stage_form.fields["to_stage"]
    to_stage.choices = [(s, Stage(s).label) for s in rules.allowed_targets(project.stage)]
    return render(
        request,
        "investment/project_detail.html",
        {
            "project": project,
            "history": history,
            "funds": funds,
            "funds_total": cum,
            "negotiations": project.negotiations.all(),
            "attachments": project.attachments.all(),
            "stage_form": stage_form,
            "negotiation_form": NegotiationForm(),
            "funds_form": FundsForm(),
            "attachment_form": AttachmentForm(),
            "can_change": _user(request).can("investment.change"),
            "can_review_publish": _user(request).can("investment.publish_review"),
        },
    )


@login_required
@require_capability("investment.change")
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(request.user, form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                _errors(request, exc)
        else:
            messages.success(request, f"已建档：{project.number}")
            return redirect("investment:detail", pk=project.pk)
    return render(request, "investment/project_form.html", {"form": form})


@login_required
@require_POST
def project_stage(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = StageForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _attempt(
            request,
            lambda: services.change_stage(
                request.user,
                project,
                expected_version=d["version"],
                to_stage=d["to_stage"],
                on=d["on"],
                contract_type=d["contract_type"],
                contract_amount_wan=d["contract_amount_wan"],
                reason=d["reason"],
            ),
            "阶段已变更",
        )
    else:
        messages.error(request, "请检查输入")
    return redirect("investment:detail", pk=pk)


@login_required
@require_POST
def project_negotiation(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = NegotiationForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.add_negotiation(request.user, project, **form.cleaned_data),
            "已添加洽谈记录",
        )
    else:
        messages.error(request, "请完整填写洽谈记录")
    return redirect("investment:detail", pk=pk)


@login_required
@require_POST
def project_funds(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = FundsForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data

        def save() -> None:
            entry = services.record_funds(
                request.user,
                project,
                month=d["month"],
                amount_wan=d["amount_wan"],
                outside_amount_wan=d["outside_amount_wan"],
                evidence=d["evidence"],
                evidence_note=d["evidence_note"],
            )
            for w in entry.warnings:
                messages.warning(request, w)

        _attempt(request, save, "到位资金已保存")
    else:
        messages.error(request, "请检查到位资金输入")
    return redirect("investment:detail", pk=pk)


@login_required
def funds_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(FundsEntry.objects.visible_to(request.user).select_related("project"), pk=pk)
    form = FundsEditForm(request.POST or None, instance=entry, initial={"version": entry.version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        fresh = FundsEntry.objects.get(pk=pk)
        if _attempt(
            request,
            lambda: services.update_funds(
                request.user,
                fresh,
                expected_version=d["version"],
                amount_wan=d["amount_wan"],
                outside_amount_wan=d["outside_amount_wan"],
                evidence_note=d["evidence_note"],
            ),
            "已修改",
        ):
            return redirect("investment:detail", pk=entry.project_id)
    return render(request, "investment/funds_edit.html", {"form": form, "entry": entry})


# --- monthly reports ----------------------------------------------------------------------------
@login_required
@require_capability(VIEW)
def report_list(request: HttpRequest) -> HttpResponse:
    reports = (
        MonthlyReport.objects.visible_to(request.user).select_related("unit").order_by("-month", "unit__path")
    )
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    form = PrepareForm(request.POST or None, initial={"month": rules.previous_month(timezone.localdate())})
    if request.method == "POST" and form.is_valid():
        unit = services.reporting_unit(request.user)
        if unit is None:
            messages.error(request, "只有县市区和园区报送招商月报")
        else:
            try:
                report = services.prepare_report(
                    request.user,
                    unit=unit,
                    month=form.cleaned_data["month"],
                    remarks=form.cleaned_data["remarks"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            except PermissionDenied as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "月报已生成")
                return redirect("investment:report", pk=report.pk)
    year, month = _period(request)
    return render(
        request,
        "investment/report_list.html",
        {
            "page_obj": page,
            "form": form,
            "can_prepare": _user(request).can("investment.report_prepare"),
            "flags": queries.report_flags(request.user, year, month),
            "year": year,
            "month": month,
        },
    )


@login_required
@require_capability(VIEW)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(MonthlyReport.objects.visible_to(request.user).select_related("unit"), pk=pk)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        action = request.POST.get("action", "")
        funcs: dict[str, tuple[Callable[..., Any], dict[str, str], str]] = {
            "submit": (services.submit_report, {}, "月报已报送"),
            "approve": (services.approve_report, {"comment": "comment"}, "已审核通过并锁定"),
            "return": (services.return_report, {"comment": "comment"}, "已退回"),
            "reopen": (services.reopen_report, {"reason": "comment"}, "已重新开放"),
        }
        if form.is_valid() and action in funcs:
            func, extra, ok = funcs[action]
            kwargs = {k: form.cleaned_data[v] for k, v in extra.items()}
            try:
                _attempt(
                    request,
                    lambda: func(
                        request.user, report, expected_version=form.cleaned_data["version"], **kwargs
                    ),
                    ok,
                )
            except PermissionDenied as exc:
                messages.error(request, str(exc) or "无权执行此操作")
        elif action == "prepare":
            try:
                _attempt(
                    request,
                    lambda: services.prepare_report(
                        request.user,
                        unit=report.unit,
                        month=report.month,
                        remarks=request.POST.get("remarks", ""),
                    ),
                    "已按项目库重新生成",
                )
            except PermissionDenied as exc:
                messages.error(request, str(exc) or "无权执行此操作")
        return redirect("investment:report", pk=pk)
    lines = list(report.lines.select_related("cluster").order_by("project_name"))
    totals = {
        k: sum(getattr(ln, k) for ln in lines)
        for k in ("funds_month_wan", "funds_ytd_wan", "outside_month_wan", "outside_ytd_wan")
    }
    counts = {
        k: sum(1 for ln in lines if getattr(ln, k))
        for k in ("in_execution", "new_signing_month", "new_signing_ytd", "started_month", "produced_month")
    }
    user = _user(request)
    return render(
        request,
        "investment/report_detail.html",
        {
            "report": report,
            "lines": lines,
            "totals": totals,
            "counts": counts,
            "review_form": ReviewForm(initial={"version": report.version}),
            "can_prepare": user.can("investment.report_prepare")
            and report.status in ("draft", "returned", "reopened"),
            "can_submit": user.can("investment.report_submit")
            and report.status in ("draft", "returned", "reopened"),
            "can_review": user.can("investment.report_review")
            and user.scope_unit is not None
            and user.scope_unit.tier <= 1,
            "ReportStatus": ReportStatus,
        },
    )


# --- dashboard and targets ----------------------------------------------------------------------
@login_required
@require_capability(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    year, month = _period(request)
    d = queries.dashboard(request.user, year, month)
    return render(
        request,
        "investment/dashboard.html",
        {
            "d": d,
            "year": year,
            "month": month,
            "months": range(1, 13),
            "data_json": json.dumps(d.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False),
        },
    )


@login_required
@require_capability(VIEW)
def targets(request: HttpRequest) -> HttpResponse:
    from decimal import Decimal, InvalidOperation

    from qinqing.investment.api import _prefecture

    year, month = _period(request)
    try:
        pref = _prefecture(request)  # type: ignore[arg-type]
    except Exception as exc:
        raise PermissionDenied("无权执行此操作") from exc
    user = _user(request)
    can_set = (
        user.can("investment.targets")
        and user.scope_unit is not None
        and user.scope_unit.tier <= Tier.PREFECTURE
    )
    units = [
        pref,
        *Unit.objects.filter(parent=pref, kind__in=REPORTING_KINDS, is_active=True).order_by("path"),
    ]
    current = {(t.unit_id, t.indicator): t.value for t in Target.objects.filter(year=year, unit__in=units)}
    posted: dict[str, str] = {}
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied("年度目标由州（市）级下达")
        values: dict[tuple[int, str], Decimal] = {}
        problems: list[str] = []
        for u in units:
            for ind in Indicator:
                key = f"t-{u.pk}-{ind.value}"
                text = request.POST.get(key, "").strip().replace(",", "")
                posted[key] = text
                if not text:
                    continue
                try:
                    value = Decimal(text)
                    if not value.is_finite() or abs(value) >= Decimal("1e10"):
                        raise InvalidOperation
                except InvalidOperation:
                    problems.append(f"{u.display_name} {ind.label}：“{text}”不是数字")
                    continue
                values[(u.pk, ind.value)] = value
        if problems:
            for msg in problems:
                messages.error(request, msg)
        else:
            try:
                services.set_targets(request.user, year=year, values=values)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"{year}年目标已保存")
                return redirect(f"{request.path}?year={year}&month={month}")
    grid = [
        {
            "unit": u,
            "cells": [
                {
                    "name": f"t-{u.pk}-{ind.value}",
                    "value": posted.get(f"t-{u.pk}-{ind.value}", current.get((u.pk, ind.value), "")),
                }
                for ind in Indicator
            ],
        }
        for u in units
    ]
    return render(
        request,
        "investment/targets.html",
        {
            "year": year,
            "month": month,
            "rows": queries.progress(pref, year, month),
            "decomposition": queries.decomposition(pref, year),
            "prefecture": pref,
            "can_set": can_set,
            "grid": grid,
            "indicators": Indicator,
        },
    )


@login_required
@require_capability(VIEW)
@reauth_required("导出项目月报")
def region_report_xlsx(request: HttpRequest) -> HttpResponse:
    from qinqing.investment import reports
    from qinqing.investment.api import _prefecture

    year, month = _period(request)
    pref = _prefecture(request)  # type: ignore[arg-type]
    content = reports.region_workbook(request.user, pref, dt.date(year, month, 1))
    resp = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="investment-{year}-{month:02d}.xlsx"'
    return resp


@login_required
@require_capability(VIEW)
@reauth_required("导出项目月报")
def region_report_pdf(request: HttpRequest) -> HttpResponse:
    from qinqing.investment import reports
    from qinqing.investment.api import _prefecture

    year, month = _period(request)
    pref = _prefecture(request)  # type: ignore[arg-type]
    content = reports.region_pdf(request.user, pref, dt.date(year, month, 1))
    resp = HttpResponse(content, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="investment-{year}-{month:02d}.pdf"'
    return resp


# --- imports ------------------------------------------------------------------------------------
def _xlsx(content: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    resp = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


@login_required
@require_capability("investment.change")
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    from qinqing.investment import importing

    if kind not in ("projects", "funds"):
        raise Http404
    name = "招商项目导入模板.xlsx" if kind == "projects" else "到位资金导入模板.xlsx"
    return _xlsx(importing.template_workbook(kind, request.user), name)


@login_required
@require_capability("investment.change")
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": "projects"})
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        func = services.import_projects if form.cleaned_data["kind"] == "projects" else services.import_funds
        result = func(request.user, upload.name, upload.read())
        if result.ok:
            what = "项目" if result.kind == "projects" else "到位资金记录"
            messages.success(
                request,
                f"导入完成：新增{what} {result.created} 条，更新 {result.updated} 条，未变 {result.unchanged} 条",
            )
            return redirect("investment:import")
    status = 400 if result is not None and not result.ok else 200
    return render(request, "investment/import.html", {"form": form, "result": result}, status=status)


# --- counting rules -----------------------------------------------------------------------------
@login_required
@require_capability(VIEW)
def settings_page(request: HttpRequest) -> HttpResponse:
    current = InvestmentSettings.current()
    user = _user(request)
    scope = user.scope_unit
    can_edit = user.can("investment.settings") and scope is not None and scope.tier <= Tier.PREFECTURE
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("统计口径由州（市）级设置")
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items()}
            try:
                services.update_settings(request.user, data)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errs in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errs)
                else:
                    _errors(request, exc)
            else:
                messages.success(request, "统计口径已保存")
                return redirect("investment:settings")
    if not can_edit:
        for f in form.fields.values():
            f.disabled = True
    return render(request, "investment/settings.html", {"form": form, "can_edit": can_edit})


# --- project edit, attachments, publication -----------------------------------------------------
def _form_errors(request: HttpRequest, form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        _errors(request, exc)


@login_required
@require_capability("investment.change")
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = ProjectEditForm(
        request.POST or None, instance=project, user=request.user, initial={"version": project.version}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        fresh = Project.objects.get(pk=pk)  # the form's clean() already changed PROJECT in memory
        try:
            services.update_project(request.user, fresh, data, expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            _form_errors(request, form, exc)
        except PermissionDenied as exc:
            form.add_error("location_unit", str(exc))
        else:
            messages.success(request, "项目已保存")
            return redirect("investment:detail", pk=pk)
    return render(request, "investment/project_form.html", {"form": form, "project": project})


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        _attempt(
            request,
            lambda: services.add_attachment(request.user, project, title=d["title"], file=d["file"]),
            "附件已上传",
        )
    else:
        messages.error(request, "请填写附件名称并选择文件")
    return redirect("investment:detail", pk=pk)


@login_required
@require_capability(VIEW)
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    import os

    row = get_object_or_404(
        Attachment.objects.filter(project__in=Project.objects.visible_to(request.user).values("pk")), pk=pk
    )
    ext = os.path.splitext(row.file.name)[1].lower()
    known = uploads.BY_EXTENSION.get(ext)
    content_type = known.content_type if known else "application/octet-stream"
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("附件文件不存在") from exc
    resp = FileResponse(
        handle, as_attachment=True, filename=uploads.safe_name(f"{row.title}{ext}"), content_type=content_type
    )
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
@require_POST
def project_publish(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请检查输入")
        return redirect("investment:detail", pk=pk)
    d = form.cleaned_data
    try:
        if d["action"] == "request":
            _attempt(
                request,
                lambda: services.request_publish(request.user, project, expected_version=d["version"]),
                "已提交公开发布申请",
            )
        elif d["action"] == "withdraw":
            _attempt(
                request,
                lambda: services.withdraw_publication(
                    request.user, project, expected_version=d["version"], reason=d["comment"]
                ),
                "已从公开项目库下架",
            )
        else:
            _attempt(
                request,
                lambda: services.review_publish(
                    request.user,
                    project,
                    expected_version=d["version"],
                    approve=d["action"] == "approve",
                    comment=d["comment"],
                ),
                "已审核公开发布申请",
            )
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "无权执行此操作")
    return redirect("investment:detail", pk=pk)
