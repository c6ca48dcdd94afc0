"""The bureau's figures (by month of a year) and the platform metrics' counts, over a unit subtree."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from qinqing.core.metrics import Period
from qinqing.orgs.models import Unit
from qinqing.portal.models import (
    SATISFIED_RATINGS,
    Edition,
    EditionError,
    Inquiry,
    Visit,
)

SIGNED_STAGES = ("signed", "started", "producing")
MATCH_PAGES = ("match", "api.match")


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def inquiries_in(unit: Unit, period: Period) -> Any:
    start, end = _bounds(period)
    return Inquiry.objects.filter(unit__path__startswith=unit.path, created_at__gte=start, created_at__lt=end)


def ontime_counts(unit: Unit, period: Period) -> tuple[int, int]:
    """(answered in time, due): inquiries received in the period whose answer was due by now or answered."""
    now = timezone.now()
    rows = inquiries_in(unit, period).filter(Q(answered_at__isnull=False) | Q(due_at__lt=now))
    agg = rows.aggregate(total=Count("id"), ontime=Count("id", filter=Q(answered_at__lte=F("due_at"))))
    return int(agg["ontime"]), int(agg["total"])


def printed(unit: Unit, period: Period) -> int:
    return int(
        Edition.objects.filter(
            unit__path__startswith=unit.path, printed_on__gte=period.start, printed_on__lte=period.end
        ).aggregate(n=Sum("print_run"))["n"]
        or 0
    )


def printing_errors(unit: Unit, period: Period) -> tuple[int, int]:
    """(copies affected by errors, copies printed) of the editions printed in the period."""
    editions = Edition.objects.filter(
        unit__path__startswith=unit.path, printed_on__gte=period.start, printed_on__lte=period.end
    )
    copies = int(editions.aggregate(n=Sum("print_run"))["n"] or 0)
    wrong = int(
        EditionError.objects.filter(edition__in=editions).aggregate(n=Sum("copies_affected"))["n"] or 0
    )
    return wrong, copies


def satisfaction(unit: Unit, period: Period) -> tuple[int, int]:
    start, end = _bounds(period)
    rows = Inquiry.objects.filter(
        unit__path__startswith=unit.path, rated_at__gte=start, rated_at__lt=end, rating__isnull=False
    )
    agg = rows.aggregate(total=Count("id"), good=Count("id", filter=Q(rating__in=SATISFIED_RATINGS)))
    return int(agg["good"]), int(agg["total"])


@dataclass
class Figures:
    year: int
    months: list[int] = field(default_factory=lambda: list(range(1, 13)))
    rows: dict[str, list[int]] = field(default_factory=dict)
    visits_by_page: dict[str, list[int]] = field(default_factory=dict)
    visits_by_source: dict[str, list[int]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(self.rows.get(key, []))


LABELS = {
    "received": "收到对接洽谈（项）",
    "answered": "已答复",
    "ontime": "按时答复",
    "leads": "转为项目线索",
    "signed": "线索已签约",
    "matching": "政策匹配使用（次）",
    "visits": "门户访问（次）",
    "printed": "出版物印制（册）",
    "errors": "印刷差错（册）",
}


def _by_month(qs: Any, date_field: str, value: Any = None) -> list[int]:
    out = [0] * 12
    rows = (
        qs.annotate(m=ExtractMonth(date_field))
        .values("m")
        .annotate(n=value or Count("id"))
        .values_list("m", "n")
    )
    for month, n in rows:
        out[int(month) - 1] = int(n or 0)
    return out


def figures(unit: Unit, year: int) -> Figures:
    fig = Figures(year)
    period = Period.year(year)
    start, end = _bounds(period)
    base = Inquiry.objects.filter(unit__path__startswith=unit.path)
    received = base.filter(created_at__gte=start, created_at__lt=end)
    fig.rows["received"] = _by_month(received, "created_at")
    fig.rows["answered"] = _by_month(received.filter(answered_at__isnull=False), "created_at")
    fig.rows["ontime"] = _by_month(received.filter(answered_at__lte=F("due_at")), "created_at")
    leads = base.filter(lead_at__gte=start, lead_at__lt=end)
    fig.rows["leads"] = _by_month(leads, "lead_at")
    fig.rows["signed"] = _by_month(leads.filter(lead_project__stage__in=SIGNED_STAGES), "lead_at")
    visits = Visit.objects.filter(day__year=year)
    fig.rows["matching"] = _by_month(visits.filter(page__in=MATCH_PAGES), "day", Sum("count"))
    fig.rows["visits"] = _by_month(visits, "day", Sum("count"))
    editions = Edition.objects.filter(unit__path__startswith=unit.path, printed_on__year=year)
    fig.rows["printed"] = _by_month(editions, "printed_on", Sum("print_run"))
    errors = EditionError.objects.filter(edition__unit__path__startswith=unit.path, found_on__year=year)
    fig.rows["errors"] = _by_month(errors, "found_on", Sum("copies_affected"))
    pages: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    sources: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for month, page, source, n in (
        visits.annotate(m=ExtractMonth("day"))
        .values("m", "page", "source")
        .annotate(n=Sum("count"))
        .values_list("m", "page", "source", "n")
    ):
        pages[page][int(month) - 1] += int(n)
        sources[source][int(month) - 1] += int(n)
    fig.visits_by_page = dict(sorted(pages.items()))
    fig.visits_by_source = dict(sorted(sources.items()))
    return fig
