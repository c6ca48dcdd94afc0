"""The three clocks (受理, 签收, 办结) on the working-day calendar.

Deadlines are computed here, once, at the event that starts a clock (and again on pause, resume,
extension and redo), and stored on the demand. Lights and overdue are derived from the stored
deadlines at query time. ``clock_report`` recomputes target/actual/difference from the event log for
the detail page.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from qinqing.calendar.services import deadline_end, working_days_between
from qinqing.demands.models import Demand, DemandEvent, DemandSettings, Status

TZ = ZoneInfo("Asia/Shanghai")
ONE_MICRO = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime
    warn_at: dt.datetime
    provisional: bool


def compute_deadline(start: dt.datetime, days: int, warn_share: Decimal) -> Deadline:
    """Due at the end of the DAYS-th working day after START's date; yellow from the moment when at most
    one working day, or at most WARN_SHARE of the limit, remains (whichever comes first)."""
    due = deadline_end(start, days)
    by_share = math.floor(days * (1 - float(warn_share)) + 1e-9)
    k = min(days - 1, by_share)
    if k <= 0:
        return Deadline(due.at, start, due.provisional)
    warn = deadline_end(start, k)
    return Deadline(due.at, warn.at + ONE_MICRO, due.provisional or warn.provisional)


def working_days(a: dt.datetime, b: dt.datetime) -> int:
    """Working days in (a's local date, b's local date]."""
    return working_days_between(a.astimezone(TZ).date(), b.astimezone(TZ).date()).days


def overdue_working_days(due_at: dt.datetime, now: dt.datetime) -> int:
    """How many working days past DUE_AT it is at NOW (0 when not overdue)."""
    if now <= due_at:
        return 0
    return max(0, working_days(due_at, now))


def set_handle_deadline(demand: Demand, settings: DemandSettings) -> None:
    assert demand.handle_started_at is not None
    total = demand.handle_days + demand.extension_days + demand.paused_days
    d = compute_deadline(demand.handle_started_at, total, settings.warn_share)
    demand.handle_due_at, demand.handle_warn_at = d.due_at, d.warn_at
    demand.provisional = demand.provisional or d.provisional


def refresh_running(demand: Demand) -> None:
    """Set ``due_at``/``warn_at`` to the earliest running clock for the demand's status."""
    status = demand.status
    if status == Status.SUBMITTED:
        demand.due_at, demand.warn_at = demand.accept_due_at, demand.accept_warn_at
    elif status == Status.DISPATCHED:
        pairs = [(demand.sign_due_at, demand.sign_warn_at), (demand.handle_due_at, demand.handle_warn_at)]
        present = [(d, w) for d, w in pairs if d is not None]
        demand.due_at = min(d for d, _ in present) if present else None
        demand.warn_at = min(w for _, w in present if w is not None) if present else None
    elif status in (Status.ACCEPTED, Status.HANDLING):
        demand.due_at, demand.warn_at = demand.handle_due_at, demand.handle_warn_at
    else:  # suspended (clock paused), replied, closed, rejected
        demand.due_at, demand.warn_at = None, None


@dataclass(frozen=True)
class ClockReport:
    name: str
    target_days: int | None
    actual_days: int | None
    difference: int | None
    due_at: dt.datetime | None
    stopped_at: dt.datetime | None
    on_time: bool | None
    running: bool


def clock_report(demand: Demand, events: list[DemandEvent], now: dt.datetime) -> list[ClockReport]:
    """Target, actual and difference (working days) of each clock, from the event log.

    Actual days are working days from the start event's date to the stop event's date (or today while
    running); for 办结 the days spent suspended in the current round are subtracted.
    """

    def first(action: str) -> DemandEvent | None:
        return next((e for e in events if e.action == action), None)

    def last(action: str) -> DemandEvent | None:
        return next((e for e in reversed(events) if e.action == action), None)

    reports: list[ClockReport] = []
    submitted = first("submit")
    decided = first("accept") or first("reject")
    start = submitted.at if submitted else demand.created_at
    end = decided.at if decided else None
    actual = working_days(start, end or now)
    reports.append(
        ClockReport(
            "受理",
            demand.accept_days,
            actual,
            actual - demand.accept_days,
            demand.accept_due_at,
            end,
            (end <= demand.accept_due_at) if end else None,
            end is None and demand.status == Status.SUBMITTED,
        )
    )
    dispatched = last("dispatch") or last("transfer")
    if dispatched is not None and demand.sign_due_at is not None:
        signed = next((e for e in events if e.action == "sign" and e.at >= dispatched.at), None)
        returned = next((e for e in events if e.action == "return" and e.at >= dispatched.at), None)
        stop = signed or returned
        end = stop.at if stop else None
        actual = working_days(dispatched.at, end or now)
        reports.append(
            ClockReport(
                "签收",
                demand.sign_days,
                actual,
                actual - demand.sign_days,
                demand.sign_due_at,
                end,
                (end <= demand.sign_due_at) if end else None,
                end is None and demand.status == Status.DISPATCHED,
            )
        )
    if demand.handle_started_at is not None and demand.handle_due_at is not None:
        end = (
            demand.replied_at if demand.replied_at and demand.replied_at >= demand.handle_started_at else None
        )
        upto = end or (demand.suspended_at if demand.status == Status.SUSPENDED else now)
        actual = max(0, working_days(demand.handle_started_at, upto or now) - demand.paused_days)
        target = demand.handle_days + demand.extension_days
        reports.append(
            ClockReport(
                "办结",
                target,
                actual,
                actual - target,
                demand.handle_due_at,
                end,
                (end <= demand.handle_due_at) if end else None,
                end is None and demand.status in (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING),
            )
        )
    return reports
