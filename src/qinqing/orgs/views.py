from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qinqing.core.permissions import require_capability
from qinqing.orgs.models import Unit


@login_required
@require_capability("orgs.view")
def tree(request: HttpRequest) -> HttpResponse:
    units = list(Unit.objects.all().order_by("path"))
    return render(request, "orgs/tree.html", {"units": units})
