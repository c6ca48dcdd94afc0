"""Pages of the promotion app: thin wrappers around forms, queries and services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinqing.core.permissions import require_capability
from qinqing.enterprises.models import mask_mobile
from qinqing.investment.models import Project
from qinqing.orgs.models import Unit
from qinqing.promotion import forms, queries, returns, services
from qinqing.promotion.models import (
    Attribution,
    NextStep,
    PromotionSettings,
    Reception,
    ReceptionFirm,
    TaskForce,
    Touch,
    Trip,
    TripContact,
    TripKind,
    YearPlan,
    YearStandard,
)
from qinqing.promotion.rules import standard_for

PAGE_SIZE = 20
SOURCES: dict[str, type[Reception] | type[Trip] | type[TaskForce]] = {
    "reception": Reception,
    "trip": Trip,
    "taskforce": TaskForce,
}


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            target = field if field in form.fields else None
            for m in msgs:
                form.add_error(target, m)
    else:
        for m in exc.messages:
            form.add_error(None, m)


def _page(request: HttpRequest, qs: Any, size: int = PAGE_SIZE) -> tuple[Any, str]:
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _counts(page: Any, model: Any, fk: str, attr: str) -> None:
    """Per-row counts of the page's rows only (the COUNT for the pager stays a plain count of the list)."""
    page.object_list = list(page.object_list)
    ids = [row.pk for row in page.object_list]
    found = dict(
        model.objects.filter(**{f"{fk}__in": ids}).values(fk).annotate(n=Count("pk")).values_list(fk, "n")
    )
    for row in page.object_list:
        setattr(row, attr, found.get(row.pk, 0))


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year


def _source_url(source: Any) -> str:
    if isinstance(source, Reception):
        return str(redirect("promotion:reception", source.pk).url)
    if isinstance(source, Trip):
        return str(redirect("promotion:trip", source.pk).url)
    return str(redirect("promotion:taskforce", source.pk).url)


def _get_source(request: HttpRequest, kind: str, pk: int) -> Any:
    model = SOURCES.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model.objects.visible_to(request.user), pk=pk)


# --- overview -----------------------------------------------------------------------------------
@login_required
@require_capability("promotion.view")
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    year = _year(request)
    unit = user.scope_unit
    return render(
        request,
        "promotion/home.html",
        {
            "tab": "home",
            "year": year,
            "unit": unit,
            "figures": queries.year_figures(unit, year) if unit else [],
            "steps": queries.my_open_steps(user)[:10],
            "today": timezone.localdate(),
            "can_settings": user.can("promotion.settings"),
            "warn_share": PromotionSettings.current().warn_budget_share,
        },
    )


# --- receptions ---------------------------------------------------------------------------------
@login_required
@require_capability("promotion.view")
def receptions(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = Reception.objects.visible_to(user).select_related("cluster").order_by("-start_date", "-id")
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(start_date__year=int(year))
    origin = request.GET.get("origin", "").strip()
    if origin:
        qs = qs.filter(origin=origin)
    page, query = _page(request, qs)
    _counts(page, ReceptionFirm, "reception_id", "n_firms")
    _counts(page, Touch, "reception_id", "n_projects")
    return render(
        request,
        "promotion/receptions.html",
        {
            "tab": "receptions",
            "page_obj": page,
            "querystring_no_page": query,
            "year": year,
            "origin": origin,
            "can_change": user.can("promotion.change"),
        },
    )


def _firm_data(firm_forms: list[forms.FirmForm]) -> list[dict[str, Any]]:
    return [f.cleaned_data for f in firm_forms if f.is_valid() and (f.cleaned_data.get("name") or "").strip()]


@login_required
@require_capability("promotion.change")
def reception_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    instance = get_object_or_404(Reception.objects.visible_to(user), pk=pk) if pk else None
    data = request.POST if request.method == "POST" else None
    form = forms.ReceptionForm(data, instance=instance)
    initial = (
        [{"name": f.name, "credit_code": f.credit_code, "origin": f.origin} for f in instance.firms.all()]
        if instance
        else []
    )
    firms = forms.firm_forms(data, initial)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in firms):
        values = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            if instance is None:
                reception = services.create_reception(user, values, _firm_data(firms))
            else:
                reception = services.update_reception(
                    user,
                    instance,
                    values,
                    _firm_data(firms),
                    expected_version=int(request.POST.get("version", 0)),
                )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if reception.warnings:
                messages.warning(request, "费用超过公务接待标准：" + "；".join(reception.warnings))
            messages.success(request, "考察接待已保存")
            return redirect("promotion:reception", reception.pk)
    return render(
        request,
        "promotion/reception_form.html",
        {"tab": "receptions", "form": form, "firms": firms, "instance": instance},
    )


