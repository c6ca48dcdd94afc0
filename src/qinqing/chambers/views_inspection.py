"""Pages of the annual inspection, the bureau's figures against its targets, complaints and settings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from qinqing.chambers import inspections, queries, rules, services
from qinqing.chambers.forms import CampaignForm, ComplaintForm, ReportForm, SettingsForm, TargetForm
from qinqing.chambers.models import (
    AnnualReport,
    Campaign,
    Complaint,
    ReviewSettings,
    YearTarget,
    account_org_id,
)
from qinqing.chambers.views import PAGE_SIZE, _require_any, _version, _year, fail
from qinqing.core.permissions import require
from qinqing.orgs.models import Unit


def _can(request: HttpRequest, capability: str) -> bool:
    user: Any = request.user
    return bool(user.can(capability))


def _scope_unit(request: HttpRequest) -> Unit:
    unit = getattr(request.user, "scope_unit", None)
    if unit is None:
        raise PermissionDenied("无权访问")
    return unit


# --- campaigns -------------------------------------------------------------------------------------------
@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.view")
    areas = services.area_choices(request.user)
    form = CampaignForm(
        request.POST or None,
        areas=areas,
        initial={"year": timezone.localdate().year - 1, "area": _scope_unit(request).pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = inspections.open_campaign(request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, f"已开启{campaign.year}年度年检")
            return redirect("chambers:campaign", pk=campaign.pk)
    campaigns = list(
        Campaign.objects.visible_to(request.user).select_related("area").order_by("-year", "area__path")
    )
    return render(
        request,
        "chambers/campaign_list.html",
        {"campaigns": campaigns, "form": form, "can_manage": _can(request, "chambers.manage")},
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "chambers.view")
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user).select_related("area"), pk=pk)
    day = timezone.localdate()
    bucket, q = request.GET.get("bucket", ""), request.GET.get("q", "").strip()
    rows = queries.campaign_rows(campaign, request.user, bucket=bucket, q=q, day=day)
    counts = queries.progress(campaign, request.user, day)
    paginator = Paginator(rows, PAGE_SIZE)
    if not q:  # the progress counts already hold the number of rows: no second COUNT
        paginator.count = counts[bucket] if bucket in queries.PROGRESS_BUCKETS else counts["total"]
    page = paginator.get_page(request.GET.get("page"))
    report_url = reverse("chambers:report", args=[0])[: -len("0/")]
    status_labels = dict(rules.ReportStatus.choices)
    conclusion_labels = dict(rules.Conclusion.choices)
    past_deadline = day > campaign.deadline
    # plain rows: the page renders 50 of them with a handful of lookups each
    rows_out = [
        {
            "pk": r.pk,
            "url": f"{report_url}{r.pk}/",
            "name": r.organisation.name,
            "status": status_labels.get(r.status, r.status),
            "late": r.late,
            "overdue": past_deadline
            and r.status in (rules.ReportStatus.NOT_STARTED, rules.ReportStatus.RETURNED),
            "submitted": f"{timezone.localtime(r.submitted_at):%Y-%m-%d}" if r.submitted_at else "—",
            "conclusion": conclusion_labels.get(r.conclusion, "—"),
            "rectification": (
                "—"
                if r.rectification_due is None
                else "已提交"
                if r.rectification_submitted_at
                else f"{r.rectification_due:%Y-%m-%d} 前"
            ),
        }
        for r in page.object_list
    ]
    context = {
        "campaign": campaign,
        "counts": counts,
        "buckets": [(b, queries.BUCKET_LABELS[b], counts[b]) for b in queries.PROGRESS_BUCKETS],
        "bucket": bucket,
        "q": q,
        "page": page,
        "rows": rows_out,
        "today": day,
        "conclusions": rules.Conclusion.choices,
        "can_review": _can(request, "chambers.review"),
        "can_manage": _can(request, "chambers.manage"),
    }
    return render(request, "chambers/campaign_detail.html", context)


@login_required
@require_POST
def campaign_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "chambers.view")
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    ids = [int(x) for x in request.POST.getlist("report") if x.isdigit()]
    action = request.POST.get("action", "")
    try:
        if action == "remind":
            n = inspections.remind(request.user, campaign, ids or None)
            messages.success(request, f"已向 {n} 家未报送的组织发送催报提醒")
        elif action == "conclude":
            if not ids:
                raise ValidationError("请勾选要作出结论的组织")
            done, skipped = inspections.bulk_conclude(
                request.user,
                ids,
                conclusion=request.POST.get("conclusion", ""),
                comment=request.POST.get("comment", ""),
            )
            messages.success(request, f"已作出结论 {done} 家")
            if skipped:
                messages.warning(request, "未处理：" + "；".join(skipped[:20]))
        else:
            raise ValidationError("请选择批量操作")
    except (ValidationError, PermissionDenied) as exc:
        fail(request, exc)
    return redirect("chambers:campaign", pk=campaign.pk)


# --- annual reports --------------------------------------------------------------------------------------
def _report(request: HttpRequest, pk: int) -> AnnualReport:
    _require_any(request)
    return get_object_or_404(
        AnnualReport.objects.visible_to(request.user).select_related(
            "campaign", "organisation__area", "concluded_by"
        ),
        pk=pk,
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    is_org = account_org_id(request.user) is not None
    initial = {**report.sections, "declared": report.declared}
    initial.update({f: getattr(report, f) for f, _ in rules.FINANCE_FIELDS})
    form = ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and is_org:
        if form.is_valid():
            try:
                saved = inspections.save_report(
                    request.user, report, form.cleaned_data, expected_version=_version(request)
                )
                if request.POST.get("submit"):
                    inspections.submit_report(request.user, saved, expected_version=saved.version)
                    messages.success(request, "年度报告已报送")
                else:
                    messages.success(request, "已保存草稿")
            except (ValidationError, PermissionDenied) as exc:
                fail(request, exc)
            return redirect("chambers:report", pk=report.pk)
        messages.error(request, "请检查填写内容")
    context = {
        "report": report,
        "org": report.organisation,
        "form": form,
        "is_org": is_org,
        "editable": is_org and report.status in (rules.ReportStatus.NOT_STARTED, rules.ReportStatus.RETURNED),
        "sections": [(label, report.sections.get(key, "")) for key, label in rules.REPORT_SECTIONS],
        "overdue": report.is_overdue(timezone.localdate()),
        "conclusions": rules.Conclusion.choices,
        "can_review": _can(request, "chambers.review") and not is_org,
    }
    return render(request, "chambers/report_detail.html", context)


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    report = _report(request, pk)
    post = request.POST
    try:
        if action == "return":
            inspections.return_report(
                request.user, report, expected_version=_version(request), comment=post.get("comment", "")
            )
            messages.success(request, "已退回")
        elif action == "conclude":
            due = post.get("rectification_due", "")
            inspections.conclude(
                request.user,
                report,
                expected_version=_version(request),
                conclusion=post.get("conclusion", ""),
                comment=post.get("comment", ""),
                rectification_due=dt.date.fromisoformat(due) if due else None,
            )
            messages.success(request, "已作出年检结论")
        elif action == "rectify":
            inspections.submit_rectification(
                request.user, report, expected_version=_version(request), text=post.get("text", "")
            )
            messages.success(request, "整改报告已提交")
        else:
            raise Http404
    except ValueError:
        messages.error(request, "日期格式应为 YYYY-MM-DD")
    except (ValidationError, PermissionDenied) as exc:
        fail(request, exc)
    return redirect("chambers:report", pk=report.pk)


# --- figures, targets, complaints, settings -----------------------------------------------------------------
@login_required
def figures(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.view")
    unit = _scope_unit(request)
    year = _year(request)
    data = queries.figures(unit, year)
    chart = {
        "months": [f"{m}月" for m in range(1, 13)],
        "series": [{"name": label, "data": data["monthly"][key]} for key, label in queries.FIGURES],
    }
    rows = [(label, data["monthly"][key], data["totals"][key]) for key, label in queries.FIGURES]
    conclusions = [
        (
            code.label,
            data["monthly"][f"inspections_{code.value}"],
            data["totals"][f"inspections_{code.value}"],
        )
        for code in rules.Conclusion
    ]
    return render(
        request,
        "chambers/figures.html",
        {
            **data,
            "rows": rows,
            "conclusion_rows": conclusions,
            "target_rows": data["rows"],
            "chart": json.dumps(chart, ensure_ascii=False),
            "chart_data": chart,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 6, -1)),
            "months": range(1, 13),
            "can_manage": _can(request, "chambers.manage"),
        },
    )


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.manage")
    unit = _scope_unit(request)
    year = _year(request, request.POST if request.method == "POST" else None)
    instance = YearTarget.objects.filter(area=unit, year=year).first() or YearTarget(area=unit, year=year)
    form = TargetForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_targets(request.user, area=unit, year=year, values=form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, f"已保存{year}年度目标")
            return redirect(f"{request.path}?year={year}")
    existing = list(YearTarget.objects.visible_to(request.user).select_related("area").order_by("-year"))
    return render(
        request, "chambers/targets.html", {"form": form, "year": year, "unit": unit, "existing": existing}
    )


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.view")
    unit = _scope_unit(request)
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.log_complaint(request.user, area=unit, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, "已登记投诉")
            return redirect("chambers:complaints")
    rows = Complaint.objects.visible_to(request.user).select_related("area").order_by("-received_on", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "chambers/complaints.html", {"form": form, "page": page})


@login_required
def review_settings(request: HttpRequest) -> HttpResponse:
    require(request.user, "chambers.manage")
    form = SettingsForm(request.POST or None, instance=ReviewSettings.current())
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(request.user, form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            fail(request, exc)
        else:
            messages.success(request, "已保存审核时限")
            return redirect("chambers:settings")
    return render(request, "chambers/settings.html", {"form": form})
