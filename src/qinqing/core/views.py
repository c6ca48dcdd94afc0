from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from qinqing.core import queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"cards": queries.home_cards(request.user)})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL no route matches: the API's JSON error shape under /api/, the plain page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "未找到，或无权访问", "fields": {}}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON under /api/ (no traceback, no detail), the plain page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "detail": "服务器内部错误，请稍后重试", "fields": {}}, status=500
        )
    from django.views.defaults import server_error as default

    return default(request)
