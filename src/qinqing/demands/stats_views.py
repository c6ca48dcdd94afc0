"""The statistics page, its Excel export and the API endpoint /api/v1/demand-stats/."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.accounts.reauth import reauth_required
from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction
from qinqing.core.api import ErrorSerializer
from qinqing.core.permissions import require
from qinqing.demands.stats import METRIC_LABELS, StatsResult, compute
from qinqing.orgs.models import Unit


class StatsForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="单位（含下级）", required=False)
    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = Unit.objects.active().subtree(user.scope_unit).order_by("path")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        data["unit"] = data.get("unit") or self.user.scope_unit
        data["start"] = data.get("start") or today.replace(month=1, day=1)
        data["end"] = data.get("end") or today
        if data["end"] < data["start"]:
            raise forms.ValidationError("结束日期不能早于开始日期")
        if (data["end"] - data["start"]).days > 366 * 5:
            raise forms.ValidationError("统计区间不能超过五年")
        return data


def _result(request: HttpRequest) -> tuple[StatsForm, StatsResult | None]:
    user: Any = request.user
    require(user, "demands.stats")
    form = StatsForm(request.GET or None, user=user)
    if not request.GET:
        form = StatsForm({}, user=user)
    if not form.is_valid():
        return form, None
    c = form.cleaned_data
    return form, compute(user, c["unit"], c["start"], c["end"])


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    form, result = _result(request)
    chart: dict[str, Any] = {}
    if result is not None:
        chart = {
            "months": [m for m, _ in result.trend],
            "submitted": [v["submitted"] for _, v in result.trend],
            "closed": [v["closed"] for _, v in result.trend],
            "satisfaction": [v["satisfaction_rate"] for _, v in result.trend],
            "types": [{"name": k, "value": v["submitted"]} for k, v in result.by_type],
            "rank_units": [u.display_name for u, _ in result.ranking],
            "rank_values": [v["on_time_close_rate"] for _, v in result.ranking],
        }
    # Values in column order, so that the template does not search each row's dict per column.
    keys = [k for k, _ in METRIC_LABELS]
    tables: dict[str, list[tuple[Any, list[Any]]]] = {}
    totals: list[tuple[str, str, Any]] = []
    if result is not None:
        totals = [(k, label, result.total[k]) for k, label in METRIC_LABELS]
        for name, rows in (
            ("by_type", result.by_type),
            ("by_category", result.by_category),
            ("trend", result.trend),
            ("ranking", result.ranking),
        ):
            tables[name] = [(label, [values[k] for k in keys]) for label, values in rows]
    return render(
        request,
        "demands/stats.html",
        {
            "form": form,
            "result": result,
            "totals": totals,
            "tables": tables,
            "labels": METRIC_LABELS,
            "chart_json": chart,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@reauth_required("导出诉求统计")
def stats_export(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    from qinqing.core.spreadsheets import workbook_bytes

    form, result = _result(request)
    if result is None:
        return HttpResponse("；".join(str(e) for es in form.errors.values() for e in es), status=400)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["单位", result.unit.name, "区间", f"{result.start}至{result.end}"])
    for key, label in METRIC_LABELS:
        ws.append([label, result.total[key]])
    for title, rows in (
        ("按类型", result.by_type),
        ("按分类", result.by_category),
        ("月度趋势", result.trend),
    ):
        sheet = wb.create_sheet(title)
        sheet.append([title[1:], *[label for _, label in METRIC_LABELS]])
        for name, values in rows:
            sheet.append([name, *[values[k] for k, _ in METRIC_LABELS]])
    sheet = wb.create_sheet("单位排名")
    sheet.append(["名次", "单位", *[label for _, label in METRIC_LABELS]])
    for i, (unit, values) in enumerate(result.ranking, start=1):
        sheet.append([i, unit.name, *[values[k] for k, _ in METRIC_LABELS]])
    content = workbook_bytes(wb)
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        object_type="demands.stats",
        detail=f"导出诉求统计：{result.unit.name} {result.start}至{result.end}",
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename=demand-stats-{result.start}-{result.end}.xlsx"
    return response


class DemandStatsView(APIView):
    """Demand statistics of a unit (with descendants) for a period; formulas in docs/metrics.md."""

    @extend_schema(
        tags=["demands"],
        summary="诉求统计",
        parameters=[
            OpenApiParameter("unit", int, description="单位 id（默认本人数据范围）"),
            OpenApiParameter("start", dt.date, description="开始日期（默认当年1月1日）"),
            OpenApiParameter("end", dt.date, description="结束日期（默认今天）"),
        ],
        responses={
            200: OpenApiResponse(description="total、by_type、by_category、trend、ranking"),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        if not user.can("demands.stats"):
            raise exceptions.PermissionDenied("无权查看诉求统计")
        form = StatsForm(request.query_params, user=user)
        if not form.is_valid():
            raise exceptions.ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        c = form.cleaned_data
        return Response(compute(user, c["unit"], c["start"], c["end"]).as_json())
