"""Pages: the leaders' dashboard (领导驾驶舱) with drill-down, top terms, repeated problems, possible
duplicates (HTMX panel + merge), and the monthly reports."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qinqing.accounts.reauth import reauth_required
from qinqing.analysis import queries, services
from qinqing.analysis.forms import MonthForm, parse_period
from qinqing.analysis.models import AnalysisReport
from qinqing.analysis.similarity import find_similar
from qinqing.core.permissions import require_capability
from qinqing.demands.models import Demand
from qinqing.orgs.models import Tier

PAGE_SIZE = 20
LEVEL_TITLES = {Tier.REGION: "自治区级", Tier.PREFECTURE: "州级", Tier.COUNTY: "县级", Tier.TOWNSHIP: "乡级"}


def _period_query(unit: Any, start: Any, end: Any) -> str:
    return urlencode({"unit": unit.pk, "start": start.isoformat(), "end": end.isoformat()})


def chart_data(board: queries.Dashboard) -> dict[str, Any]:
    trend = board.stats.trend
    return {
        "months": [m for m, _ in trend],
        "submitted": [v["submitted"] for _, v in trend],
        "closed": [v["closed"] for _, v in trend],
        "close_rate": [v["close_rate"] for _, v in trend],
        "satisfaction": [v["satisfaction_rate"] for _, v in trend],
        "on_time": [v["on_time_close_rate"] for _, v in trend],
        "categories": [{"name": s.label, "value": s.count, "key": s.key} for s in board.categories],
        "industries": [{"name": s.label, "value": s.count, "key": s.key} for s in board.industries],
        "scales": [{"name": s.label, "value": s.count, "key": s.key} for s in board.scales],
        "ownerships": [{"name": s.label, "value": s.count, "key": s.key} for s in board.ownerships],
        "channels": [{"name": s.label, "value": s.count, "key": s.key} for s in board.channels],
        "ranking": [
            {
                "name": u.display_name,
                "key": str(u.pk),
                "value": m["on_time_close_rate"],
                "submitted": m["submitted"],
            }
            for u, m in board.stats.ranking
        ],
        "terms": [{"name": t.term, "value": t.count} for t in board.terms],
        "visits": {
            "months": [m for m, _ in board.visits_by_month],
            "values": [n for _, n in board.visits_by_month],
        },
    }


@login_required
@require_capability("analysis.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, unit, start, end = parse_period(request.GET, user)
    context: dict[str, Any] = {"form": form}
    if unit is not None and start is not None and end is not None:
        board = queries.dashboard(user, unit, start, end)
        context |= {
            "board": board,
            "level_title": LEVEL_TITLES.get(Tier(unit.tier), ""),
            "chart": chart_data(board),
            "query": _period_query(unit, start, end),
            "drill": reverse("analysis:drill"),
        }
    return render(request, "analysis/dashboard.html", context)


@login_required
@require_capability("analysis.view")
def drill(request: HttpRequest) -> HttpResponse:
    """The list behind a chart: ?dimension=&key= plus the dashboard's unit and period."""
    user: Any = request.user
    form, unit, start, end = parse_period(request.GET, user)
    dimension, key = request.GET.get("dimension", ""), request.GET.get("key", "")
    rows: QuerySet[Demand] = Demand.objects.none()
    if unit is not None and start is not None and end is not None:
        rows = queries.drill_down(user, unit, start, end, dimension, key)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    label = queries.DIMENSION_LABELS.get(
        dimension, {"overdue": "超期", "term": "热词", "all": "全部"}.get(dimension, dimension)
    )
    return render(
        request,
        "analysis/drill.html",
        {
            "form": form,
            "page_obj": page,
            "label": label,
            "key": key,
            "dimension": dimension,
            "querystring_no_page": params.urlencode(),
            "back": f"{reverse('analysis:dashboard')}?{_period_query(unit, start, end)}"
            if unit and start and end
            else "",
        },
    )


@login_required
@require_capability("analysis.view")
def terms(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, unit, start, end = parse_period(request.GET, user)
    context: dict[str, Any] = {"form": form}
    if unit is not None and start is not None and end is not None:
        context |= {
            "overall": queries.top_terms(user, unit, start, end, limit=30),
            "by_category": queries.top_terms_by_category(user, unit, start, end),
            "query": _period_query(unit, start, end),
        }
    return render(request, "analysis/terms.html", context)


@login_required
@require_capability("analysis.view")
def repeated(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, unit, start, end = parse_period(request.GET, user)
    context: dict[str, Any] = {"form": form}
    if unit is not None and start is not None and end is not None:
        page = Paginator(queries.repeated_problems(user, unit, start, end), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        params = request.GET.copy()
        params.pop("page", None)
        context |= {
            "page_obj": page,
            "many_open": queries.enterprises_with_open_demands(user, unit),
            "querystring_no_page": params.urlencode(),
        }
    return render(request, "analysis/repeated.html", context)


@login_required
@require_capability("analysis.view")
def similar(request: HttpRequest, pk: int) -> HttpResponse:
    """Possible duplicates of a demand (an HTMX panel on the demand page, or a page of its own)."""
    user: Any = request.user
    demand = get_object_or_404(Demand.objects.visible_to(user), pk=pk)
    found = find_similar(demand, user)
    template = "analysis/_similar.html" if request.headers.get("HX-Request") else "analysis/similar.html"
    return render(
        request,
        template,
        {
            "demand": demand,
            "found": [(d, round(s * 100)) for d, s in found],
            "can_merge": user.can("analysis.merge"),
        },
    )


@login_required
@require_POST
@require_capability("analysis.merge")
def merge(request: HttpRequest, pk: int, original: int) -> HttpResponse:
    try:
        link = services.merge_duplicate(request.user, pk, original)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("analysis:similar", pk=pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "无权执行此操作")
        return redirect("analysis:similar", pk=pk)
    messages.success(request, f"已将诉求 {link.demand.number} 合并为 {link.original.number} 的重复诉求")
    return redirect("demands:detail", pk=pk)


@login_required
@require_capability("analysis.view")
def reports(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = MonthForm(request.POST or None, user=user)
    if request.method == "POST":
        if not user.can("analysis.report"):
            raise PermissionDenied("无权生成月报")
        if form.is_valid():
            try:
                row = services.generate_report(user, form.cleaned_data["unit"], form.cleaned_data["month"])
            except ValidationError as exc:
                form.add_error(None, "；".join(exc.messages))
            else:
                messages.success(request, f"已生成：{row}")
                return redirect("analysis:reports")
    rows = AnalysisReport.objects.visible_to(user).select_related("unit").order_by("-month", "unit__path")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "analysis/reports.html",
        {
            "form": form,
            "page_obj": page,
            "querystring_no_page": "",
            "can_generate": user.can("analysis.report"),
        },
    )


@login_required
@require_capability("analysis.view")
@reauth_required("下载分析报告")
def report_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    row = get_object_or_404(AnalysisReport.objects.visible_to(request.user).select_related("unit"), pk=pk)
    if fmt not in ("pdf", "docx"):
        raise Http404("没有该格式")
    f = row.pdf if fmt == "pdf" else row.docx
    ctype = (
        "application/pdf"
        if fmt == "pdf"
        else ("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    )
    response = FileResponse(f.open("rb"), content_type=ctype)
    name = f"{row.unit.name}{row.month:%Y年%m月}营商环境诉求分析月报.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def chart_json(board: queries.Dashboard) -> str:
    return json.dumps(chart_data(board), ensure_ascii=False)
