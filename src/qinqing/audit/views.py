"""The audit log for 审计管理员 (audit.view). Reading the log is not itself audited (no loops)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qinqing.audit import queries
from qinqing.audit.filters import AuditEventFilter
from qinqing.audit.models import AuditEvent
from qinqing.core.permissions import require_capability

PAGE_SIZE = 50


@require_GET
@login_required
@require_capability("audit.view")
def event_list(request: HttpRequest) -> HttpResponse:
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.visible_to(request.user))
    events = filterset.qs if filterset.is_valid() else AuditEvent.objects.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "events": page.object_list,
            "querystring_no_page": params.urlencode(),
            "object_types": queries.object_types(),
        },
        status=200 if filterset.is_valid() else 400,
    )


@require_GET
@login_required
@require_capability("audit.view")
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AuditEvent.objects.visible_to(request.user), pk=pk)
    return render(request, "audit/detail.html", {"event": event, "changes": queries.change_rows(event)})
