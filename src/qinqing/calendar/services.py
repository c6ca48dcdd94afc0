"""Working-day arithmetic (民法典 第201条、第203条) and the administrator's edits of the calendar.

Working days are Monday–Friday, minus official holidays, plus official adjusted workdays (调休上班日).
A year counts as *entered* when it has a ``CalendarYear`` row. In a year that is not entered the
official arrangement is unknown: computations use weekends only for that year (any ``CalendarDay``
rows already typed in for it are ignored until the year is marked entered, so a half-entered year
never produces a mixed result), flag the result ``provisional=True`` and log a warning once per
process and year. They never fail for lack of data.

Reading API (used by demands, investment, reports):
    is_working_day(d) -> bool
    add_working_days(start, n) -> WorkdayResult(date, provisional)
    working_days_between(a, b) -> CountResult(days, provisional)
    deadline_end(start, n) -> DeadlineResult(at, provisional)
    years_missing(years) -> list[int]

Cache: the whole table is small (about 35 rows a year), so each process keeps one immutable snapshot
of the holiday and workday sets and of the entered years, loaded with two queries. Counting days
then costs no query at all. An edit in this process (service, admin site or shell: model signals)
drops the snapshot at once and again when its transaction commits. Other worker processes (gunicorn,
Celery) cannot be told cheaply, so every process reloads its snapshot when it is older than
``CACHE_TTL_SECONDS`` (60 s): a holiday edit is rare, announced weeks ahead, and a minute's delay
before every process counts with it is acceptable.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction
from qinqing.calendar.models import CalendarDay, CalendarYear, DayKind, Source
from qinqing.core.permissions import require

logger = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Shanghai")
CACHE_TTL_SECONDS = 60.0
# Years an administrator may enter (the package covers 2004–2026).
MIN_YEAR = 2004
MAX_YEAR = 2100


# --- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkdayResult:
    date: dt.date
    provisional: bool


@dataclass(frozen=True)
class CountResult:
    days: int
    provisional: bool


@dataclass(frozen=True)
class DeadlineResult:
    at: dt.datetime
    provisional: bool


# --- the per-process snapshot ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Snapshot:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]
    loaded_at: float

    def is_working_day(self, d: dt.date) -> bool:
        if d.year not in self.years:
            return d.weekday() < 5
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


_snapshot: _Snapshot | None = None
_lock = threading.Lock()
_warned_years: set[int] = set()


def _load() -> _Snapshot:
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for day, kind in CalendarDay.objects.order_by().values_list("date", "kind"):
        (workdays if kind == DayKind.WORKDAY else holidays).add(day)
    return _Snapshot(frozenset(holidays), frozenset(workdays), years, time.monotonic())


def _current() -> _Snapshot:
    global _snapshot
    snap = _snapshot
    if snap is not None and time.monotonic() - snap.loaded_at < CACHE_TTL_SECONDS:
        return snap
    with _lock:
        snap = _snapshot
        if snap is None or time.monotonic() - snap.loaded_at >= CACHE_TTL_SECONDS:
            snap = _snapshot = _load()
    return snap


def invalidate() -> None:
    """Drop this process's snapshot; the next computation reloads it. Called on every edit."""
    global _snapshot
    _snapshot = None


def invalidate_now_and_on_commit() -> None:
    invalidate()
    transaction.on_commit(invalidate)


def _flag(snap: _Snapshot, years: Iterable[int]) -> bool:
    """Whether any of YEARS is not entered; warns once per process and year."""
    missing = sorted({y for y in years if y not in snap.years})
    for year in missing:
        if year not in _warned_years:
            _warned_years.add(year)
            logger.warning(
                "no official holiday arrangement for %s: counting weekends only, results are provisional",
                year,
            )
    return bool(missing)


# --- reading API ---------------------------------------------------------------------------------
def is_working_day(d: dt.date) -> bool:
    """Whether D is a working day (weekends only, and a warning, in a year not entered)."""
    snap = _current()
    _flag(snap, [d.year])
    return snap.is_working_day(d)


