"""Periodic jobs, declared once and run two ways.

- Production: Celery beat schedules each job as the task ``qinqing.run_job`` (qinqing/core/tasks.py) on
  the Redis broker; workers run it.
- Embedded default (SQLite, no Redis): ``qinqing runjobs`` — started in the background by
  ``make demo`` — runs due jobs in-process on the same schedule.

Jobs must be idempotent (deadline sweeps use conditional updates, reminders are recorded once per
demand and threshold), so running one twice, or on two machines, does no harm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    every_seconds: int


JOBS: dict[str, Job] = {}


def periodic(
    every_seconds: int, name: str | None = None
) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register FUNC as a periodic job (import the module from the app's ``AppConfig.ready``)."""

    def decorator(func: Callable[[], object]) -> Callable[[], object]:
        job_name = name or f"{func.__module__}.{func.__name__}"
        JOBS[job_name] = Job(job_name, func, every_seconds)
        return func

    return decorator


def run_job(name: str) -> object:
    job = JOBS[name]
    started = time.monotonic()
    result = job.func()
    logger.info("job %s done in %.2fs: %s", name, time.monotonic() - started, result)
    return result


def claim_period(name: str, now: float | None = None) -> bool:
    """True for the first caller in the job's current period (a fixed window of ``every_seconds``), False
    for any other: with two beats started by mistake (or a redelivered message) a periodic job still runs
    once per period. The claim is a cache ``add`` (atomic in Redis, shared by every host)."""
    from django.core.cache import cache

    job = JOBS[name]
    now = time.time() if now is None else now
    period = int(now // job.every_seconds)
    return bool(cache.add(f"job-period:{name}:{period}", 1, timeout=job.every_seconds + 60))


def run_forever(stop: threading.Event | None = None, tick: float = 5.0) -> None:
    """The embedded scheduler: run each job when its interval has passed (first run at start)."""
    stop = stop or threading.Event()
    last_run: dict[str, float] = {}
    while not stop.is_set():
        now = time.monotonic()
        for job in list(JOBS.values()):
            if now - last_run.get(job.name, -1e18) >= job.every_seconds:
                last_run[job.name] = now
                try:
                    run_job(job.name)
                except Exception:
                    logger.exception("job %s failed", job.name)
        stop.wait(tick)


def beat_schedule() -> dict[str, dict[str, object]]:
    """The Celery beat schedule built from the same registry."""
    return {
        name: {"task": "qinqing.run_job", "schedule": float(job.every_seconds), "args": (name,)}
        for name, job in JOBS.items()
    }
