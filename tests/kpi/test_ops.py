"""Fault rate, repair and response times from hand-built incidents and requests; the probe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from qinqing.core.metrics import Period, compute
from qinqing.kpi import health, jobs
from qinqing.kpi.models import DetectedBy, Incident, JobStat, MaintenanceRequest, System
from tests.demands.conftest import TZ

W = Decimal
NOW = dt.datetime(2026, 4, 11, 0, 0, tzinfo=TZ)  # 10 days of April have passed
APRIL = Period.month(2026, 4)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def at(d: int, h: int = 0, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 4, d, h, m, tzinfo=TZ)


def incident(start: dt.datetime, end: dt.datetime | None, system: str = System.PLATFORM) -> Incident:
    return Incident.objects.create(
        system=system, started_at=start, ended_at=end, detected_by=DetectedBy.STAFF, affected="全部"
    )


def test_fault_rate_is_the_union_over_service_time(db: None, pinned: None) -> None:
    incident(at(2, 0), at(2, 12))  # 12 h
    incident(at(2, 6), at(2, 18))  # overlaps: union 18 h
    incident(dt.datetime(2026, 3, 31, 18, tzinfo=TZ), at(1, 6))  # 6 h inside April
    incident(at(10, 18), None)  # open: 6 h to now
    incident(at(3), at(4), System.MINIPROGRAM)  # another system
    # 30 h down ÷ 240 h of service so far
    assert compute("ops.fault_rate", None, APRIL) == W("12.50")  # type: ignore[arg-type]
    assert compute("ops.miniprogram_fault_rate", None, APRIL) == W("10.00")  # type: ignore[arg-type]
    assert compute("ops.fault_rate", None, Period.month(2026, 5)) is None  # type: ignore[arg-type]


def test_repair_and_response_hours(db: None, pinned: None) -> None:
    incident(at(2, 0), at(2, 12))
    incident(at(3, 0), at(4, 0))
    incident(at(10, 18), None)  # still open: not repaired
    assert compute("ops.repair_hours", None, APRIL) == W("18.00")  # type: ignore[arg-type]
    MaintenanceRequest.objects.create(title="a", raised_at=at(1, 9), first_response_at=at(1, 11))
    MaintenanceRequest.objects.create(title="b", raised_at=at(2, 9), first_response_at=at(2, 9, 30))
    MaintenanceRequest.objects.create(title="c", raised_at=at(3, 9))  # not answered yet
    MaintenanceRequest.objects.create(
        title="d", system=System.MINIPROGRAM, raised_at=at(3, 9), first_response_at=at(3, 13)
    )
    assert compute("ops.response_hours", None, APRIL) == W("1.25")  # type: ignore[arg-type]
    assert compute("ops.miniprogram_response_hours", None, APRIL) == W("4.00")  # type: ignore[arg-type]
    assert compute("ops.miniprogram_repair_hours", None, APRIL) is None  # type: ignore[arg-type]


def _checks(monkeypatch: pytest.MonkeyPatch, **ok: bool) -> None:
    for name in ("site", "queue"):
        value = ok.get(name, True)
        monkeypatch.setattr(
            health, f"check_{name}", lambda *a, _n=name, _v=value: health.Check(_n, _v, "" if _v else "失败")
        )


def test_probe_opens_once_and_closes_on_recovery(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _checks(monkeypatch, site=False)
    assert jobs.probe(at(5, 10)) == {"database": True, "site": False, "queue": True}
    jobs.probe(at(5, 10, 1))  # still failing: the same incident stays open
    open_ = Incident.objects.get(detected_by=DetectedBy.PROBE)
    assert (open_.probe_check, open_.started_at, open_.ended_at) == ("site", at(5, 10), None)
    _checks(monkeypatch)
    jobs.probe(at(5, 10, 30))
    jobs.probe(at(5, 10, 31))  # idempotent: nothing more to close
    closed = Incident.objects.get(detected_by=DetectedBy.PROBE)
    assert closed.ended_at == at(5, 10, 30)
    assert Incident.objects.count() == 1
    _checks(monkeypatch, queue=False)
    jobs.probe(at(6, 8))
    assert list(Incident.objects.filter(ended_at__isnull=True).values_list("probe_check", flat=True)) == [
        "queue"
    ]


def test_probe_records_a_database_outage_when_it_answers_again(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _checks(monkeypatch)
    real = health.check_database
    monkeypatch.setattr(health, "check_database", lambda: health.Check("database", False, "OperationalError"))
    assert jobs.probe(at(7, 3)) == {"database": False}
    jobs.probe(at(7, 3, 1))
    monkeypatch.setattr(health, "check_database", real)
    jobs.probe(at(7, 3, 20))
    row = Incident.objects.get(probe_check="database")
    assert (row.started_at, row.ended_at, row.cause) == (at(7, 3), at(7, 3, 20), "OperationalError")
    jobs.probe(at(7, 3, 21))
    assert Incident.objects.filter(probe_check="database").count() == 1


def test_queue_check_by_job_heartbeat(db: None, settings: Any) -> None:
    settings.CELERY_BROKER_URL = "memory://"
    assert health.check_queue(at(5)).ok  # no job has ever run
    JobStat.objects.create(name="x", runs=1, last_finished_at=at(5, 9, 50))
    assert health.check_queue(at(5, 10)).ok
    stale = health.check_queue(at(5, 10, 20))
    assert (stale.ok, stale.detail) == (False, "定时任务已 30 分钟未运行")


def test_job_runs_and_failures_are_counted(db: None) -> None:
    calls: list[int] = []

    def good() -> int:
        calls.append(1)
        return 1

    def bad() -> int:
        raise RuntimeError("boom")

    jobs.counted("t.good", good)()
    jobs.counted("t.good", good)()
    with pytest.raises(RuntimeError):
        jobs.counted("t.bad", bad)()
    assert JobStat.objects.values_list("name", "runs", "failures").order_by("name")[::1] == [
        ("t.bad", 1, 1),
        ("t.good", 2, 0),
    ]
    assert JobStat.objects.get(name="t.bad").last_error == "RuntimeError: boom"
    from qinqing.core.jobs import JOBS

    assert hasattr(JOBS["kpi.probe"].func, "__wrapped__")  # every registered job is counted
