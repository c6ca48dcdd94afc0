"""Health checks shared by /readyz, the availability probe and the Prometheus endpoint.

Each check answers a ``Check`` (ok, detail) and never raises: a failure is the answer.

- database: ``SELECT 1`` on the default connection;
- cache: a set and get of a short-lived key;
- queue: the job queue — with Redis (``REDIS_URL``) a connection to the Celery broker; without it the
  embedded scheduler (``qinqing runjobs``), judged by the jobs' heartbeat: no job run for
  ``QUEUE_STALE_SECONDS`` while jobs have run before means the scheduler stopped;
- site: the web site answers ``/healthz`` — over HTTP when ``QINQING_PROBE_URL`` is set (the probe then
  goes through the web server and the proxy), otherwise in process.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import urllib.request
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

QUEUE_STALE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, f"{type(exc).__name__}: {exc}"[:300])
    return Check("database", True)


def check_cache() -> Check:
    key = f"qinqing:readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return Check("cache", False, f"{type(exc).__name__}: {exc}"[:300])
    return Check("cache", ok, "" if ok else "写入后读不到")


def _broker() -> Check:
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        return Check("queue", False, f"broker: {type(exc).__name__}: {exc}"[:300])
    return Check("queue", True, "broker")


def check_queue(now: dt.datetime | None = None) -> Check:
    if str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://")):
        return _broker()
    from django.db.models import Max

    from qinqing.kpi.models import JobStat

    try:
        last = JobStat.objects.aggregate(m=Max("last_finished_at"))["m"]
    except Exception as exc:
        return Check("queue", False, f"{type(exc).__name__}: {exc}"[:300])
    if last is None:
        return Check("queue", True, "尚无任务运行记录")
    age = ((now or timezone.now()) - last).total_seconds()
    if age > QUEUE_STALE_SECONDS:
        return Check("queue", False, f"定时任务已 {int(age // 60)} 分钟未运行")
    return Check("queue", True, f"最近任务 {int(age)} 秒前")


def check_site() -> Check:
    url = os.environ.get("QINQING_PROBE_URL", "")
    try:
        if url:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - configured by the operator
                status = resp.status
        else:
            from django.test import RequestFactory

            from qinqing.kpi.ops_views import healthz

            status = healthz(RequestFactory().get("/healthz")).status_code
    except Exception as exc:
        return Check("site", False, f"{type(exc).__name__}: {exc}"[:300])
    return Check("site", status == 200, "" if status == 200 else f"HTTP {status}")


def readiness() -> list[Check]:
    return [check_database(), check_cache(), check_queue()]


def queue_depths() -> dict[str, int]:
    """Rows waiting in the outboxes: notifications to deliver, demands whose analysis is pending."""
    from qinqing.analysis.models import FactQueue
    from qinqing.demands.models import Outbox, OutboxStatus

    return {
        "notifications_outbox": Outbox.objects.filter(status=OutboxStatus.PENDING).count(),
        "analysis_fact_queue": FactQueue.objects.count(),
    }