def _source_context(request: HttpRequest, source: Any) -> dict[str, Any]:
    user: Any = request.user
    firms = [f.name for f in source.firms.all()] if isinstance(source, Reception) else []
    return {
        "projects": returns.source_projects(user, source),
        "steps": list(source.next_steps.select_related("owner").order_by("due_on", "id"))
        if not isinstance(source, TaskForce)
        else [],
        "intention_form": forms.IntentionForm(user=user, firms=firms),
        "link_form": forms.LinkForm(auto_id="link_%s"),
        "step_form": forms.NextStepForm(user=user, auto_id="step_%s"),
        "can_change": user.can("promotion.change"),
        "can_lead": user.can("promotion.change") and user.can("investment.change"),
        "visiting_firms": firms,
        "today": timezone.localdate(),
        "attribution_label": PromotionSettings.current().get_attribution_display(),
    }


@login_required
@require_capability("promotion.view")
def reception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reception = get_object_or_404(
        Reception.objects.visible_to(request.user).select_related("unit", "cluster"), pk=pk
    )
    std = standard_for(reception.start_date.year)
    return render(
        request,
        "promotion/reception.html",
        {
            "tab": "receptions",
            "r": reception,
            "kind": "reception",
            "firms": list(reception.firms.all()),
            "std": std,
            **_source_context(request, reception),
        },
    )


@login_required
@require_capability("promotion.view")
def reception_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    try:
        first = dt.datetime.strptime(raw, "%Y-%m").date() if raw else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "promotion/calendar.html",
        {
            "tab": "calendar",
            "weeks": queries.month_calendar(request.user, first.year, first.month),
            "first": first,
            "prev": prev,
            "next": nxt,
            "today": today,
            "weekdays": "一二三四五六日",
        },
    )


@login_required
@require_capability("promotion.view")
def reception_stats(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    data = returns.year_return(request.user, year)
    conversion = next((row for row in data.by_kind if row.kind == "reception"), None)
    return render(
        request,
        "promotion/stats.html",
        {
            "tab": "stats",
            "year": year,
            "stats": queries.reception_stats(request.user, year),
            "conversion": conversion,
        },
    )


# --- trips and events ---------------------------------------------------------------------------
@login_required
@require_capability("promotion.view")
def trips(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = Trip.objects.visible_to(user).select_related("task_force").order_by("-start_date", "-id")
    kind = request.GET.get("kind", "")
    if kind in TripKind.values:
        qs = qs.filter(kind=kind)
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(start_date__year=int(year))
    page, query = _page(request, qs)
    _counts(page, TripContact, "trip_id", "n_contacts")
    _counts(page, Touch, "trip_id", "n_projects")
    return render(
        request,
        "promotion/trips.html",
        {
            "tab": "trips",
            "page_obj": page,
            "querystring_no_page": query,
            "kinds": TripKind.choices,
            "kind": kind,
            "year": year,
            "can_change": user.can("promotion.change"),
        },
    )


def _leg_data(legs: list[forms.LegForm]) -> list[dict[str, Any]]:
    return [
        f.cleaned_data
        for f in legs
        if f.is_valid() and (f.cleaned_data.get("from_date") or f.cleaned_data.get("province"))
    ]


@login_required
@require_capability("promotion.change")
def trip_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    instance = get_object_or_404(Trip.objects.visible_to(user), pk=pk) if pk else None
    data = request.POST if request.method == "POST" else None
    initial_tf = request.GET.get("task_force", "")
    form = forms.TripForm(
        data,
        instance=instance,
        user=user,
        initial={"task_force": initial_tf} if initial_tf.isdigit() else None,
    )
    initial = (
        [{"from_date": leg.from_date, "province": leg.province} for leg in instance.legs.all()]
        if instance
        else []
    )
    legs = forms.leg_forms(data, initial)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in legs):
        values = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            if instance is None:
                trip = services.create_trip(user, values, _leg_data(legs))
            else:
                trip = services.update_trip(
                    user,
                    instance,
                    values,
                    _leg_data(legs),
                    expected_version=int(request.POST.get("version", 0)),
                )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            _budget_message(request, trip)
            messages.success(request, "外出招商活动已保存")
            return redirect("promotion:trip", trip.pk)
    return render(
        request,
        "promotion/trip_form.html",
        {"tab": "trips", "form": form, "legs": legs, "instance": instance},
    )


def _budget_message(request: HttpRequest, trip: Trip) -> None:
    budget, spent, remaining = queries.budget_status(trip.unit, trip.start_date.year)
    if remaining is not None and remaining < 0:
        messages.warning(
            request,
            f"{trip.start_date.year}年招商经费已超出预算 {-remaining} 元（预算 {budget} 元，已支出 {spent} 元）",
        )


@login_required
@require_capability("promotion.view")
def trip_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    trip = get_object_or_404(
        Trip.objects.visible_to(user).select_related("unit", "task_force", "cluster"), pk=pk
    )
    legs = list(trip.legs.all())
    budget, spent, remaining = queries.budget_status(trip.unit, trip.start_date.year)
    contacts = [{"c": c, "mobile": mask_mobile(c.mobile) if c.mobile else ""} for c in trip.contacts.all()]
    return render(
        request,
        "promotion/trip.html",
        {
            "tab": "trips",
            "t": trip,
            "kind": "trip",
            "legs": legs,
            "allowance": services.allowance_for(trip, legs) if trip.kind != TripKind.WORK_MEETING else [],
            "budget": budget,
            "spent": spent,
            "remaining": remaining,
            "contacts": contacts,
            "contact_form": forms.ContactForm(auto_id="contact_%s"),
            **_source_context(request, trip),
        },
    )


@login_required
@require_POST
@require_capability("promotion.change")
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    trip = get_object_or_404(Trip.objects.visible_to(request.user), pk=pk)
    form = forms.ContactForm(request.POST)
    if form.is_valid():
        try:
            services.add_contact(request.user, trip, form.cleaned_data)
            messages.success(request, "对接企业已登记")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, "请填写企业名称")
    return redirect("promotion:trip", trip.pk)


