"""Operations: /healthz, /readyz, /metrics (Prometheus), the incident log and maintenance requests."""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from qinqing.core.metrics import Period
from qinqing.core.middleware import client_ip
from qinqing.core.permissions import require_capability
from qinqing.kpi import health, ops, services
from qinqing.kpi.forms import IncidentForm, RequestForm
from qinqing.kpi.models import Incident, MaintenanceRequest, System

OPS = "ops.manage"


# --- health and metrics endpoints -----------------------------------------------------------------
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database, cache or queue is touched)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: database, cache and queue; 503 when any of them fails."""
    checks = health.readiness()
    ok = all(c.ok for c in checks)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=200 if ok else 503)


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = os.environ.get("QINQING_METRICS_ALLOW", "127.0.0.1/32,::1/128")
    nets = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                continue
    return nets


def metrics_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to QINQING_METRICS_TOKEN, or a client address in QINQING_METRICS_ALLOW."""
    token = os.environ.get("QINQING_METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    ip = getattr(request, "client_ip", None) or client_ip(request)
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in net for net in _allowed_networks())


@never_cache
def prometheus(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return JsonResponse({"code": "forbidden", "detail": "仅限监控主机访问", "fields": {}}, status=403)
    from qinqing.kpi.prom import AVAILABLE, exposition

    if not AVAILABLE:  # pragma: no cover
        return JsonResponse(
            {"code": "unavailable", "detail": "未安装 prometheus_client", "fields": {}}, status=503
        )
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


# --- incident log and maintenance requests ---------------------------------------------------------
def _period(request: HttpRequest) -> Period:
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = dt.date(today.year, 1, 1)
    try:
        end = dt.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    return Period(start, max(start, end))


def _figures(period: Period) -> list[dict[str, Any]]:
    return [
        {
            "system": label,
            "fault_rate": ops.fault_rate(value, period),
            "repair_hours": ops.repair_hours(value, period),
            "response_hours": ops.response_hours(value, period),
        }
        for value, label in System.choices
    ]


@login_required
@require_capability(OPS)
def incidents(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    lo, hi = ops.bounds(period)
    rows = (
        Incident.objects.filter(started_at__lt=hi)
        .exclude(ended_at__lt=lo)
        .select_related("recorded_by")[:500]
    )
    return render(
        request,
        "kpi/incidents.html",
        {"rows": rows, "period": period, "figures": _figures(period), "form": IncidentForm()},
    )


@login_required
@require_capability(OPS)
def incident_new(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.record_incident(request.user, **values)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已登记故障")
            return redirect("kpi:incidents")
    return render(request, "kpi/ops_form.html", {"form": form, "title": "登记故障"})


@login_required
@require_capability(OPS)
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    form = IncidentForm(
        request.POST or None, instance=Incident.objects.get(pk=pk), initial={"version": incident.version}
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.update_incident(
                request.user, incident, expected_version=form.cleaned_data["version"] or 0, values=values
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存故障记录")
            return redirect("kpi:incidents")
    return render(request, "kpi/ops_form.html", {"form": form, "title": "故障记录"})


@login_required
@require_capability(OPS)
def requests(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    lo, hi = ops.bounds(period)
    rows = MaintenanceRequest.objects.filter(raised_at__gte=lo, raised_at__lt=hi)[:500]
    return render(request, "kpi/requests.html", {"rows": rows, "period": period, "figures": _figures(period)})


@login_required
@require_capability(OPS)
def request_new(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.record_request(request.user, **values)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已登记运维请求")
            return redirect("kpi:requests")
    return render(request, "kpi/ops_form.html", {"form": form, "title": "登记运维请求"})


@login_required
@require_capability(OPS)
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(MaintenanceRequest, pk=pk)
    form = RequestForm(
        request.POST or None, instance=MaintenanceRequest.objects.get(pk=pk), initial={"version": req.version}
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.update_request(
                request.user, req, expected_version=form.cleaned_data["version"] or 0, values=values
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存运维请求")
            return redirect("kpi:requests")
    return render(request, "kpi/ops_form.html", {"form": form, "title": "运维请求"})
