"""Demand pages: thin; they parse input, call services/queries and render (HTMX partials for actions)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from qinqing.accounts.models import User
from qinqing.accounts.reauth import reauth_required
from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction
from qinqing.core import uploads
from qinqing.core.permissions import require
from qinqing.demands import cache, clocks, services
from qinqing.demands.filters import DemandFilter, options_html, unit_choices
from qinqing.demands.forms import CategoryForm, SettingsForm, SlaForm, SubmitForm
from qinqing.demands.models import (
    Attachment,
    Category,
    Demand,
    DemandAssist,
    DemandSettings,
    Outcome,
    Rating,
    RejectReason,
    ReturnReason,
    SlaPolicy,
)
from qinqing.demands.paging import page_of
from qinqing.demands.queries import (
    LIST_RELATED,
    ROW_FIELDS,
    ROW_RELATED,
    TODO_COUNT_CAP,
    todo,
    todo_branches,
    todo_window,
)
from qinqing.demands.workflow import ACTION_LABELS, Action
from qinqing.enterprises.models import mask_mobile
from qinqing.orgs.models import Unit

PAGE_SIZE = 30
HIDDEN = "（企业身份已隐藏）"


def _staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "unit_id", None))


def _require_viewer(request: HttpRequest) -> None:
    user: Any = request.user
    if not (user.enterprise_id or user.can("demands.view")):
        raise PermissionDenied("无权查看企业诉求")


def _rows(request: HttpRequest, qs: Iterable[Demand]) -> list[dict[str, Any]]:
    now = timezone.now()
    # One reverse() for the page (about 0.2 ms each): the detail URL differs only by the id.
    marker = 999_999_999
    detail = reverse("demands:detail", args=[marker])
    rows = []
    for d in qs:
        category = cache.category(d.category_id)
        if category is not None:
            d.category = category  # from the snapshot, with its parent: no query
        rows.append(
            {
                "d": d,
                "url": detail.replace(str(marker), str(d.pk)),
                "light": d.light_at(now),
                "enterprise": d.enterprise.name if d.identity_visible_to(request.user) else HIDDEN,
            }
        )
    return rows


@login_required
def demand_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    base = Demand.objects.visible_to(request.user).order_by("-created_at", "-id")
    unscoped = Demand.objects.order_by("-created_at", "-id")  # see DemandFilter: only where implied
    filters = DemandFilter(request.GET or None, queryset=base, request=request, unscoped=unscoped)
    qs = filters.qs if filters.is_bound and filters.is_valid() else base
    page, objects = page_of(qs, request.GET.get("page"), PAGE_SIZE, ROW_RELATED, capped=True, only=ROW_FIELDS)
    query = request.GET.copy()
    query.pop("page", None)
    template = "demands/list.html" if _staff(request) else "demands/my_list.html"
    dispatch_units = None
    user: Any = request.user
    if _staff(request) and user.has_role("dispatcher"):
        dispatch_units = mark_safe(options_html(unit_choices(user)))  # noqa: S308 - escaped
    return render(
        request,
        template,
        {
            "filter": filters,
            "page": page,
            "rows": _rows(request, objects),
            "query": query.urlencode(),
            "dispatch_units": dispatch_units,
            "can_submit": _staff(request) and request.user.can("demands.submit"),  # type: ignore[union-attr]
        },
    )


@login_required
def todo_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    light = request.GET.get("light", "")

    def narrow(qs: Any) -> Any:
        return qs.with_light_filter(light) if light else qs

    branches = todo_branches(request.user)
    page, objects = page_of(
        narrow(todo(request.user, branches)),
        request.GET.get("page"),
        PAGE_SIZE,
        ROW_RELATED,
        capped=TODO_COUNT_CAP,
        only=ROW_FIELDS,
        window=lambda n: todo_window(request.user, branches, n, narrow),
    )
    return render(
        request, "demands/todo.html", {"page": page, "rows": _rows(request, objects), "light": light}
    )


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    staff = _staff(request)
    if staff:
        require(user, "demands.submit")
    elif not user.enterprise_id:
        raise PermissionDenied("无权提交诉求")
    initial: dict[str, Any] = {}
    if not staff:
        contact = user.enterprise.contacts.filter(is_primary=True).first()
        initial = {
            "contact_name": contact.name if contact else user.full_name,
            "contact_phone": user.mobile or "",
        }
    form = SubmitForm(request.POST or None, initial=initial, staff=staff)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        enterprise = form.enterprise_for(user) if staff else None
        if staff and enterprise is None:
            form.add_error("credit_code", "未找到该企业，或不在本辖区")
        else:
            data = services.SubmitData(
                category=form.category_obj(),
                demand_type=c["demand_type"],
                title=c["title"],
                description=c["description"],
                urgency=c["urgency"],
                channel=c.get("channel") or "self",
                enterprise=enterprise,
                contact_name=c["contact_name"],
                contact_phone=c["contact_phone"],
                hide_below_tier=int(c["hide_below_tier"]) if c.get("hide_below_tier") else None,
                files=request.FILES.getlist("files"),
            )
            try:
                demand = services.submit(user, data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    target = field if field in form.fields else None
                    for error in errors:
                        form.add_error(target, error)
            else:
                messages.success(request, f"诉求已提交，编号 {demand.number}")
                return redirect("demands:detail", pk=demand.pk)
    help_texts = {c.pk: c.help_text for c in Category.objects.filter(is_active=True) if c.help_text}
    return render(request, "demands/submit.html", {"form": form, "help_texts": help_texts, "staff": staff})


def _panel_context(request: HttpRequest, demand: Demand, error: str = "") -> dict[str, Any]:
    user: Any = request.user
    now = timezone.now()
    staff = _staff(request)
    all_events = list(demand.events.all()) if staff else []
    events = all_events if staff else list(demand.events.filter(public=True))
    actions = services.available_actions(user, demand, now)
    ctx: dict[str, Any] = {
        "d": demand,
        "events": events,
        "actions": [(a, ACTION_LABELS[a]) for a in actions],
        "error": error,
        "light": demand.light_at(now),
        "identity": demand.identity_visible_to(user),
        "phone": mask_mobile(demand.contact_phone),
        "hidden": HIDDEN,
        "clocks": clocks.clock_report(demand, all_events, now) if staff else [],
        "assists": _assists(demand),
        "attachments": list(
            demand.attachments.all() if _staff(request) else demand.attachments.filter(public=True)
        ),
        "outcomes": Outcome.choices,
        "ratings": Rating.choices,
        "reject_reasons": RejectReason.choices,
        "return_reasons": ReturnReason.choices,
    }
    if Action.DISPATCH in actions:
        ctx["dispatch_units"] = services.dispatch_choices(demand).order_by("path")
    if Action.TRANSFER in actions:
        ctx["transfer_units"] = services.transfer_choices(demand).order_by("path")
    if Action.ASSIGN in actions:
        ctx["handlers"] = services.handler_choices(demand)
    return ctx


def _assists(demand: Demand) -> list[DemandAssist]:
    if "assists" in getattr(demand, "_prefetched_objects_cache", {}):  # the page (_visible_demand)
        return list(demand.assists.all())
    return list(demand.assists.select_related("unit"))


def _visible_demand(request: HttpRequest, pk: int, page: bool = False) -> Demand:
    """The demand PK within the user's scope (404 outside it). PAGE: with what the page shows — the
    category's parent (its name) and the assisting units, read once for the page and the allowed actions."""
    _require_viewer(request)
    qs = Demand.objects.visible_to(request.user).select_related(
        "enterprise", "category", "receiving_unit", "coordinating_unit", "lead_unit", "current_handler"
    )
    if page:
        qs = qs.select_related("category__parent").prefetch_related(
            Prefetch("assists", queryset=DemandAssist.objects.select_related("unit").order_by("pk"))
        )
    return get_object_or_404(qs, pk=pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    demand = _visible_demand(request, pk, page=True)
    return render(request, "demands/detail.html", _panel_context(request, demand))


def action_params(request: HttpRequest, demand: Demand, action: str) -> dict[str, Any]:
    """The service keyword arguments for ACTION from the posted form (ids resolved within choices)."""
    post = request.POST
    p: dict[str, Any] = {}
    for name in ("note", "reason", "text", "outcome", "comment"):
        if name in post:
            p[name] = post.get(name, "")
    if action == Action.DISPATCH:
        units = services.dispatch_choices(demand)
        p["lead_unit"] = units.filter(pk=post.get("lead_unit") or 0).first()
        p["assisting_units"] = list(
            units.filter(pk__in=[x for x in post.getlist("assisting_units") if x.isdigit()])
        )
    if action == Action.TRANSFER:
        p["unit"] = services.transfer_choices(demand).filter(pk=post.get("unit") or 0).first()
    if action == Action.ASSIGN:
        p["handler"] = services.handler_choices(demand).filter(pk=post.get("handler") or 0).first()
    if action == Action.REQUEST_EXTENSION:
        p["days"] = post.get("days", "")
    if action in (Action.RATE, Action.FOLLOW_UP) and post.get("rating"):
        p["rating"] = post.get("rating")
    if action == Action.SUPERVISE:
        p["poor_quality"] = post.get("poor_quality") == "on"
    if action == Action.SUPPLEMENT:
        p["files"] = request.FILES.getlist("files")
    keep = {
        Action.ACCEPT: {"note"},
        Action.REJECT: {"reason", "note"},
        Action.DISPATCH: {"lead_unit", "assisting_units", "note"},
        Action.SIGN: {"note"},
        Action.RETURN: {"reason", "note"},
        Action.ASSIGN: {"handler", "note"},
        Action.TRANSFER: {"unit", "note"},
        Action.ESCALATE: {"reason"},
        Action.REQUEST_EXTENSION: {"days", "reason"},
        Action.APPROVE_EXTENSION: {"note"},
        Action.REFUSE_EXTENSION: {"note"},
        Action.SUSPEND: {"note"},
        Action.RESUME: {"note"},
        Action.SUPPLEMENT: {"note", "files"},
        Action.OPINION: {"text"},
        Action.REPLY: {"outcome", "text"},
        Action.RATE: {"rating", "comment"},
        Action.FOLLOW_UP: {"note", "rating"},
        Action.REMIND: {"note"},
        Action.SUPERVISE: {"note", "poor_quality"},
    }[Action(action)]
    return {k: v for k, v in p.items() if k in keep}


@login_required
@require_POST
def do_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    demand = _visible_demand(request, pk)
    if action not in services.HANDLERS:
        raise Http404("没有该操作")
    error = ""
    version = request.POST.get("version", "")
    try:
        params = action_params(request, demand, action)
        for required in ("lead_unit", "unit", "handler"):
            if required in params and params[required] is None:
                raise ValidationError({required: "请选择"})
        services.perform(
            request.user, demand.pk, action, int(version) if version.isdigit() else None, **params
        )
    except services.ActionRefused as exc:
        error = exc.message
    except ValidationError as exc:
        error = "；".join(exc.messages)
    if not Demand.objects.visible_to(request.user).filter(pk=pk).exists():
        messages.success(request, f"{ACTION_LABELS[action]}成功，该诉求已移出本单位")
        if request.htmx:  # type: ignore[attr-defined]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("demands:todo")
            return response
        return redirect("demands:todo")
    demand = _visible_demand(request, pk)
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{ACTION_LABELS[action]}成功")
        return redirect("demands:detail", pk=pk)
    ctx = _panel_context(request, demand, error)
    ctx["done"] = "" if error else f"{ACTION_LABELS[action]}成功"
    return render(request, "demands/_panel.html", ctx)


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch several 待交办 demands to one lead unit; each is its own atomic action with its version."""
    user: Any = request.user
    require(user, "demands.submit")
    ids = [int(x) for x in request.POST.getlist("ids") if x.isdigit()]
    unit = Unit.objects.filter(pk=request.POST.get("lead_unit") or 0).first()
    if not ids or unit is None:
        messages.error(request, "请勾选诉求并选择主办单位")
        return redirect(request.POST.get("next") or "demands:list")
    done, failed = 0, []
    for demand in Demand.objects.visible_to(user).filter(pk__in=ids):
        try:
            services.dispatch(user, demand.pk, demand.version, lead_unit=unit)
            done += 1
        except (services.ActionRefused, ValidationError) as exc:
            failed.append(f"{demand.number}：{getattr(exc, 'message', None) or '；'.join(exc.messages)}")  # type: ignore[union-attr]
    if done:
        messages.success(request, f"已交办 {done} 件诉求至{unit.name}")
    for line in failed:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "demands:list")


@login_required
def attachment(request: HttpRequest, token: str) -> FileResponse:
    """Serve an attachment only to users who may see its demand (enterprise users: public files only)."""
    att = get_object_or_404(Attachment.objects.select_related("demand"), token=token)
    if not Demand.objects.visible_to(request.user).filter(pk=att.demand_id).exists():
        raise Http404("未找到")
    if getattr(request.user, "enterprise_id", None) and not att.public:
        raise Http404("未找到")
    return FileResponse(
        att.file.open("rb"),
        as_attachment=True,
        filename=uploads.safe_name(att.name),
        content_type=att.content_type,
    )


EXPORT_LIMIT = 20000
EXPORT_HEADERS = [
    "诉求编号",
    "提交时间",
    "企业",
    "联系人",
    "联系电话",
    "来源渠道",
    "类型",
    "分类",
    "标题",
    "状态",
    "受理机构",
    "主办单位",
    "当前期限",
    "亮灯",
    "重办次数",
    "评价",
]


@login_required
@reauth_required("导出诉求")
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list as Excel: personal data masked, identity hidden where it must be, audited."""
    from openpyxl import Workbook

    from qinqing.core.spreadsheets import safe_row

    user: Any = request.user
    require(user, "demands.export")
    base = Demand.objects.visible_to(user).select_related(*LIST_RELATED).order_by("-created_at", "-id")
    unscoped = Demand.objects.select_related(*LIST_RELATED).order_by("-created_at", "-id")
    filters = DemandFilter(request.GET or None, queryset=base, request=request, unscoped=unscoped)
    qs = filters.qs if filters.is_bound and filters.is_valid() else base
    now = timezone.now()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业诉求")
    ws.append(EXPORT_HEADERS)  # write-only: every row goes through safe_row (formula-like text neutralised)
    count = 0
    light_names = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": ""}
    for d in qs[:EXPORT_LIMIT]:
        visible = d.identity_visible_to(user)
        ws.append(
            safe_row(
                [
                    d.number,
                    timezone.localtime(d.created_at).strftime("%Y-%m-%d %H:%M"),
                    d.enterprise.name if visible else HIDDEN,
                    d.contact_name[:1] + "**" if visible else HIDDEN,
                    mask_mobile(d.contact_phone) if visible else HIDDEN,
                    d.get_channel_display(),
                    d.get_demand_type_display(),
                    str(d.category),
                    d.title,
                    d.get_status_display(),
                    d.receiving_unit.name,
                    d.lead_unit.name if d.lead_unit else "",
                    timezone.localtime(d.due_at).strftime("%Y-%m-%d") if d.due_at else "",
                    light_names[d.light_at(now)],
                    d.redo_count,
                    d.get_rating_display() if d.rating else "",
                ]
            )
        )
        count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    audit.record(
        AuditAction.EXPORT,
        actor=user,
        object_type="demands.demand",
        detail=f"导出企业诉求 {count} 条；条件：{request.GET.urlencode()[:300]}",
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename=demands-{now:%Y%m%d}.xlsx"
    return response


# --- configuration ---------------------------------------------------------------------------------------
@login_required
def config(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "demands.configure")
    can_edit = bool(user.unit and user.unit.coordinates_parent)
    settings_form = SettingsForm(instance=DemandSettings.current())
    category_form = CategoryForm()
    if request.method == "POST":
        services.require_configure(user)
        kind = request.POST.get("kind")
        if kind == "settings":
            settings_form = SettingsForm(request.POST, instance=DemandSettings.current())
            if settings_form.is_valid():
                services.save_config(user, settings_form.instance, settings_form)
                messages.success(request, "预警设置已保存")
                return redirect("demands:config")
        elif kind == "category":
            instance = Category.objects.filter(pk=request.POST.get("pk") or 0).first() or Category()
            category_form = CategoryForm(request.POST, instance=instance)
            if category_form.is_valid():
                services.save_config(user, instance, category_form)
                messages.success(request, "分类已保存")
                return redirect("demands:config")
        elif kind == "sla":
            policy = get_object_or_404(SlaPolicy, pk=request.POST.get("pk") or 0)
            form = SlaForm(request.POST, instance=policy)
            if form.is_valid():
                services.save_config(user, policy, form)
                messages.success(request, f"{policy}的时限已保存（仅对此后提交的诉求生效）")
                return redirect("demands:config")
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"{policy}：{error}")
    categories = list(Category.objects.select_related("parent").order_by("ordering", "id"))
    tree = [(p, [c for c in categories if c.parent_id == p.pk]) for p in categories if p.parent_id is None]
    return render(
        request,
        "demands/config.html",
        {
            "settings_form": settings_form,
            "category_form": category_form,
            "tree": tree,
            "policies": SlaPolicy.objects.all(),
            "can_edit": can_edit,
        },
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows = user.demand_inbox.select_related("demand").order_by("-created_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if request.method == "POST":
        user.demand_inbox.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("demands:inbox")
    return render(request, "demands/inbox.html", {"page": page})
