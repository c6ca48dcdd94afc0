"""Pages of the registry, the applications, the certificates and the public verification (thin: services
and queries do the work). Inspection, figures and settings pages: views_inspection.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinqing.accounts.reauth import reauth_required
from qinqing.chambers import (
    certificates,
    importing,
    officers,
    queries,
    rules,
    services,
    spreadsheets,
    verification,
)
from qinqing.chambers.filters import OrganisationFilter
from qinqing.chambers.forms import (
    NEW_OFFICER_ROWS,
    ImportForm,
    OfficersForm,
    OpenAccountForm,
    ProfileForm,
    UploadForm,
    officer_changes,
)
from qinqing.chambers.models import (
    Application,
    Certificate,
    Material,
    Organisation,
    account_org_id,
)
from qinqing.chambers.rules import AppKind, AppStatus, CertStatus
from qinqing.core import ratelimit, uploads
from qinqing.core.context import current as request_context
from qinqing.core.permissions import require

PAGE_SIZE = 50


def fail(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    text = "；".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or "无权执行此操作")
    messages.error(request, text)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        raise ValidationError("缺少版本号，请刷新页面后重试") from None


def _require_any(request: HttpRequest) -> None:
    user: Any = request.user
    if not (user.can("chambers.view") or user.can("chambers.apply")):
        raise PermissionDenied("无权访问")


def _is_org(request: HttpRequest) -> bool:
    return account_org_id(request.user) is not None


# --- home ---------------------------------------------------------------------------------------------
@login_required
def home(request: HttpRequest) -> HttpResponse:
    _require_any(request)
    org_id = account_org_id(request.user)
    if org_id is not None:
        return redirect("chambers:org", pk=org_id)
    user: Any = request.user
    pending = list(
        Application.objects.visible_to(user)
        .filter(status=AppStatus.SUBMITTED)
        .select_related("organisation")
        .order_by("due_on", "pk")[:20]
    )
    counts = {
        status: Organisation.objects.visible_to(user).filter(status=status).count()
        for status in rules.OrgStatus.values
    }
    return render(
        request,
        "chambers/home.html",
        {"pending": queries.with_lights(pending), "counts": counts, "statuses": rules.OrgStatus.choices},
    )


# --- organisations ---------------------------------------------------------------------------------------
@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.view")
    qs = Organisation.objects.visible_to(request.user).select_related("area")
    filters = OrganisationFilter(request.GET, queryset=qs)
    rows = filters.qs.order_by("kind", "name", "pk")
    if request.GET.get("format") == "xlsx":
        return spreadsheets.export_response(request.user, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "chambers/org_list.html", {"filter": filters, "page": page})


@login_required
def org_new(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.manage")
    areas = services.area_choices(request.user)
    form = OpenAccountForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            org, _user = services.open_account(request.user, **form.cleaned_data)
        except ValidationError as exc:
            fail(request, exc)
        else:
            messages.success(request, f"已开通“{org.name}”及其账号，请将初始密码告知该组织")
            return redirect("chambers:org", pk=org.pk)
    return render(request, "chambers/org_new.html", {"form": form})


def _org(request: HttpRequest, pk: int) -> Organisation:
    _require_any(request)
    return get_object_or_404(Organisation.objects.visible_to(request.user).select_related("area"), pk=pk)


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    user: Any = request.user
    members = org.members.all()
    context = {
        "org": org,
        "is_org": _is_org(request),
        "officers": list(org.officers.all()),
        "members": list(members[:100]),
        "member_count": members.count(),
        "founder_count": members.filter(is_founder=True).count(),
        "certificates": list(org.certificates.order_by("-issued_on", "-pk")),
        "applications": queries.with_lights(list(org.applications.order_by("-created_at", "-pk"))),
        "reports": list(org.annual_reports.select_related("campaign").order_by("-campaign__year")),
        "events": list(org.events.select_related("actor", "application").order_by("-at", "-pk")[:100]),
        "problems": services.registration_problems(org) if org.status == rules.OrgStatus.PREPARING else [],
        "can_review": user.can("chambers.review"),
        "can_manage": user.can("chambers.manage"),
        "app_kinds": AppKind.choices,
        "show_pii": False,
    }
    return render(request, "chambers/org_detail.html", context)


@login_required
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    form = ProfileForm(request.POST or None, instance=Organisation.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(request.user, org, form.cleaned_data, expected_version=_version(request))
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, "已保存")
            return redirect("chambers:org", pk=org.pk)
    return render(request, "chambers/org_edit.html", {"org": org, "form": form})


@login_required
def org_officers(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    initial = "\n".join(
        f"{o.position}，{o.name}，{o.mobile}，{o.term_start:%Y-%m-%d}，{o.term_end:%Y-%m-%d}"
        for o in org.officers.all()
    )
    form = OfficersForm(request.POST or None, initial={"lines": initial})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_officers(request.user, org, form.officers())
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, "已保存负责人")
            return redirect("chambers:org", pk=org.pk)
    return render(request, "chambers/org_officers.html", {"org": org, "form": form})


@login_required
def roster_import(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importing.import_roster(request.user, org, upload.name, upload.read())
        except PermissionDenied as exc:
            fail(request, exc)
        else:
            if result.ok:
                messages.success(request, f"导入成功：新增 {result.created} 家，更新 {result.updated} 家")
                return redirect("chambers:org", pk=org.pk)
    return render(request, "chambers/roster_import.html", {"org": org, "form": form, "result": result})


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    _require_any(request)
    response = HttpResponse(
        importing.template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''member-roster.xlsx"
    return response


@login_required
@require_POST
def org_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    try:
        services.revoke(
            request.user, org, reason=request.POST.get("reason", ""), expected_version=_version(request)
        )
    except (ValidationError, PermissionDenied) as exc:
        fail(request, exc)
    else:
        messages.success(request, "已撤销登记，证书已作废")
    return redirect("chambers:org", pk=org.pk)


# --- applications ----------------------------------------------------------------------------------------
@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    _require_any(request)
    qs = Application.objects.visible_to(request.user).select_related("organisation")
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status in AppStatus.values:
        qs = qs.filter(status=status)
    if kind in AppKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    queries.with_lights(list(page.object_list))
    return render(
        request,
        "chambers/application_list.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": AppStatus.choices,
            "kinds": AppKind.choices,
        },
    )


@login_required
def application_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    org = _org(request, pk)
    if kind not in AppKind.values:
        raise Http404
    current = list(org.officers.order_by("pk"))
    if request.method == "POST":
        proposed = {f: request.POST[f] for f in rules.CHANGEABLE_FIELDS if request.POST.get(f, "") != ""}
        if kind == AppKind.CHANGE and "premises_owned" in request.POST:
            proposed["premises_owned"] = request.POST["premises_owned"]
        ops = officer_changes(request.POST, current) if kind == AppKind.CHANGE else []
        try:
            app = services.start_application(
                request.user,
                org,
                kind,
                proposed=proposed,
                reason=request.POST.get("reason", ""),
                officers=ops,
            )
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            return redirect("chambers:application", pk=app.pk)
    fields = [
        (f, getattr(Organisation._meta.get_field(f), "verbose_name", f), getattr(org, f))
        for f in rules.CHANGEABLE_FIELDS
    ]
    context = {"org": org, "kind": AppKind(kind), "fields": fields, "officers": current}
    context["new_rows"] = range(1, NEW_OFFICER_ROWS + 1)
    return render(request, "chambers/application_new.html", context)


def _application(request: HttpRequest, pk: int) -> Application:
    _require_any(request)
    return get_object_or_404(
        Application.objects.visible_to(request.user).select_related("organisation__area", "decided_by"), pk=pk
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    user: Any = request.user
    present = {m.item: m for m in app.materials.all()}
    items = [
        (code, label, present.get(code))
        for code, label in rules.required_materials(app.organisation.kind, app.kind)
    ]
    queries.with_lights([app])
    context = {
        "app": app,
        "org": app.organisation,
        "items": items,
        "is_org": _is_org(request),
        "can_review": user.can("chambers.review") and not _is_org(request),
        "upload_form": UploadForm(items=[(c, lbl) for c, lbl, _m in items]),
        "changes": services.change_rows(app) if app.kind == AppKind.CHANGE else [],
        "events": list(app.events.select_related("actor").order_by("at", "pk")),
        "errors": list(app.errors.all()),
        "problems": services.registration_problems(app.organisation)
        if app.kind == AppKind.REGISTRATION and app.is_open
        else officers.conflicts(app.organisation, app.proposed.get(officers.KEY, []))
        if app.kind == AppKind.CHANGE and app.is_open
        else [],
    }
    return render(request, "chambers/application_detail.html", context)


@login_required
@require_POST
def application_upload(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    form = UploadForm(
        request.POST, request.FILES, items=rules.required_materials(app.organisation.kind, app.kind)
    )
    if not form.is_valid():
        messages.error(request, "请选择材料项目和文件")
    else:
        try:
            services.upload_material(
                request.user, app, item=form.cleaned_data["item"], file=form.cleaned_data["file"]
            )
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, "材料已上传")
    return redirect("chambers:application", pk=app.pk)


ACTIONS = {"submit", "withdraw", "approve", "return", "refuse", "error"}


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    app = _application(request, pk)
    if action not in ACTIONS:
        raise Http404
    post = request.POST
    try:
        if action == "submit":
            services.submit_application(request.user, app, expected_version=_version(request))
            messages.success(request, "已提交，请等待审核")
        elif action == "withdraw":
            services.withdraw_application(request.user, app, expected_version=_version(request))
            messages.success(request, "已撤回")
        elif action == "approve":
            services.approve_application(
                request.user,
                app,
                expected_version=_version(request),
                comment=post.get("comment", ""),
                registration_number=post.get("registration_number", ""),
            )
            messages.success(request, "已核准")
        elif action == "return":
            comments = {k[len("comment_") :]: str(v) for k, v in post.items() if k.startswith("comment_")}
            services.return_application(
                request.user,
                app,
                expected_version=_version(request),
                comments=comments,
                general=post.get("general", ""),
            )
            messages.success(request, "已退回补正")
        elif action == "refuse":
            services.refuse_application(
                request.user, app, expected_version=_version(request), reason=post.get("reason", "")
            )
            messages.success(request, "已作出不予核准决定")
        else:
            services.record_error(request.user, app, description=post.get("description", ""))
            messages.success(request, "已登记差错")
    except (ValidationError, PermissionDenied) as exc:
        fail(request, exc)
    return redirect("chambers:application", pk=app.pk)


@login_required
def material_file(request: HttpRequest, pk: int) -> FileResponse:
    _require_any(request)
    row = get_object_or_404(Material.objects.visible_to(request.user), pk=pk)
    return FileResponse(
        row.file.open("rb"), as_attachment=True, filename=uploads.safe_name(row.original_name)
    )


# --- certificates ------------------------------------------------------------------------------------------
def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
@reauth_required("下载登记证书")
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request)
    cert = get_object_or_404(
        Certificate.objects.visible_to(request.user).select_related("organisation__area"), pk=pk
    )
    if _is_org(request) and cert.status != CertStatus.VALID:
        raise Http404
    try:
        data = certificates.print_certificates(request.user, [cert], base_url=request.build_absolute_uri("/"))
    except PermissionDenied as exc:
        fail(request, exc)
        return redirect("chambers:org", pk=cert.organisation_id)
    return _pdf(data, f"certificate-{cert.serial}.pdf")


@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.view")
    year = _year(request)
    qs = Certificate.objects.visible_to(request.user).filter(year=year).select_related("organisation")
    status = request.GET.get("status", "")
    if status in CertStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "chambers/certificate_list.html",
        {"page": page, "year": year, "status": status, "statuses": CertStatus.choices},
    )


@login_required
@require_POST
@reauth_required("批量打印登记证书")
def certificate_batch(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.manage")
    year = _year(request, request.POST)
    status = request.POST.get("status", CertStatus.VALID)
    qs = Certificate.objects.visible_to(request.user).filter(year=year).select_related("organisation__area")
    if status in CertStatus.values:
        qs = qs.filter(status=status)
    certs = list(qs.order_by("seq"))
    if not certs:
        messages.error(request, f"{year}年没有可打印的证书")
        return redirect(reverse("chambers:certificates") + f"?year={year}")
    data = certificates.print_certificates(
        request.user, certs, base_url=request.build_absolute_uri("/"), batch=True
    )
    return _pdf(data, f"certificates-{year}.pdf")


def _year(request: HttpRequest, data: Any = None) -> int:
    raw = (data or request.GET).get("year", "")
    try:
        year = int(raw)
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


# --- the public verification page --------------------------------------------------------------------------
def _client_ip(request: HttpRequest) -> str:
    return request_context().ip or request.META.get("REMOTE_ADDR", "") or "unknown"


def _throttled(request: HttpRequest) -> HttpResponse | None:
    decision, _generation = verification.check(_client_ip(request))
    return None if decision.allowed else ratelimit.too_many(decision, request)


def _verify_page(request: HttpRequest, serial: str, looked_up: bool) -> bytes:
    result = certificates.public_status(serial) if looked_up else None
    context = {"serial": serial, "result": result, "looked_up": looked_up}
    return render_to_string("chambers/verify.html", context).encode()


def verify(request: HttpRequest, serial: str = "") -> HttpResponse:
    """No login. Shows only the certificate number, the organisation's name, kind, status and dates.
    One cache round trip (rate limit + generation) and, most of the time, this worker's rendered page."""
    serial = (serial or request.GET.get("serial", "")).strip()[:20]
    if serial:
        decision, generation = verification.check(_client_ip(request))
        if not decision.allowed:
            return ratelimit.too_many(decision, request)
        body = verification.page(serial, generation, lambda: _verify_page(request, serial, True))
    else:  # the empty form counts against the platform's anon:ip limit only
        refused = ratelimit.check("anon:ip", _client_ip(request))
        if refused is not None:
            return ratelimit.too_many(refused, request)
        body = _verify_page(request, "", False)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response
