"""Reads for the calendar pages: years with their counts, and the banner for years not entered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import ExtractYear

from qinqing.calendar.models import CalendarDay, CalendarYear, DayKind


@dataclass(frozen=True)
class YearRow:
    year: int
    entry: CalendarYear | None
    holidays: int
    workdays: int

    @property
    def entered(self) -> bool:
        return self.entry is not None


def year_rows(today: dt.date) -> list[YearRow]:
    """Every entered year, every year with typed-in days, and this year and next: newest first. 2 queries."""
    entries = {row.year: row for row in CalendarYear.objects.all()}
    counts: dict[int, dict[str, int]] = {}
    for row in (
        CalendarDay.objects.order_by()
        .annotate(year=ExtractYear("date"))
        .values("year", "kind")
        .annotate(n=Count("id"))
    ):
        counts.setdefault(row["year"], {})[row["kind"]] = row["n"]
    years = set(entries) | set(counts) | {today.year, today.year + 1}
    return [
        YearRow(
            year=y,
            entry=entries.get(y),
            holidays=counts.get(y, {}).get(DayKind.HOLIDAY, 0),
            workdays=counts.get(y, {}).get(DayKind.WORKDAY, 0),
        )
        for y in sorted(years, reverse=True)
    ]


def missing_warnings(rows: list[YearRow], today: dt.date) -> list[str]:
    """Banner lines for this year and next when their arrangement is not entered."""
    entered = {r.year for r in rows if r.entered}
    return [
        f"{y} 年节假日安排尚未录入，{y} 年的期限按周末计算，为临时结果"
        for y in (today.year, today.year + 1)
        if y not in entered
    ]
