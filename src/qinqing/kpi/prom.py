"""Prometheus metrics: request counts and latencies per view (middleware), job runs and failures,
outbox backlog and queue depths (read from the database at scrape time, so every process reports the
same figures whichever process did the work).

With several web worker processes set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by the
workers (prometheus_client's multiprocess mode): the request figures are then summed over the workers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse

try:  # a declared dependency; without it the site still runs and /metrics says why it cannot answer
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.registry import REGISTRY, Collector
except ImportError:  # pragma: no cover
    AVAILABLE = False
    Collector = object  # type: ignore[misc,assignment]
else:
    AVAILABLE = True

if AVAILABLE:
    REQUESTS = Counter(
        "qinqing_http_requests_total",
        "HTTP requests by view, method and status",
        ["view", "method", "status"],
    )
    LATENCY = Histogram(
        "qinqing_http_request_duration_seconds",
        "HTTP request duration by view",
        ["view"],
        buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )


class MetricsMiddleware:
    """Counts and times each request under its URL name (``kpi:project``; "unmatched" for a 404)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if not AVAILABLE:  # pragma: no cover
            return response
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else "") or "unmatched"
        REQUESTS.labels(view, request.method or "", str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.perf_counter() - started)
        return response


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Any]:
        from qinqing.kpi import health
        from qinqing.kpi.models import JobStat

        runs = CounterMetricFamily("qinqing_job_runs", "Runs of each periodic job", labels=["job"])
        failures = CounterMetricFamily(
            "qinqing_job_failures", "Failed runs of each periodic job", labels=["job"]
        )
        last = GaugeMetricFamily(
            "qinqing_job_last_run_timestamp_seconds", "End of the last run", labels=["job"]
        )
        for stat in JobStat.objects.all():
            runs.add_metric([stat.name], stat.runs)
            failures.add_metric([stat.name], stat.failures)
            if stat.last_finished_at is not None:
                last.add_metric([stat.name], stat.last_finished_at.timestamp())
        yield runs
        yield failures
        yield last
        depth = GaugeMetricFamily(
            "qinqing_queue_depth", "Rows waiting in each outbox or queue", labels=["queue"]
        )
        for name, value in health.queue_depths().items():
            depth.add_metric([name], value)
        yield depth
        from qinqing.kpi.models import Incident

        open_incidents = GaugeMetricFamily(
            "qinqing_open_incidents", "Open incidents (故障记录)", labels=["system"]
        )
        counts: dict[str, int] = {}
        for system in Incident.objects.filter(ended_at__isnull=True).values_list("system", flat=True):
            counts[system] = counts.get(system, 0) + 1
        for system in ("platform", "miniprogram"):
            open_incidents.add_metric([system], counts.get(system, 0))
        yield open_incidents


def exposition() -> bytes:
    """The text exposition of every metric."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    db = CollectorRegistry()
    db.register(DatabaseCollector())
    return body + generate_latest(db)
