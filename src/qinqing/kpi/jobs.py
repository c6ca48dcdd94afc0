"""The availability probe and the job statistics behind the Prometheus endpoint.

``probe`` (every minute) checks the site, the database and the job queue (``kpi.health``). A failing
check opens a 故障记录 (detected by 可用性探测) unless one is open for it; a passing check closes the open
one. Both are conditional, so a second run, or a run on a second machine, changes nothing. While the
database itself is down nothing can be written: the process remembers when the outage began and writes
the incident, opened and closed, as soon as the database answers again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection
from django.db.models import F
from django.utils import timezone

from qinqing.core import jobs as core_jobs
from qinqing.core.jobs import periodic

logger = logging.getLogger(__name__)

PROBE_SECONDS = 60
_db_down_since: dict[str, Any] = {}  # {"at": datetime, "detail": str} while the database is down


@periodic(PROBE_SECONDS, name="kpi.probe")
def probe(now: dt.datetime | None = None) -> dict[str, bool]:
    from qinqing.kpi import health, services

    now = now or timezone.now()
    db = health.check_database()
    if not db.ok:
        _db_down_since.setdefault("at", now)
        _db_down_since.setdefault("detail", db.detail)
        if not connection.in_atomic_block:  # never drop a connection that is inside a transaction
            close_old_connections()
        return {"database": False}
    result = {"database": True}
    if _db_down_since:
        services.record_past_outage("database", str(_db_down_since["detail"]), _db_down_since["at"], now)
        _db_down_since.clear()
    services.probe_recovered("database", now)
    for check in (health.check_site(), health.check_queue(now)):
        result[check.name] = check.ok
        if check.ok:
            services.probe_recovered(check.name, now)
        else:
            services.probe_failed(check.name, check.detail, now)
    return result


# --- job statistics --------------------------------------------------------------------------------
def _count(name: str, started: dt.datetime, seconds: float, error: str | None) -> None:
    from qinqing.kpi.models import JobStat

    try:
        JobStat.objects.get_or_create(name=name)
        JobStat.objects.filter(name=name).update(
            runs=F("runs") + 1,
            failures=F("failures") + (1 if error is not None else 0),
            last_started_at=started,
            last_finished_at=timezone.now(),
            last_duration_seconds=seconds,
            **({"last_error": error[:500]} if error is not None else {}),
        )
    except Exception:
        logger.warning("could not record the run of job %s", name)


def counted(name: str, func: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        started, t0 = timezone.now(), time.monotonic()
        try:
            result = func()
        except Exception as exc:
            _count(name, started, time.monotonic() - t0, f"{type(exc).__name__}: {exc}")
            raise
        _count(name, started, time.monotonic() - t0, None)
        return result

    run.__wrapped__ = func  # type: ignore[attr-defined]
    run.__name__ = getattr(func, "__name__", name)
    return run


def count_all_jobs() -> None:
    """Wrap every registered job once (kpi is the last app: every job is registered by then)."""
    for name, job in list(core_jobs.JOBS.items()):
        if not hasattr(job.func, "__wrapped__"):
            core_jobs.JOBS[name] = core_jobs.Job(job.name, counted(name, job.func), job.every_seconds)
