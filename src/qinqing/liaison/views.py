"""Pages of the liaison app: thin wrappers around forms, queries and services."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinqing.accounts.models import User
from qinqing.accounts.reauth import reauth_required
from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction
from qinqing.core import uploads
from qinqing.core.permissions import require, require_capability
from qinqing.demands.models import Category, Demand
from qinqing.liaison import forms, queries, services
from qinqing.liaison.models import (
    Assignment,
    EscalationProposal,
    EscalationRule,
    LiaisonRule,
    Meeting,
    Visit,
    VisitFile,
)
from qinqing.liaison.spreadsheets import ledger_workbook
from qinqing.orgs.models import Unit

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            target = field if field in form.fields else None
            for m in msgs:
                form.add_error(target, m)
    else:
        for m in exc.messages:
            form.add_error(None, m)


def _page(request: HttpRequest, qs: Any) -> tuple[Any, str]:
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


@login_required
@require_capability("liaison.view")
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    today = timezone.localdate()
    return render(
        request,
        "liaison/home.html",
        {
            "summary": queries.coverage_summary(user, today),
            "pending": EscalationProposal.objects.visible_to(user)
            .pending()
            .filter(to_unit_id=user.unit_id)
            .count(),
            "can_log": user.can("liaison.visit"),
            "tab": "home",
        },
    )


# --- assignments -----------------------------------------------------------------------------------------
@login_required
@require_capability("liaison.view")
def assignments(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = (
        Assignment.objects.visible_to(user)
        .select_related("leader", "unit", "enterprise", "project", "commissioner")
        .order_by("level", "leader__username", "start_date", "id")
    )
    level = request.GET.get("level", "")
    if level.isdigit():
        qs = qs.filter(level=int(level))
    if request.GET.get("active", "1") == "1":
        qs = qs.active_on(timezone.localdate())
    leader = request.GET.get("leader", "")
    if leader.isdigit():
        qs = qs.filter(leader_id=int(leader))
    page, query = _page(request, qs)
    return render(
        request,
        "liaison/assignments.html",
        {
            "page_obj": page,
            "querystring_no_page": query,
            "tab": "assignments",
            "level": level,
            "active": request.GET.get("active", "1"),
            "can_assign": user.can("liaison.assign"),
        },
    )


@login_required
@require_capability("liaison.assign")
def assignment_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.AssignmentForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = services.AssignmentData(**form.cleaned_data)
        try:
            a = services.create_assignment(user, data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"已安排：{a}")
            return redirect("liaison:assignment", pk=a.pk)
    return render(request, "liaison/assignment_form.html", {"form": form, "tab": "assignments"})


@login_required
@require_capability("liaison.view")
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    a = get_object_or_404(
        Assignment.objects.visible_to(user).select_related(
            "leader", "unit", "enterprise", "project", "commissioner"
        ),
        pk=pk,
    )
    form = forms.EndForm(request.POST or None)
    if request.method == "POST":
        require(user, "liaison.assign")
        if form.is_valid():
            try:
                services.end_assignment(user, a.pk, end_date=form.cleaned_data["end_date"])
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, "已结束包联")
                return redirect("liaison:assignment", pk=a.pk)
    visits = Visit.objects.visible_to(user).filter(assignment=a).order_by("-visited_on")[:20]
    return render(
        request,
        "liaison/assignment.html",
        {
            "a": a,
            "form": form,
            "visits": visits,
            "task_force": list(a.task_force.all()),
            "tab": "assignments",
            "can_assign": user.can("liaison.assign"),
        },
    )


@login_required
@require_capability("liaison.assign")
def assignment_import(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.import_assignments(user, upload.name, upload.read())
        if result.ok:
            messages.success(request, f"导入成功：{result.created} 条包联关系")
            return redirect("liaison:assignments")
    return render(
        request,
        "liaison/import.html",
        {"form": form, "result": result, "headers": services.IMPORT_HEADERS, "tab": "assignments"},
    )


@login_required
@require_capability("liaison.view")
def coverage(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    today = timezone.localdate()
    without = queries.enterprises_without_leader(user, today)
    page, query = _page(request, without)
    return render(
        request,
        "liaison/coverage.html",
        {
            "summary": queries.coverage_summary(user, today),
            "page_obj": page,
            "querystring_no_page": query,
            "loads": queries.leader_loads(user, today),
            "due": queries.visits_due(user, today),
            "tab": "coverage",
        },
    )


# --- visits -------------------------------------------------------------------------------------------------
@login_required
@require_capability("liaison.view")
def visits(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = (
        Visit.objects.visible_to(user)
        .select_related("leader", "enterprise", "unit")
        .annotate(n_problems=Count("problems"))
        .order_by("-visited_on", "-id")
    )
    if request.GET.get("mine") == "1":
        qs = qs.filter(leader=user)
    page, query = _page(request, qs)
    return render(
        request,
        "liaison/visits.html",
        {
            "page_obj": page,
            "querystring_no_page": query,
            "tab": "visits",
            "can_log": user.can("liaison.visit"),
        },
    )


def _problem_forms(request: HttpRequest) -> list[forms.ProblemForm]:
    data = request.POST if request.method == "POST" else None
    return [forms.ProblemForm(data, prefix=f"p{i}") for i in range(1, forms.MAX_PROBLEM_ROWS + 1)]


@login_required
@require_capability("liaison.visit")
def visit_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.VisitFormForm(request.POST or None, user=user)
    problems = _problem_forms(request)
    if request.method == "POST" and form.is_valid() and all(p.is_valid() for p in problems):
        categories = Category.objects.in_bulk()
        items = [
            services.ProblemData(
                title=p.cleaned_data["title"],
                description=p.cleaned_data["description"],
                category=categories.get(p.cleaned_data["category"]) if p.cleaned_data["category"] else None,
                demand_type=p.cleaned_data["demand_type"],
            )
            for p in problems
            if not p.is_blank
        ]
        c = form.cleaned_data
        data = services.VisitData(
            enterprise=c["enterprise"],
            visited_on=c["visited_on"],
            form=c["form"],
            topics=c["topics"],
            situation=c["situation"],
            companions=list(c["companions"]),
            companions_text=c["companions_text"],
            problems=items,
            files=request.FILES.getlist("files"),
            contact_name=c["contact_name"],
            contact_phone=c["contact_phone"],
            leader=c.get("leader"),
        )
        try:
            visit = services.log_visit(user, data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"已登记走访，发现问题 {len(items)} 个，已转为诉求")
            return redirect("liaison:visit", pk=visit.pk)
    return render(request, "liaison/visit_form.html", {"form": form, "problems": problems, "tab": "visits"})


@login_required
@require_capability("liaison.view")
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    v = get_object_or_404(
        Visit.objects.visible_to(user).select_related("leader", "enterprise", "unit"), pk=pk
    )
    now = timezone.now()
    rows = [
        queries.LedgerRow(p, p.demand.light_at(now), queries.is_struck_off(p.demand))
        for p in v.problems.select_related(
            "demand__lead_unit", "demand__coordinating_unit", "demand__category__parent"
        )
    ]
    return render(
        request,
        "liaison/visit.html",
        {
            "v": v,
            "rows": rows,
            "files": list(v.files.all()),
            "companions": list(v.companions.all()),
            "tab": "visits",
        },
    )


@login_required
@require_capability("liaison.view")
def visit_file(request: HttpRequest, token: str) -> FileResponse:
    f = get_object_or_404(
        VisitFile.objects.filter(visit__in=Visit.objects.visible_to(request.user)), token=token
    )
    response = FileResponse(f.file.open("rb"), content_type=f.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(uploads.safe_name(f.name))}"
    return response


# --- ledger -------------------------------------------------------------------------------------------------
def _ledger_filters(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    filters: dict[str, Any] = {"state": request.GET.get("state", "open")}
    if filters["state"] not in ("open", "struck", "all"):
        filters["state"] = "open"
    leader = request.GET.get("leader", "")
    if leader.isdigit():
        filters["leader"] = get_object_or_404(User.objects.visible_to(user), pk=int(leader))
    unit = request.GET.get("unit", "")
    if unit.isdigit() and user.scope_unit is not None:
        filters["unit"] = get_object_or_404(Unit.objects.subtree(user.scope_unit), pk=int(unit))
    return filters


@login_required
@require_capability("liaison.view")
def ledger(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    filters = _ledger_filters(request)
    page, query = _page(request, queries.ledger_queryset(user, **filters))
    now = timezone.now()
    rows = [
        queries.LedgerRow(p, p.demand.light_at(now), queries.is_struck_off(p.demand))
        for p in page.object_list
    ]
    return render(
        request,
        "liaison/ledger.html",
        {
            "page_obj": page,
            "rows": rows,
            "querystring_no_page": query,
            "filters": filters,
            "leaders": forms.leaders_of(user),
            "units": Unit.objects.active().subtree(user.scope_unit).order_by("path")
            if user.scope_unit
            else [],
            "query": request.GET.urlencode(),
            "tab": "ledger",
            "can_export": user.can("liaison.export"),
        },
    )


@login_required
@require_capability("liaison.export")
@reauth_required("导出包联台账")
def ledger_export(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    filters = _ledger_filters(request)
    rows = queries.ledger(user, **filters)
    scope = filters.get("unit") or user.scope_unit
    title = f"{scope.name if scope else ''}包联领导走访问题台账"
    content = ledger_workbook(rows, title)
    audit.record(
        AuditAction.EXPORT,
        actor=user,
        object_type="liaison.visitproblem",
        changes={"rows": len(rows), "filters": {k: str(v) for k, v in filters.items()}},
        detail=f"导出问题台账 {len(rows)} 条",
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(title + '.xlsx')}"
    return response


# --- escalation ---------------------------------------------------------------------------------------------
@login_required
@require_capability("liaison.view")
def proposals(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = (
        EscalationProposal.objects.visible_to(user)
        .select_related("demand", "from_unit", "to_unit", "decided_by")
        .order_by("status", "-created_at", "-id")
    )
    if request.GET.get("status"):
        qs = qs.filter(status=request.GET["status"])
    page, query = _page(request, qs)
    return render(
        request,
        "liaison/proposals.html",
        {"page_obj": page, "querystring_no_page": query, "tab": "proposals", "decide": forms.DecideForm()},
    )


@login_required
@require_POST
@require_capability("liaison.escalate")
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.DecideForm(request.POST)
    if form.is_valid():
        try:
            p = services.decide_proposal(
                request.user,
                pk,
                escalate=form.cleaned_data["decision"] == "escalate",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"诉求 {p.demand.number}：{p.get_status_display()}")
    else:
        messages.error(request, "请选择决定")
    return redirect("liaison:proposals")


@login_required
@require_capability("liaison.mark_difficult")
def difficult(request: HttpRequest, demand_pk: int) -> HttpResponse:
    user: Any = request.user
    demand = get_object_or_404(Demand.objects.visible_to(user), pk=demand_pk)
    form = forms.DifficultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_difficult(user, demand.pk, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已标记为疑难")
            return redirect("demands:detail", pk=demand.pk)
    return render(request, "liaison/difficult.html", {"form": form, "demand": demand, "tab": "proposals"})


# --- meetings -----------------------------------------------------------------------------------------------
@login_required
@require_capability("liaison.view")
def meetings(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = (
        Meeting.objects.visible_to(user)
        .select_related("unit")
        .annotate(n_demands=Count("demands"))
        .order_by("-held_on", "-id")
    )
    page, query = _page(request, qs)
    return render(
        request,
        "liaison/meetings.html",
        {
            "page_obj": page,
            "querystring_no_page": query,
            "tab": "meetings",
            "can_record": user.can("liaison.meeting"),
        },
    )


@login_required
@require_capability("liaison.meeting")
def meeting_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.MeetingForm(request.POST or None, user=user)
    data = request.POST if request.method == "POST" else None
    follow = [forms.FollowUpForm(data, prefix=f"f{i}", user=user) for i in range(1, 6)]
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in follow):
        c = form.cleaned_data
        items = [
            services.FollowUpData(
                demand=f.cleaned_data["demand"],
                action=f.cleaned_data["action"],
                lead_unit=f.cleaned_data["lead_unit"],
            )
            for f in follow
            if f.cleaned_data.get("demand") or f.cleaned_data.get("action")
        ]
        try:
            m = services.record_meeting(
                user,
                services.MeetingData(
                    kind=c["kind"],
                    title=c["title"],
                    held_on=c["held_on"],
                    decisions=c["decisions"],
                    location=c["location"],
                    chair=c["chair"],
                    units_present=list(c["units_present"]),
                    demands=list(c["demands"]),
                    follow_ups=items,
                ),
            )
        except ValidationError as exc:
            _errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已记录会议，落实事项 {len(items)} 项已进入办理流程")
            return redirect("liaison:meeting", pk=m.pk)
    return render(request, "liaison/meeting_form.html", {"form": form, "follow": follow, "tab": "meetings"})


@login_required
@require_capability("liaison.view")
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    m = get_object_or_404(
        Meeting.objects.visible_to(request.user).select_related("unit", "created_by"), pk=pk
    )
    return render(
        request,
        "liaison/meeting.html",
        {
            "m": m,
            "units": list(m.units_present.order_by("path")),
            "demands": list(m.demands.select_related("lead_unit", "coordinating_unit")),
            "follow_ups": list(m.follow_ups.select_related("demand", "lead_unit")),
            "tab": "meetings",
        },
    )


# --- rules ---------------------------------------------------------------------------------------------------
@login_required
@require_capability("liaison.view")
def rules(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    liaison_form = forms.LiaisonRuleForm(request.POST if "min_enterprises" in request.POST else None)
    escalation_form = forms.EscalationRuleForm(request.POST if "overdue_days" in request.POST else None)
    if request.method == "POST":
        require(user, "liaison.configure")
        try:
            if liaison_form.is_bound and liaison_form.is_valid():
                services.set_liaison_rule(user, **liaison_form.cleaned_data)
                messages.success(request, "已保存包联规则")
                return redirect("liaison:rules")
            if escalation_form.is_bound and escalation_form.is_valid():
                services.set_escalation_rule(user, **escalation_form.cleaned_data)
                messages.success(request, "已保存提级规则")
                return redirect("liaison:rules")
        except ValidationError as exc:
            _errors(liaison_form if liaison_form.is_bound else escalation_form, exc)
    return render(
        request,
        "liaison/rules.html",
        {
            "liaison_rules": LiaisonRule.all_levels().values(),
            "escalation_rules": [EscalationRule.for_level(level) for level in (1, 2, 3)],
            "liaison_form": liaison_form,
            "escalation_form": escalation_form,
            "can_configure": user.can("liaison.configure"),
            "tab": "rules",
        },
    )
