"""Operations figures: 系统故障率, 故障修复处理时间 and 运维响应时间, from incidents and maintenance requests.

- 系统故障率 (fault rate) = unavailable time ÷ service time × 100 over the period, where unavailable time is
  the union of the incidents' spans [started_at, ended_at) (an open incident runs to now) cut to the
  period, and service time is the period's length up to now (7 × 24 hours: the platform is a 24-hour
  service). Undefined (None) for a period that has not begun.
- 故障修复处理时间 (repair time) = mean of (ended_at − started_at) in hours over the incidents that ended
  within the period.
- 运维响应时间 (response time) = mean of (first_response_at − raised_at) in hours over the maintenance
  requests raised within the period that have been answered.

Each figure is per system (营商环境管理系统 or 招商小程序). The platform is one service for every unit, so
the unit argument of the platform metrics does not narrow these figures (docs/kpi.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from qinqing.core.metrics import Period
from qinqing.kpi.models import Incident, MaintenanceRequest, System

TZ = ZoneInfo("Asia/Shanghai")
HOUR = Decimal(3600)


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(period.start, dt.time.min, tzinfo=TZ),
        dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=TZ),
    )


def unavailable_seconds(system: str, lo: dt.datetime, hi: dt.datetime, now: dt.datetime) -> int:
    spans = []
    rows = Incident.objects.filter(system=system, started_at__lt=hi).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=lo)
    )
    for start, end in rows.values_list("started_at", "ended_at"):
        a, b = max(start, lo), min(end or now, hi, now)
        if b > a:
            spans.append((a, b))
    total = 0.0
    run: tuple[dt.datetime, dt.datetime] | None = None
    for a, b in sorted(spans):  # the union: overlapping incidents count once
        if run is None or a > run[1]:
            if run is not None:
                total += (run[1] - run[0]).total_seconds()
            run = (a, b)
        else:
            run = (run[0], max(run[1], b))
    if run is not None:
        total += (run[1] - run[0]).total_seconds()
    return int(total)


def fault_rate(system: str, period: Period, now: dt.datetime | None = None) -> Decimal | None:
    now = now or timezone.now()
    lo, hi = bounds(period)
    service = (min(hi, now) - lo).total_seconds()
    if service <= 0:
        return None
    down = unavailable_seconds(system, lo, hi, now)
    return (Decimal(100) * down / Decimal(int(service))).quantize(Decimal("0.01"))


def _mean_hours(pairs: list[tuple[dt.datetime, dt.datetime]]) -> Decimal | None:
    if not pairs:
        return None
    seconds = sum((b - a).total_seconds() for a, b in pairs)
    return (Decimal(seconds) / HOUR / len(pairs)).quantize(Decimal("0.01"))


def repair_hours(system: str, period: Period) -> Decimal | None:
    lo, hi = bounds(period)
    rows = Incident.objects.filter(system=system, ended_at__gte=lo, ended_at__lt=hi)
    return _mean_hours([(a, b) for a, b in rows.values_list("started_at", "ended_at") if b is not None])


def response_hours(system: str, period: Period) -> Decimal | None:
    lo, hi = bounds(period)
    rows = MaintenanceRequest.objects.filter(
        system=system, raised_at__gte=lo, raised_at__lt=hi, first_response_at__isnull=False
    )
    return _mean_hours(
        [(a, b) for a, b in rows.values_list("raised_at", "first_response_at") if b is not None]
    )


PLATFORM, MINIPROGRAM = System.PLATFORM.value, System.MINIPROGRAM.value
