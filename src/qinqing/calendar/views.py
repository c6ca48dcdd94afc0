"""Administrator's pages for the working-day calendar (capability calendar.manage)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.calendar import queries, services
from qinqing.calendar.forms import DayForm, YearForm
from qinqing.calendar.models import CalendarDay, CalendarYear, DayKind
from qinqing.core.permissions import require_capability


@require_GET
@login_required
@require_capability("calendar.manage")
def years(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = queries.year_rows(today)
    return render(
        request,
        "calendar/years.html",
        {
            "rows": rows,
            "warnings": queries.missing_warnings(rows, today),
            "year_form": YearForm(initial={"year": today.year + 1}),
        },
    )


def _year_page(
    request: HttpRequest, year: int, *, day_form: DayForm | None = None, year_form: YearForm | None = None
) -> HttpResponse:
    if not services.MIN_YEAR <= year <= services.MAX_YEAR:
        raise Http404("年份超出范围")
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    entry = CalendarYear.objects.filter(year=year).first()
    status = 200 if day_form is None and year_form is None else 400
    return render(
        request,
        "calendar/year.html",
        {
            "year": year,
            "entry": entry,
            "holidays": [d for d in days if d.kind == DayKind.HOLIDAY],
            "workdays": [d for d in days if d.kind == DayKind.WORKDAY],
            "day_form": day_form or DayForm(),
            "year_form": year_form
            or YearForm(initial={"year": year, "notice": entry.notice if entry else ""}),
        },
        status=status,
    )


@require_GET
@login_required
@require_capability("calendar.manage")
def year_detail(request: HttpRequest, year: int) -> HttpResponse:
    return _year_page(request, year)


@require_POST
@login_required
@require_capability("calendar.manage")
def day_add(request: HttpRequest, year: int) -> HttpResponse:
    form = DayForm(request.POST)
    if form.is_valid():
        try:
            day = services.add_day(request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已添加 {day.date:%Y-%m-%d} {day.get_kind_display()}")
            return redirect("calendar:year", year=day.date.year)
    return _year_page(request, year, day_form=form)


@require_http_methods(["GET", "POST"])
@login_required
@require_capability("calendar.manage")
def day_edit(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_object_or_404(CalendarDay, pk=pk)
    if request.method == "POST":
        form = DayForm(request.POST)
        if form.is_valid():
            try:
                day = services.update_day(request.user, day, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已保存 {day.date:%Y-%m-%d} {day.get_kind_display()}")
                return redirect("calendar:year", year=day.date.year)
    else:
        form = DayForm(initial={"date": day.date, "kind": day.kind, "name": day.name})
    return render(
        request, "calendar/day_form.html", {"day": day, "form": form}, status=400 if form.errors else 200
    )


@require_POST
@login_required
@require_capability("calendar.manage")
def day_delete(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_object_or_404(CalendarDay, pk=pk)
    year, label = day.date.year, f"{day.date:%Y-%m-%d} {day.get_kind_display()}"
    services.delete_day(request.user, day)
    messages.success(request, f"已删除 {label}")
    return redirect("calendar:year", year=year)


@require_POST
@login_required
@require_capability("calendar.manage")
def year_mark(request: HttpRequest) -> HttpResponse:
    form = YearForm(request.POST)
    if form.is_valid():
        try:
            row = services.mark_year_entered(request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{row.year} 年节假日安排已标记为录入完成")
            return redirect("calendar:year", year=row.year)
    year = form.cleaned_data.get("year")
    if year is None:
        today = timezone.localdate()
        rows = queries.year_rows(today)
        return render(
            request,
            "calendar/years.html",
            {"rows": rows, "warnings": queries.missing_warnings(rows, today), "year_form": form},
            status=400,
        )
    return _year_page(request, year, year_form=form)
