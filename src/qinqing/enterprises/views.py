"""Pages: thin wrappers around forms, queries and services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from qinqing.accounts.reauth import reauth_required
from qinqing.core.permissions import require, require_capability
from qinqing.enterprises import services, spreadsheets
from qinqing.enterprises.filters import EnterpriseFilter
from qinqing.enterprises.forms import ContactForm, EnterpriseForm, ImportForm
from qinqing.enterprises.models import Contact, Enterprise
from qinqing.enterprises.queries import enterprise_list, primary_contact, registrable_units

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def _require_view(user: Any) -> None:
    """Staff with enterprises.view, or an enterprise user (visible_to limits them to their own)."""
    if not (user.can("enterprises.view") or user.is_enterprise_user):
        raise PermissionDenied("无权访问企业库")


@login_required
@require_capability("enterprises.view")
def enterprise_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    filterset = EnterpriseFilter(request.GET, queryset=enterprise_list(user), request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "enterprises/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "rows": [(e, primary_contact(e)) for e in page.object_list],
            "querystring_no_page": params.urlencode(),
            "can_change": user.can("enterprises.change"),
            "can_export": user.can("enterprises.export"),
            "can_import": user.can("enterprises.import"),
        },
    )


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_view(user)
    enterprise = get_object_or_404(
        Enterprise.objects.visible_to(request.user).select_related("registered_unit"), pk=pk
    )
    return render(
        request,
        "enterprises/detail.html",
        {
            "enterprise": enterprise,
            "contacts": list(enterprise.contacts.all()),
            "can_change": user.can("enterprises.change"),
            "can_view_pii": user.can("enterprises.view_pii"),
        },
    )


def _save_form(request: HttpRequest, form: EnterpriseForm, instance: Enterprise | None) -> Enterprise | None:
    if not form.is_valid():
        return None
    try:
        if instance is None:
            return services.create_enterprise(request.user, form.service_data())
        return services.update_enterprise(request.user, instance, form.service_data())
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "enterprises.change")
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST":
        enterprise = _save_form(request, form, None)
        if enterprise is not None:
            messages.success(request, f"已登记企业“{enterprise.name}”")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/form.html", {"form": form, "title": "登记企业"})


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    require(request.user, "enterprises.change")
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST":
        saved = _save_form(request, form, enterprise)
        if saved is not None:
            messages.success(request, "已保存")
            return redirect("enterprises:detail", pk=saved.pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": f"编辑企业：{enterprise.name}", "enterprise": enterprise},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    require(request.user, "enterprises.change")
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_contact(request.user, enterprise, form.service_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已添加联系人")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/contact_form.html",
        {"form": form, "enterprise": enterprise, "title": "添加联系人"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.visible_to(request.user).select_related("enterprise"), pk=pk)
    require(request.user, "enterprises.change")
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(request.user, contact, form.service_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存联系人")
            return redirect("enterprises:detail", pk=contact.enterprise_id)
    return render(
        request,
        "enterprises/contact_form.html",
        {"form": form, "enterprise": contact.enterprise, "title": f"编辑联系人：{contact.name}"},
    )


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=pk)
    services.remove_contact(request.user, contact)
    messages.success(request, f"已删除联系人“{contact.name}”")
    return redirect("enterprises:detail", pk=contact.enterprise_id)


@login_required
@require_POST
@reauth_required("查看完整手机号")
def contact_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX: swap the masked number for the full one (audited in the service)."""
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=pk)
    mobile = services.reveal_mobile(request.user, contact)
    return render(request, "enterprises/_mobile.html", {"mobile": mobile})


@login_required
@reauth_required("导出企业名录")
def enterprise_export(request: HttpRequest) -> HttpResponse:
    try:
        content, _ = services.export_enterprises(request.user, request.GET)
    except ValidationError as exc:
        messages.error(request, "筛选条件有误：" + "；".join(exc.messages))
        return redirect("enterprises:list")
    return _xlsx_response(content, f"企业名录-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_capability("enterprises.import")
def import_template(request: HttpRequest) -> HttpResponse:
    return _xlsx_response(
        spreadsheets.template_workbook(registrable_units(request.user)), "企业导入模板.xlsx"
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_import(request: HttpRequest) -> HttpResponse:
    require(request.user, "enterprises.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.import_enterprises(request.user, upload.name, upload.read())
        if result.ok:
            messages.success(
                request,
                f"导入完成：新增 {result.created} 家，更新 {result.updated} 家，未变 {result.unchanged} 家；"
                f"联系人新增 {result.contacts_created} 人，更新 {result.contacts_updated} 人",
            )
            return redirect("enterprises:import")
    status = 400 if result is not None and not result.ok else 200
    return render(request, "enterprises/import.html", {"form": form, "result": result}, status=status)