def add_working_days(start: dt.date, n: int) -> WorkdayResult:
    """The N-th working day strictly after START (START itself never counts, 民法典 第201条).

    A START on a rest day counts from the next working day. N = 0 returns START; N < 0 is the
    mirror image: the |N|-th working day strictly before START.
    """
    if n == 0:
        return WorkdayResult(start, False)
    snap = _current()
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    day = start
    years: set[int] = set()
    while remaining:
        day += step
        years.add(day.year)
        if snap.is_working_day(day):
            remaining -= 1
    return WorkdayResult(day, _flag(snap, years))


def working_days_between(a: dt.date, b: dt.date) -> CountResult:
    """Working days in (A, B] when B ≥ A; minus the working days in [B, A) when B < A.

    The backward case is the mirror image of the forward one, so that for every A and N
    ``working_days_between(a, add_working_days(a, n).date).days == n``.
    """
    if a == b:
        return CountResult(0, False)
    snap = _current()
    if b > a:
        first, last, sign = a + dt.timedelta(days=1), b, 1
    else:
        first, last, sign = b, a - dt.timedelta(days=1), -1
    count = 0
    day = first
    one = dt.timedelta(days=1)
    while day <= last:
        if snap.is_working_day(day):
            count += 1
        day += one
    return CountResult(sign * count, _flag(snap, range(first.year, last.year + 1)))


def deadline_end(start: dt.datetime, n: int) -> DeadlineResult:
    """The end (23:59:59.999999 Asia/Shanghai) of the N-th working day after START's local date."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("deadline_end needs a timezone-aware datetime")
    result = add_working_days(start.astimezone(TZ).date(), n)
    return DeadlineResult(dt.datetime.combine(result.date, dt.time.max, tzinfo=TZ), result.provisional)


def years_missing(years: Iterable[int]) -> list[int]:
    """Those of YEARS (sorted, without repeats) whose official arrangement is not entered."""
    snap = _current()
    return sorted({y for y in years if y not in snap.years})


# --- administrator's edits (capability calendar.manage) --------------------------------------------
def _check_year(year: int, field: str = "year") -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({field: f"年份应在 {MIN_YEAR}–{MAX_YEAR} 年之间"})


@transaction.atomic
def add_day(user: Any, *, date: dt.date, kind: str, name: str = "") -> CalendarDay:
    """Enter one holiday or adjusted workday (调休上班日)."""
    require(user, "calendar.manage")
    _check_year(date.year, "date")
    if CalendarDay.objects.filter(date=date).exists():
        raise ValidationError({"date": f"{date:%Y-%m-%d} 已录入，请修改该日期的记录"})
    day = CalendarDay(date=date, kind=kind, name=name.strip(), source=Source.ADMIN)
    day.full_clean()
    day.save()
    audit.record_create(user, day)
    return day


@transaction.atomic
def update_day(user: Any, day: CalendarDay, *, date: dt.date, kind: str, name: str = "") -> CalendarDay:
    """Change a day; a day taken from the package becomes the administrator's."""
    require(user, "calendar.manage")
    _check_year(date.year, "date")
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    if CalendarDay.objects.filter(date=date).exclude(pk=day.pk).exists():
        raise ValidationError({"date": f"{date:%Y-%m-%d} 已录入，请修改该日期的记录"})
    before = audit.snapshot(day)
    day.date, day.kind, day.name, day.source = date, kind, name.strip(), Source.ADMIN
    day.full_clean()
    day.save()
    audit.record_update(user, day, before)
    return day


@transaction.atomic
def delete_day(user: Any, day: CalendarDay) -> None:
    require(user, "calendar.manage")
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    before = audit.snapshot(day)
    audit.record(
        AuditAction.DELETE,
        actor=user,
        obj=day,
        changes={k: [v, None] for k, v in before.items()},
    )
    day.delete()


@transaction.atomic
def mark_year_entered(user: Any, *, year: int, notice: str) -> CalendarYear:
    """Declare YEAR's official arrangement complete: its results stop being provisional."""
    require(user, "calendar.manage")
    _check_year(year)
    notice = notice.strip()
    if not notice:
        raise ValidationError({"notice": "请填写依据（国务院办公厅通知名称或文号）"})
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    if row is None:
        row = CalendarYear(year=year, source=Source.ADMIN, notice=notice)
        row.full_clean()
        row.save()
        audit.record_create(user, row)
        return row
    before = audit.snapshot(row)
    row.source, row.notice = Source.ADMIN, notice
    row.full_clean()
    row.save()
    audit.record_update(user, row, before)
    return row
