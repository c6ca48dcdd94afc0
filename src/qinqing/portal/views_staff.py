"""Staff pages of the portal: content (edit, review, history), inquiries, publications, figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinqing.core import uploads
from qinqing.core.permissions import require_capability
from qinqing.portal import images, inquiries, queries, services, snapshot
from qinqing.portal.forms import (
    CommentForm,
    EditionErrorForm,
    EditionForm,
    EntryForm,
    LeadForm,
    PrintedForm,
)
from qinqing.portal.models import (
    ContentKind,
    ContentStatus,
    Edition,
    Entry,
    Inquiry,
    InquiryStatus,
    PortalState,
)


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def _can_any(user: Any) -> bool:
    return any(
        user.can(c)
        for c in ("portal.edit", "portal.review", "portal.inquiries", "portal.publications", "portal.stats")
    )


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    if not _can_any(request.user):
        raise PermissionDenied
    open_inquiries = Inquiry.objects.visible_to(request.user).filter(status=InquiryStatus.RECEIVED)
    context = {
        "review": Entry.objects.visible_to(request.user).filter(status=ContentStatus.REVIEW).count(),
        "open_inquiries": open_inquiries.count(),
        "overdue": open_inquiries.filter(due_at__lt=timezone.now()).count(),
        "state": PortalState.objects.filter(pk=1).first(),
        "catalogue": len(snapshot.catalogue().list("project")),
        "kinds": ContentKind.choices,
    }
    return render(request, "portal/staff/home.html", context)


# --- content --------------------------------------------------------------------------------------------
@login_required
@require_capability("portal.edit")
def content_list(request: HttpRequest) -> HttpResponse:
    rows = Entry.objects.visible_to(request.user).select_related("unit")
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    if kind in ContentKind.values:
        rows = rows.filter(kind=kind)
    if status in ContentStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("kind", "ordering", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/staff/content_list.html",
        {
            "page": page,
            "kinds": ContentKind.choices,
            "statuses": ContentStatus.choices,
            "kind": kind,
            "status": status,
        },
    )


def _save_form(request: HttpRequest, form: EntryForm, entry: Entry | None, kind: str) -> Entry | None:
    if not form.is_valid():
        return None
    fields = {k: form.cleaned_data.get(k) for k in form.Meta.fields}
    fields["data"] = form.data_dict()
    try:
        upload = form.cleaned_data.get("image_file")
        if upload:
            fields["image"] = images.add_image(request.user, upload, alt=fields["title"] or "")
        if entry is None:
            return services.create_entry(request.user, kind, fields)
        return services.update_entry(
            request.user, entry, fields, expected_version=int(request.POST.get("version") or 0)
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            form.add_error(None, exc.messages)
        return None


@login_required
@require_capability("portal.edit")
def content_create(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ContentKind.values:
        raise Http404
    form = EntryForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST":
        entry = _save_form(request, form, None, kind)
        if entry is not None:
            messages.success(request, "已保存草稿")
            return redirect("portal:content", entry.pk)
    return render(
        request, "portal/staff/content_form.html", {"form": form, "kind_label": ContentKind(kind).label}
    )


@login_required
@require_capability("portal.edit")
def content_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Entry.objects.visible_to(request.user), pk=pk)
    form = EntryForm(request.POST or None, request.FILES or None, instance=entry, kind=entry.kind)
    if request.method == "POST":
        saved = _save_form(request, form, entry, entry.kind)
        if saved is not None:
            messages.success(request, "已保存")
            return redirect("portal:content", entry.pk)
    return render(
        request,
        "portal/staff/content_form.html",
        {"form": form, "entry": entry, "kind_label": entry.get_kind_display()},
    )


@login_required
@require_capability("portal.edit")
def content_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Entry.objects.visible_to(request.user).select_related("unit"), pk=pk)
    context = {
        "entry": entry,
        "actions": services.allowed_actions(request.user, entry),
        "versions": entry.versions.select_related("saved_by")[:30],
        "files": entry.files.all(),
    }
    return render(request, "portal/staff/content_detail.html", context)


@login_required
@require_POST
def content_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    entry = get_object_or_404(Entry.objects.visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请求无效，请刷新后重试")
        return redirect("portal:content", pk)
    version, comment = form.cleaned_data["version"], form.cleaned_data["comment"] or ""
    try:
        if action == "submit":
            services.submit_entry(request.user, entry, expected_version=version)
            messages.success(request, "已提交审核")
        elif action == "approve":
            entry = services.approve_entry(request.user, entry, expected_version=version, comment=comment)
            messages.success(
                request, "已发布" if entry.status == ContentStatus.PUBLISHED else "审核通过，将定时发布"
            )
        elif action == "return":
            services.return_entry(request.user, entry, expected_version=version, comment=comment)
            messages.success(request, "已退回")
        elif action == "unpublish":
            services.unpublish_entry(request.user, entry, expected_version=version, reason=comment)
            messages.success(request, "已下线")
        elif action == "restore":
            number = request.POST.get("number", "")
            if not (number.isascii() and number.isdigit()):
                raise ValidationError("请选择要恢复的版本")
            services.restore_version(request.user, entry, expected_version=version, number=int(number))
            messages.success(request, f"已恢复 v{int(number)} 的内容为新的草稿版本，请提交审核")
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("portal:content", pk)


@login_required
@require_POST
def content_file(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Entry.objects.visible_to(request.user), pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择文件")
    else:
        try:
            services.add_entry_file(request.user, entry, title=request.POST.get("title", ""), file=upload)
            messages.success(request, "附件已上传")
        except ValidationError as exc:
            _errors(request, exc)
    return redirect("portal:content", pk)


@login_required
@require_POST
@require_capability("portal.review")
def sync_catalogue(request: HttpRequest) -> HttpResponse:
    result = snapshot.sync_projects()
    messages.success(
        request, f"公开项目库已同步：新增 {result.added}，更新 {result.updated}，撤下 {result.removed}"
    )
    return redirect("portal:staff_home")


# --- inquiries ------------------------------------------------------------------------------------------
@login_required
@require_capability("portal.inquiries")
def inquiry_list(request: HttpRequest) -> HttpResponse:
    rows = Inquiry.objects.visible_to(request.user).select_related("unit")
    status = request.GET.get("status", "")
    if status in InquiryStatus.values:
        rows = rows.filter(status=status)
    project = request.GET.get("project", "")
    if project.isdigit():
        rows = rows.filter(project_id=int(project))
    page = Paginator(rows.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    items = [(i, i.light(now)) for i in page.object_list]
    return render(
        request,
        "portal/staff/inquiry_list.html",
        {"page": page, "items": items, "statuses": InquiryStatus.choices, "status": status},
    )


@login_required
@require_capability("portal.inquiries")
def inquiry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_object_or_404(
        Inquiry.objects.visible_to(request.user).select_related("unit", "lead_project"), pk=pk
    )
    lead_form = None
    if "convert" in inquiries.allowed_actions(request.user, inquiry) and request.user.can(  # type: ignore[union-attr]
        "investment.change"
    ):
        initial = {
            "name": inquiry.project_name or f"{inquiry.company}投资意向",
            "investor_name": inquiry.company,
            "version": inquiry.version,
            "source": "province",
            "investor_type": "private",
            "planned_investment_wan": 0,
        }
        if inquiry.unit.kind in ("county", "park"):
            initial["location_unit"] = inquiry.unit.pk
        lead_form = LeadForm(initial=initial, user=request.user)
    context = {
        "inquiry": inquiry,
        "light": inquiry.light(),
        "events": inquiry.events.select_related("actor"),
        "actions": inquiries.allowed_actions(request.user, inquiry),
        "lead_form": lead_form,
        "phone": inquiry.phone,
    }
    return render(request, "portal/staff/inquiry_detail.html", context)


@login_required
@require_POST
@require_capability("portal.inquiries")
def inquiry_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    inquiry = get_object_or_404(Inquiry.objects.visible_to(request.user).select_related("unit"), pk=pk)
    try:
        version = int(request.POST.get("version") or 0)
        text = request.POST.get("text", "")
        if action == "reply":
            inquiries.reply(request.user, inquiry, expected_version=version, text=text)
            messages.success(request, "已答复，投资者可在查询链接中看到")
        elif action == "decline":
            inquiries.decline(request.user, inquiry, expected_version=version, reason=text)
            messages.success(request, "已不予受理并告知投资者")
        elif action == "close":
            inquiries.close(request.user, inquiry, expected_version=version, note=text)
            messages.success(request, "已办结")
        elif action == "convert":
            form = LeadForm(request.POST, user=request.user)
            if not form.is_valid():
                messages.error(request, "请完整填写项目线索信息")
                return redirect("portal:inquiry", pk)
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            from qinqing.investment.models import sector_of_section

            data["sector"] = sector_of_section(data["industry_section"])
            project = inquiries.convert_to_lead(
                request.user, inquiry, expected_version=version, project_data=data
            )
            messages.success(request, f"已转为项目线索 {project.number}")
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "无权执行此操作")
    return redirect("portal:inquiry", pk)


# --- publications ---------------------------------------------------------------------------------------
@login_required
@require_capability("portal.publications")
def edition_list(request: HttpRequest) -> HttpResponse:
    form = EditionForm(request.POST or None, initial={"edition_date": timezone.localdate(), "pagesize": "A4"})
    if request.method == "POST" and form.is_valid():
        try:
            edition = services.create_edition(request.user, form.service_data())
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "已加入生成队列")
            return redirect("portal:edition", edition.pk)
    rows = Edition.objects.visible_to(request.user).select_related("unit").order_by("-created_at")[:100]
    return render(request, "portal/staff/edition_list.html", {"form": form, "editions": rows})


@login_required
@require_capability("portal.publications")
def edition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    edition = get_object_or_404(Edition.objects.visible_to(request.user), pk=pk)
    context = {
        "edition": edition,
        "errors": edition.errors.all(),
        "printed_form": PrintedForm(
            initial={
                "printed_on": timezone.localdate(),
                "print_run": edition.print_run or None,
                "version": edition.version,
            }
        ),
        "error_form": EditionErrorForm(initial={"found_on": timezone.localdate()}),
    }
    template = "portal/staff/_edition_status.html" if request.htmx else "portal/staff/edition_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_POST
@require_capability("portal.publications")
def edition_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    edition = get_object_or_404(Edition.objects.visible_to(request.user), pk=pk)
    try:
        if action == "regenerate":
            services.regenerate_edition(
                request.user, edition, expected_version=int(request.POST.get("version") or 0)
            )
            messages.success(request, "已重新加入生成队列")
        elif action == "printed":
            form = PrintedForm(request.POST)
            if not form.is_valid():
                raise ValidationError("请填写印制日期和印数")
            services.mark_printed(
                request.user,
                edition,
                expected_version=form.cleaned_data["version"],
                printed_on=form.cleaned_data["printed_on"],
                print_run=form.cleaned_data["print_run"],
            )
            messages.success(request, "已登记印制")
        elif action == "error":
            eform = EditionErrorForm(request.POST)
            if not eform.is_valid():
                raise ValidationError("请完整填写差错信息")
            services.log_edition_error(request.user, edition, **eform.cleaned_data)
            messages.success(request, "已登记差错")
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("portal:edition", pk)


@login_required
@require_capability("portal.publications")
def edition_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    edition = get_object_or_404(Edition.objects.visible_to(request.user), pk=pk)
    field = edition.pdf if fmt == "pdf" else edition.docx if fmt == "docx" else None
    if not field:
        raise Http404
    return FileResponse(
        field.open("rb"),
        as_attachment=True,
        filename=uploads.safe_name(f"{edition.title}-{edition.edition}.{fmt}"),
    )


# --- figures --------------------------------------------------------------------------------------------
@login_required
@require_capability("portal.stats")
def figures(request: HttpRequest) -> HttpResponse:
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdigit() and 2000 < int(year_raw) < 2100 else timezone.localdate().year
    unit = request.user.scope_unit  # type: ignore[union-attr]
    if unit is None:
        raise PermissionDenied
    fig = queries.figures(unit, year)
    rows = [(queries.LABELS[k], v, sum(v)) for k, v in fig.rows.items()]
    return render(
        request, "portal/staff/figures.html", {"fig": fig, "rows": rows, "year": year, "unit": unit}
    )


@login_required
@require_capability("portal.review")
def settings_page(request: HttpRequest) -> HttpResponse:
    from qinqing.portal.forms import SettingsForm
    from qinqing.portal.models import PortalSettings

    cfg = PortalSettings.current()
    form = SettingsForm(request.POST or None, instance=cfg)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(request.user, {k: form.cleaned_data[k] for k in form.Meta.fields})
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            for field, errs in errors.items():
                form.add_error(field if field in form.fields else None, errs)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "门户设置已保存")
            return redirect("portal:settings")
    return render(request, "portal/staff/settings.html", {"form": form})
