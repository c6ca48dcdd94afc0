"""Promotion benchmark: the return-on-promotion page for a year (issue 14, target p95 ≤ 500 ms).

Data (PostgreSQL ``qq_bench_promotion``): the 50,000-project library and its 60 months of funds entries
made by bench/investment_generate.py (its functions, pointed at this database), then 10 years of 3,000
receptions (1–3 visiting firms each) and 1,000 trips and events a year, 3 task forces a year, all in
昌吉州's units, and their touches of the project library (35 % of receptions and 50 % of trips touch a
project of 昌吉州, so projects are touched again in later years and attribution has work to do). Bulk
rows go in with COPY. The benchmark user is bench_inv_zhou (昌吉州 prefecture dispatcher: every
reception and trip is in scope). gunicorn with 2 sync workers; the page is fetched 1 and 2 at a time.

Reproduce:  .venv/bin/python -m bench.promotion_bench            (generates once, then measures)
            .venv/bin/python -m bench.promotion_bench --regenerate
Figures are printed (not written to bench/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import harness
from bench import investment_generate as library

DB = "qq_bench_promotion"
YEARS = 10
RECEPTIONS = 3000
TRIPS = 1000
SEED = 20261203
TARGET_MS = 500.0
KINDS = ["resident", "squad", "squad", "expo", "expo", "roadshow", "exchange", "meeting"]
ORGANISERS = ["region", "department", "own"]
PROVINCES = [
    "江苏省",
    "浙江省",
    "广东省",
    "上海市",
    "北京市",
    "山东省",
    "青海省",
    "西藏自治区",
    "新疆维吾尔自治区",
]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def say(msg: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {msg}", flush=True)


def generate_library(started: float) -> None:
    library.DB = DB  # the investment generator's functions, pointed at this database
    library.setup(started)
    library.generate(started)


def generate(started: float) -> dict[str, int]:
    from django.db import connection
    from django.utils import timezone

    from qinqing.investment.models import IndustryCluster, Project
    from qinqing.orgs.models import Unit
    from qinqing.promotion.models import Reception, ReceptionFirm, TaskForce, Touch, Trip

    rng = random.Random(SEED)
    now = timezone.now()
    pref = Unit.objects.get(name="昌吉回族自治州")
    units = list(
        Unit.objects.filter(
            path__startswith=pref.path, kind__in=["prefecture", "county", "park"]
        ).values_list("pk", flat=True)
    )
    clusters = list(IndustryCluster.objects.filter(scheme="changji").values_list("pk", flat=True))
    projects = list(
        Project.objects.filter(location_unit__path__startswith=pref.path).values_list("pk", flat=True)
    )
    last_year = dt.date.today().year
    years = range(last_year - YEARS + 1, last_year + 1)
    cols = {
        m: [f.column for f in m._meta.concrete_fields]
        for m in (Reception, ReceptionFirm, Trip, TaskForce, Touch)
    }
    counts = {"receptions": 0, "firms": 0, "trips": 0, "task_forces": 0, "touches": 0}
    rec_rows: list[list[Any]] = []
    firm_rows: list[list[Any]] = []
    trip_rows: list[list[Any]] = []
    tf_rows: list[list[Any]] = []
    touch_rows: list[list[Any]] = []
    touched: set[tuple[str, int, int]] = set()

    def day_in(year: int) -> dt.date:
        end = min(dt.date(year, 12, 31), dt.date.today())
        return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, (end - dt.date(year, 1, 1)).days))

    def touch(kind: str, source_id: int, unit: int, on: dt.date) -> None:
        project = rng.choice(projects)
        if (kind, source_id, project) in touched:
            return
        touched.add((kind, source_id, project))
        counts["touches"] += 1
        values = {
            "id": counts["touches"], "project_id": project, "unit_id": unit, "reception_id": source_id if kind == "r" else None,
            "trip_id": source_id if kind == "t" else None, "task_force_id": source_id if kind == "f" else None, "on": on,
            "created_lead": rng.random() < 0.5, "intention": "", "created_by_id": None, "created_at": now,
        }  # fmt: skip
        touch_rows.append([values[c] for c in cols[Touch]])

    for year in years:
        for _ in range(3):
            counts["task_forces"] += 1
            tf_id = counts["task_forces"]
            values = {
                "id": tf_id, "unit_id": rng.choice(units), "name": f"{year}驻外招商工作组{tf_id}", "base_province": rng.choice(PROVINCES[:6]),
                "base_city": "", "start_date": dt.date(year, 3, 1), "end_date": dt.date(year, 12, 31), "leader": "组长",
                "members": "组长", "created_by_id": None, "created_at": now,
            }  # fmt: skip
            tf_rows.append([values[c] for c in cols[TaskForce]])
            for _ in range(10):
                touch("f", tf_id, values["unit_id"], dt.date(year, 6, 1))
        for _ in range(RECEPTIONS):
            counts["receptions"] += 1
            rid = counts["receptions"]
            start = day_in(year)
            size = rng.randint(2, 15)
            meal, lodging, transport = Decimal(size * 120), Decimal(size * 300), Decimal(500)
            unit = rng.choice(units)
            values = {
                "id": rid, "unit_id": unit, "title": f"客商考察{rid}", "start_date": start, "end_date": start,
                "origin": rng.choice(PROVINCES[:6]), "cluster_id": rng.choice(clusters), "delegation_size": size,
                "delegation_leaders": "", "hosts": "接待组", "accompanying_leaders": "", "itinerary": "", "outcome": "",
                "meal_yuan": meal, "lodging_yuan": lodging, "lodging_nights": size, "transport_yuan": transport,
                "total_yuan": meal + lodging + transport, "warnings": "[]", "version": 1, "created_by_id": None, "created_at": now,
            }  # fmt: skip
            rec_rows.append([values[c] for c in cols[Reception]])
            for _ in range(rng.choice([1, 1, 2, 3])):
                counts["firms"] += 1
                fv = {"id": counts["firms"], "reception_id": rid, "enterprise_id": None, "name": f"来访企业{counts['firms']}", "credit_code": "", "origin": values["origin"]}  # fmt: skip
                firm_rows.append([fv[c] for c in cols[ReceptionFirm]])
            if rng.random() < 0.35:
                touch("r", rid, unit, start)
        for _ in range(TRIPS):
            counts["trips"] += 1
            tid = counts["trips"]
            start = day_in(year)
            kind = rng.choice(KINDS)
            people, days = rng.randint(1, 6), rng.randint(1, 6)
            allowance = Decimal(people * days * 180)
            unit = rng.choice(units)
            values = {
                "id": tid, "unit_id": unit, "kind": kind, "organiser": rng.choice(ORGANISERS) if kind == "expo" else "own",
                "task_force_id": None, "title": f"外出招商{tid}", "province": rng.choice(PROVINCES), "city": "",
                "start_date": start, "end_date": start + dt.timedelta(days=days - 1), "participants": people,
                "participant_names": "", "cluster_id": rng.choice(clusters), "summary": "", "allowance_yuan": allowance,
                "transport_yuan": Decimal(people * 2000), "lodging_yuan": Decimal(people * days * 400), "other_yuan": Decimal(0),
                "total_yuan": allowance + Decimal(people * 2000) + Decimal(people * days * 400), "version": 1,
                "created_by_id": None, "created_at": now,
            }  # fmt: skip
            trip_rows.append([values[c] for c in cols[Trip]])
            if rng.random() < 0.5:
                touch("t", tid, unit, start)
    with connection.cursor() as wrapper:
        cur: Any = wrapper.cursor
        tables = ", ".join(m._meta.db_table for m in (Touch, ReceptionFirm, Reception, Trip, TaskForce))
        cur.execute(f"TRUNCATE {tables} CASCADE")
        for model, rows in (
            (TaskForce, tf_rows),
            (Reception, rec_rows),
            (ReceptionFirm, firm_rows),
            (Trip, trip_rows),
            (Touch, touch_rows),
        ):
            table = model._meta.db_table
            columns = ", ".join(f'"{c}"' for c in cols[model])  # "on" is a reserved word
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - model tables
            )
            cur.execute(f"ANALYZE {table}")
    say(f"promotion rows copied: {counts}", started)
    return counts


def fetch_all(base: str, paths: list[str], cookie: str, concurrency: int, name: str) -> harness.Figures:
    headers = {"Cookie": cookie}
    return harness.load(
        base, name, [("GET", p, None, headers) for p in paths], concurrency=concurrency, max_seconds=240
    )


def main() -> int:
    started = time.monotonic()
    print("loadavg before:", loadavg(), flush=True)
    regenerate = "--regenerate" in sys.argv
    if regenerate or not harness.database_exists(DB):
        generate_library(started)
    else:
        harness.setup_django(DB)
    os.environ.setdefault("QINQING_DEMO", "1")
    from django.db import connection

    from qinqing.accounts.models import User
    from qinqing.promotion import returns
    from qinqing.promotion.models import Reception, Touch, Trip

    if not Touch.objects.exists():
        generate(started)

    year = dt.date.today().year - 1  # the last full year
    user = User.objects.get(username="bench_inv_zhou")
    scale = {
        "receptions": Reception.objects.count(),
        "trips": Trip.objects.count(),
        "touches": Touch.objects.count(),
        "year_receptions": Reception.objects.filter(start_date__year=year).count(),
    }
    print("data:", scale, flush=True)
    # in-process: the computation alone (no HTTP, no template)
    timings = []
    for _ in range(10):
        t0 = time.perf_counter()
        data = returns.year_return(user, year)
        timings.append((time.perf_counter() - t0) * 1000)
    print(
        f"year_return({year}) in-process: {len(data.sources)} sources, leads {data.total.leads}, "
        f"signed {data.total.signed}, funds {data.total.funds_wan} 万元; ms {', '.join(f'{t:.0f}' for t in timings)} "
        f"(median {sorted(timings)[len(timings) // 2]:.0f})",
        flush=True,
    )
    connection.close()
    cookie = harness.session_cookie("bench_inv_zhou")
    figures = []
    with harness.gunicorn(DB, workers=2) as base:
        paths = [f"/promotion/return/?year={year}"]
        for _ in range(6):  # each worker's first requests (imports, connection, caches)
            status, body, ms = _fetch(base, paths[0], cookie)
            print(f"warm-up: {status} {len(body)} bytes {ms:.0f} ms", flush=True)
            if status != 200:
                print(body[:3000].decode(errors="replace"))
                return 1
        figures.append(
            fetch_all(base, paths * 30, cookie, 1, f"return page {year} (4,000 sources), 1 at a time")
        )
        figures.append(fetch_all(base, paths * 40, cookie, 2, f"return page {year}, 2 at a time"))
        other = [f"/promotion/return/?year={y}" for y in range(year - 8, year + 2)]
        figures.append(fetch_all(base, other * 3, cookie, 1, "return page, each of 10 years, 1 at a time"))
        figures.append(
            fetch_all(
                base,
                [f"/promotion/return/?year={year}&page=20"] * 20,
                cookie,
                1,
                "return page, page 20 of the list",
            )
        )
        figures.append(
            fetch_all(base, ["/promotion/receptions/"] * 30, cookie, 1, "reception list (30,000 in scope)")
        )
        figures.append(
            fetch_all(base, [f"/promotion/?year={year}"] * 30, cookie, 1, "year figures vs targets")
        )
    print(harness.TABLE_HEADER)
    for f in figures:
        print(f.row())
    verdict = "met" if figures[1].p95_ms <= TARGET_MS and figures[0].p95_ms <= TARGET_MS else "MISSED"
    print(
        f"target return page p95 ≤ {TARGET_MS:.0f} ms: {verdict} ({figures[0].p95_ms:.0f} ms alone, {figures[1].p95_ms:.0f} ms at 2)"
    )
    print(harness.machine_line())
    print("loadavg after:", loadavg(), flush=True)
    return 0


def _fetch(base: str, path: str, cookie: str) -> tuple[int, bytes, float]:
    import http.client

    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, (time.perf_counter() - t0) * 1000


if __name__ == "__main__":
    sys.exit(main())