# --- task forces --------------------------------------------------------------------------------
@login_required
@require_capability("promotion.view")
def task_forces(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = (
        TaskForce.objects.visible_to(user)
        .prefetch_related("clusters")
        .annotate(n_trips=Count("trips"))
        .order_by("-start_date", "-id")
    )
    page, query = _page(request, qs)
    return render(
        request,
        "promotion/taskforces.html",
        {
            "tab": "taskforces",
            "page_obj": page,
            "querystring_no_page": query,
            "can_change": user.can("promotion.change"),
        },
    )


@login_required
@require_capability("promotion.change")
def task_force_new(request: HttpRequest) -> HttpResponse:
    form = forms.TaskForceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            tf = services.create_task_force(request.user, values, form.cleaned_data["clusters"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "驻外招商工作组已建立")
            return redirect("promotion:taskforce", tf.pk)
    return render(request, "promotion/taskforce_form.html", {"tab": "taskforces", "form": form})


@login_required
@require_capability("promotion.view")
def task_force_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tf = get_object_or_404(TaskForce.objects.visible_to(request.user).select_related("unit"), pk=pk)
    return render(
        request,
        "promotion/taskforce.html",
        {
            "tab": "taskforces",
            "tf": tf,
            "kind": "taskforce",
            "clusters": list(tf.clusters.all()),
            "activities": list(tf.activities.all()),
            "trips": list(tf.trips.order_by("-start_date")),
            "activity_form": forms.ActivityForm(initial={"on": timezone.localdate()}, auto_id="activity_%s"),
            **_source_context(request, tf),
        },
    )


@login_required
@require_POST
@require_capability("promotion.change")
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    tf = get_object_or_404(TaskForce.objects.visible_to(request.user), pk=pk)
    form = forms.ActivityForm(request.POST)
    if form.is_valid():
        try:
            services.add_activity(request.user, tf, **form.cleaned_data)
            messages.success(request, "活动已记录")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, "请填写日期和工作内容")
    return redirect("promotion:taskforce", tf.pk)


# --- links to the project library and next steps (any source) -----------------------------------
def _form_error_text(form: Any) -> str:
    parts: list[str] = []
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.extend(f"{label}：{e}" if label else str(e) for e in errs)
    return "；".join(parts)


@login_required
@require_POST
@require_capability("promotion.change")
def intention(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    source = _get_source(request, kind, pk)
    form = forms.IntentionForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            touch = services.record_intention(
                request.user,
                source,
                intention=form.cleaned_data["intention"],
                project=form.project,
                project_data=None if form.project else form.project_data(),
            )
            verb = "已新建项目线索" if touch.created_lead else "已更新项目"
            messages.success(request, f"{verb}：{touch.project}")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.error(request, _form_error_text(form))
    return redirect(_source_url(source))


@login_required
@require_POST
@require_capability("promotion.change")
def link(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    source = _get_source(request, kind, pk)
    form = forms.LinkForm(request.POST)
    if form.is_valid():
        project = (
            Project.objects.visible_to(request.user)
            .filter(number=form.cleaned_data["project_number"].strip())
            .first()
        )
        if project is None:
            messages.error(request, "未找到该项目，或不在您的数据范围内")
        else:
            services.link_project(request.user, source, project, intention=form.cleaned_data["intention"])
            messages.success(request, f"已关联项目：{project}")
    else:
        messages.error(request, _form_error_text(form))
    return redirect(_source_url(source))


@login_required
@require_POST
@require_capability("promotion.change")
def step_add(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    source = _get_source(request, kind, pk)
    if isinstance(source, TaskForce):
        raise Http404
    form = forms.NextStepForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.add_next_step(request.user, source, **form.cleaned_data)
            messages.success(request, "下一步工作已安排")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, _form_error_text(form))
    return redirect(_source_url(source))


@login_required
@require_POST
def step_done(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    step = NextStep.objects.filter(pk=pk, owner=user).first() or get_object_or_404(
        NextStep.objects.visible_to(user), pk=pk
    )
    form = forms.CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.complete_next_step(
                user, step, expected_version=form.cleaned_data["version"], note=form.cleaned_data["note"]
            )
            messages.success(request, "已标记完成")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, _form_error_text(form))
    nxt = request.POST.get("next") or ""
    return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "promotion:todo")


@login_required
def todo(request: HttpRequest) -> HttpResponse:
    """我的待办事项: the next steps the user owns (the demands to-do page stays the demands app's)."""
    user: Any = request.user
    return render(
        request,
        "promotion/todo.html",
        {"tab": "todo", "steps": list(queries.my_open_steps(user)), "today": timezone.localdate()},
    )


# --- return on promotion ------------------------------------------------------------------------
@login_required
@require_capability("promotion.view")
def return_page(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    data = returns.year_return(request.user, year)
    page = Paginator(data.sources, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "promotion/return.html",
        {
            "tab": "return",
            "year": year,
            "data": data,
            "page_obj": page,
            "querystring_no_page": params.urlencode(),
            "attribution_label": Attribution(data.attribution).label,
        },
    )


@login_required
@require_capability("promotion.view")
def project_origins(request: HttpRequest, pk: int) -> HttpResponse:
    """The investment project page's panel: which visits, trips and task forces the project came from."""
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)

    touches = list(
        Touch.objects.visible_to(request.user)
        .filter(project=project)
        .select_related("reception", "trip", "task_force")
        .order_by("on", "id")
    )
    first = Touch.objects.filter(project=project).order_by("on", "id").values_list("pk", flat=True).first()
    return render(request, "promotion/_project_origins.html", {"touches": touches, "first": first})


# --- configuration ------------------------------------------------------------------------------
@login_required
@require_capability("promotion.view")
def settings_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    year = _year(request)
    unit: Unit = user.scope_unit
    std = YearStandard.objects.filter(year=year).first() or standard_for(year)
    plan = YearPlan.objects.filter(year=year, unit=unit).first()
    std_form = forms.StandardForm(instance=std, prefix="std")
    plan_form = forms.PlanForm(instance=plan or YearPlan(year=year, unit=unit), prefix="plan")
    settings_form = forms.SettingsForm(instance=PromotionSettings.current(), prefix="set")
    if request.method == "POST":
        which = request.POST.get("which")
        try:
            if which == "std":
                std_form = forms.StandardForm(request.POST, instance=YearStandard(year=year), prefix="std")
                if std_form.is_valid():
                    services.save_standard(user, year, std_form.cleaned_data)
                    messages.success(request, f"{year}年开支标准已保存")
                    return redirect(f"{request.path}?year={year}")
            elif which == "plan":
                plan_form = forms.PlanForm(
                    request.POST, instance=YearPlan(year=year, unit=unit), prefix="plan"
                )
                if plan_form.is_valid():
                    services.save_plan(user, year=year, unit=unit, data=plan_form.cleaned_data)
                    messages.success(request, f"{year}年预算与目标已保存")
                    return redirect(f"{request.path}?year={year}")
            elif which == "settings":
                settings_form = forms.SettingsForm(
                    request.POST, instance=PromotionSettings.current(), prefix="set"
                )
                if settings_form.is_valid():
                    services.update_settings(user, settings_form.cleaned_data)
                    messages.success(request, "成效归属规则已保存")
                    return redirect(f"{request.path}?year={year}")
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return render(
        request,
        "promotion/settings.html",
        {
            "tab": "settings",
            "year": year,
            "unit": unit,
            "std_form": std_form,
            "plan_form": plan_form,
            "settings_form": settings_form,
            "can_settings": user.can("promotion.settings"),
        },
    )
