"""kpi benchmark: budget projects evaluated live over a large data set, and the operations endpoints.

Data (PostgreSQL qq_bench_kpi): the demands generator's data at a third of its size (300,000 demands over
five years, 60,000 enterprises: ``bench/demands_generate.py --db qq_bench_kpi --demands 300000
--enterprises 60000``), the ten seed projects and their current-year editions, 5,000 incidents and
10,000 maintenance requests over five years, 40 job statistics rows.

Measured: in process — one project's live evaluation (the platform project: demand, analysis, login,
ops metrics over the prefecture), the office summary (all five Changji projects of the year), an
indicator's monthly trend, the fault rate over a year; over HTTP with gunicorn (4 workers) — the
project page, /readyz, /metrics. Prints the figures (the lead copies them into bench/RESULTS.md).

Reproduce:  .venv/bin/python bench/demands_generate.py --db qq_bench_kpi --demands 300000 --enterprises 60000
            .venv/bin/python bench/kpi_bench.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness

DB = "qq_bench_kpi"
INCIDENTS, REQUESTS_ROWS = 5_000, 10_000


def prepare() -> None:
    from django.utils import timezone

    from qinqing.accounts.models import User
    from qinqing.accounts.roles import Role
    from qinqing.core.metrics import Period
    from qinqing.kpi import demo, services
    from qinqing.kpi.models import BudgetProject, Incident, JobStat, MaintenanceRequest
    from qinqing.orgs.models import Unit

    services.load_seed()
    for data in demo._current_editions():
        if not BudgetProject.objects.filter(code=data.code).exists():
            services._upsert(data)
    if not User.objects.filter(username="kpi_bench").exists():
        u = User.objects.create(username="kpi_bench", unit=Unit.objects.get(name="昌吉州营商环境服务中心"))
        u.role_rows.create(role=Role.DISPATCHER)
    rng = random.Random(15)
    now = timezone.now()
    if Incident.objects.count() < INCIDENTS:
        rows = []
        for _ in range(INCIDENTS):
            start = now - dt.timedelta(minutes=rng.randint(60, 5 * 365 * 24 * 60))
            rows.append(
                Incident(
                    system=rng.choice(["platform", "miniprogram"]),
                    started_at=start,
                    ended_at=start + dt.timedelta(minutes=rng.randint(5, 600)),
                    detected_by="probe",
                    probe_check=rng.choice(["site", "database", "queue"]),
                    affected="bench",
                )
            )
        Incident.objects.bulk_create(rows, batch_size=2000)
    if MaintenanceRequest.objects.count() < REQUESTS_ROWS:
        rows2 = []
        for i in range(REQUESTS_ROWS):
            raised = now - dt.timedelta(minutes=rng.randint(60, 5 * 365 * 24 * 60))
            rows2.append(
                MaintenanceRequest(
                    system=rng.choice(["platform", "miniprogram"]),
                    title=f"bench {i}",
                    raised_at=raised,
                    first_response_at=raised + dt.timedelta(minutes=rng.randint(5, 900)),
                )
            )
        MaintenanceRequest.objects.bulk_create(rows2, batch_size=2000)
    for i in range(40):
        JobStat.objects.get_or_create(name=f"bench.job{i}", defaults={"runs": i, "last_finished_at": now})
    _ = Period  # imported for readers of the timings below


def main() -> int:
    print("loadavg before:", Path("/proc/loadavg").read_text().strip())
    if not harness.database_exists(DB):
        print(
            f"{DB} missing: run bench/demands_generate.py --db {DB} --demands 300000 --enterprises 60000 first"
        )
        return 1
    # Static files from the finders (QINQING_DEMO), as the investment bench: no collectstatic manifest.
    os.environ.setdefault("QINQING_DEMO", "1")
    harness.setup_django(DB)
    prepare()
    from django.utils import timezone

    from qinqing.core.metrics import Period
    from qinqing.demands.models import Demand
    from qinqing.kpi import ops, scoring
    from qinqing.kpi.models import BudgetProject

    year = timezone.localdate().year
    print(f"demands: {Demand.objects.count():,}; projects: {BudgetProject.objects.count()}")
    platform = BudgetProject.objects.get(code=f"2021-cj-platform-{year}")
    changji = list(BudgetProject.objects.filter(year=year, unit__name="昌吉州营商环境服务中心"))
    ind = platform.indicators.get(metric="demands.completion_rate")
    figures = [
        harness.timed(
            "evaluate platform project (year to date)", lambda: scoring.evaluate(platform), repeat=5
        ),
        harness.timed(
            "office summary: 5 Changji projects", lambda: [scoring.evaluate(p) for p in changji], repeat=3
        ),
        harness.timed("trend of 办理完成率 (12 months)", lambda: scoring.trend(ind, platform), repeat=3),
        harness.timed(
            "fault rate over a year (5,000 incidents)",
            lambda: ops.fault_rate("platform", Period.year(year)),
            repeat=5,
        ),
    ]
    cookie = harness.session_cookie("kpi_bench")
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    with harness.gunicorn(DB, workers=4) as base:
        page = [("GET", f"/kpi/projects/{platform.pk}/", None, headers)] * 20
        # Warm-up, not measured: the workers finish booting and fill their configuration caches.
        harness.load(base, "warm-up", page[:8], concurrency=4, max_seconds=180)
        figures.append(harness.load(base, "GET project page (c=2)", page, concurrency=2, max_seconds=120))
        figures.append(
            harness.load(
                base,
                "GET /readyz (c=4)",
                [("GET", "/readyz", None, {"Host": "127.0.0.1"})] * 400,
                concurrency=4,
            )
        )
        figures.append(
            harness.load(
                base,
                "GET /metrics (c=2)",
                [("GET", "/metrics", None, {"Host": "127.0.0.1"})] * 100,
                concurrency=2,
            )
        )
    print(harness.machine_line())
    print(harness.TABLE_HEADER)
    for f in figures:
        print(f.row())
    print("loadavg after:", Path("/proc/loadavg").read_text().strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
