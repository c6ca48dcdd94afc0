"""Investment benchmark: the prefecture dashboard, the filtered project list and the region Excel report.

Needs the database made by bench/investment_generate.py. Serves the app with gunicorn, logs in as the
prefecture dispatcher bench_inv_zhou (昌吉州, about 22,500 projects and 1.3 million funds rows in scope)
and measures each page over keep-alive connections; writes the "Investment (issue 5)" section of
bench/RESULTS.md.

Reproduce:  .venv/bin/python -m bench.investment_generate && .venv/bin/python -m bench.investment_bench
"""

from __future__ import annotations

import http.client
import os
import sys
import time
from urllib.parse import quote

from bench import harness
from bench.investment_generate import DB, window

TARGETS_MS = {"dashboard": 1000.0, "list": 150.0, "excel": 5000.0}


def fetch(base: str, path: str, cookie: str) -> tuple[int, bytes, float]:
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, (time.perf_counter() - started) * 1000


def main() -> int:
    if not harness.database_exists(DB):
        print(f"database {DB} is missing: run .venv/bin/python -m bench.investment_generate first")
        return 1
    # Static files from the finders (QINQING_DEMO): `collectstatic` currently stops on the vendored
    # bootstrap.bundle.min.js's missing source map, so the manifest storage has no manifest to read.
    os.environ.setdefault("QINQING_DEMO", "1")
    harness.setup_django(DB)
    from qinqing.investment.models import FundsEntry, IndustryChain, IndustryCluster, Project
    from qinqing.orgs.models import Unit

    cookie = harness.session_cookie("bench_inv_zhou")
    headers = {"Cookie": cookie}
    _, last = window()
    year, month = last.year, last.month
    pref = Unit.objects.get(name="昌吉回族自治州")
    in_scope = Project.objects.filter(location_unit__path__startswith=pref.path).count()
    funds_in_scope = FundsEntry.objects.filter(unit__path__startswith=pref.path).count()
    total_projects, total_funds = Project.objects.count(), FundsEntry.objects.count()
    cluster = IndustryCluster.objects.get(scheme="changji", name="铝基产业")
    chain = IndustryChain.objects.filter(cluster=cluster).order_by("pk").first()
    county = Unit.objects.get(name="玛纳斯县")
    list_paths = [
        "/investment/?stage=signed",
        f"/investment/?cluster={cluster.pk}",
        "/investment/?source=province&size_band=2",
        f"/investment/?unit={county.pk}&stage=started",
        "/investment/?q=" + quote("天山"),
        "/investment/?investor_type=central&page=3",
        f"/investment/?chain={chain.pk if chain else ''}&construction=new",
        "/investment/?stage=producing&page=20",
    ]
    dashboard_path = f"/investment/dashboard/?year={year}&month={month}"
    excel_path = f"/investment/reports/region.xlsx?year={year}&month={month}"
    figures: list[harness.Figures] = []
    load_before = os.getloadavg()
    with harness.gunicorn(DB, workers=4) as base:
        # warm-up (imports, connections, PostgreSQL buffers) and a content check of each page
        for path in (dashboard_path, list_paths[0], excel_path, "/"):
            status, body, ms = fetch(base, path, cookie)
            print(f"warm-up {path[:60]}: {status} {len(body)} bytes {ms:.0f} ms", flush=True)
            if status != 200:
                print(body[:2000].decode(errors="replace"))
                return 1
        status, body, _ = fetch(base, excel_path, cookie)
        excel_bytes = len(body)
        for concurrency, count in ((1, 20), (2, 40)):
            figures.append(
                harness.load(
                    base,
                    f"prefecture dashboard {year}年1—{month}月 (HTML, every figure), {concurrency} at a time",
                    [("GET", dashboard_path, None, headers)] * count,
                    concurrency=concurrency,
                    max_seconds=180,
                )
            )
        for concurrency in (1, 2, 4):
            figures.append(
                harness.load(
                    base,
                    f"filtered project list page (8 filter mixes, 50 rows, count), {concurrency} at a time",
                    [
                        ("GET", list_paths[i % len(list_paths)], None, headers)
                        for i in range(200 * concurrency)
                    ],
                    concurrency=concurrency,
                    max_seconds=180,
                )
            )
        figures.append(
            harness.load(
                base,
                f"region Excel report {year}-{month:02d} (approved lines)",
                [("GET", excel_path, None, headers)] * 10,
                concurrency=1,
                max_seconds=180,
            )
        )
        figures.append(
            harness.load(
                base,
                "home page (all apps' cards, incl. 在库项目 / 本年区外到位资金)",
                [("GET", "/", None, headers)] * 60,
                concurrency=2,
                max_seconds=120,
            )
        )
    load_after = os.getloadavg()
    for f in figures:
        print(f.row(), flush=True)
    dash1, dash, lst1, lst, lst4, xls, _home = figures
    verdict = {
        "dashboard": dash.p95_ms <= TARGETS_MS["dashboard"],
        "list": lst.p95_ms <= TARGETS_MS["list"],
        "excel": xls.max_ms <= TARGETS_MS["excel"],
    }
    ok = "met" if all(verdict.values()) else "see below"

    def mark(key: str) -> str:
        return "met" if verdict[key] else "**missed**"

    section = f"""
{harness.machine_line()}

Data: {total_projects:,} projects over the 20 counties and parks of the shipped org tree and
{total_funds:,} monthly funds entries (60 months ending {year}-{month:02d}); the benchmark user is a
prefecture dispatcher of 昌吉州, whose scope holds {in_scope:,} projects and {funds_in_scope:,} funds
entries. The {year}-{month:02d} monthly reports of 昌吉州's 9 units are prepared, submitted and approved
through the services. gunicorn with 4 sync workers; requests over keep-alive connections. Load averages
(`uptime`, 1/5/15 min) {_loads(load_before)} before and {_loads(load_after)} after the run: another engineer's
demands benchmark and tests share this 2-core machine, so the latencies include their load; the 1-at-a-time
rows show the pages with less contention from our own requests.

{harness.TABLE_HEADER}
{chr(10).join(f.row() for f in figures)}

Targets ({ok}), judged at 2 requests at a time (one per core): dashboard p95 ≤ 1 s — {dash.p95_ms:.0f} ms
({dash1.p95_ms:.0f} ms alone), {mark("dashboard")}; filtered list p95 ≤ 150 ms — {lst.p95_ms:.0f} ms
({lst1.p95_ms:.0f} ms alone, {lst4.p95_ms:.0f} ms at 4 at a time), {mark("list")}; Excel report for one month ≤ 5 s — slowest of 10 {xls.max_ms:.0f} ms
({excel_bytes:,} bytes), {mark("excel")}. The home page row is for information (it runs every app's cards).

Reproduce: `.venv/bin/python -m bench.investment_generate` (drops and recreates `{DB}`, migrates, loads the
org tree, COPYs the rows, builds the pre-aggregated table; a few minutes) then `.venv/bin/python -m bench.investment_bench`.
"""
    harness.write_section(
        "Investment (issue 5)",
        section
        + "\nBefore and after (p95 ms; Excel: slowest of 10):\n\n"
        + before_after(figures)
        + "\n"
        + WHAT_WAS_DONE
        + remaining(dash, lst),
    )
    print("written to bench/RESULTS.md")
    return 0


def _loads(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


# The figures before the pre-aggregated table and the literal unit list on the list page (commit faa0ede,
# same data and machine; load average 5.1 → 6.1 during that run).
BEFORE = {
    "dashboard 1": 1258.6,
    "dashboard 2": 2413.4,
    "list 1": 144.6,
    "list 2": 240.7,
    "list 4": 495.3,
    "excel max": 578.4,
}


def remaining(dash: harness.Figures, lst: harness.Figures) -> str:
    out = []
    if dash.p95_ms > TARGETS_MS["dashboard"]:
        out.append(
            "Dashboard target still missed under this load. Next: cache the figures of closed months per scope\n"
            "(approved months do not change), and read the project counts and ratios from the same statement."
        )
    if lst.p95_ms > TARGETS_MS["list"]:
        out.append(
            "List target still missed under this load. Next: cache the filter choices (unit, cluster and chain\n"
            "selects are rebuilt on every request) and a (location_unit, created_at, id) index for one unit's list."
        )
    return ("\n" + "\n\n".join(out) + "\n") if out else ""


def before_after(figures: list[harness.Figures]) -> str:
    dash1, dash, lst1, lst, lst4, xls, _home = figures
    rows = [
        ("prefecture dashboard, 1 at a time", BEFORE["dashboard 1"], dash1.p95_ms, "—"),
        ("prefecture dashboard, 2 at a time", BEFORE["dashboard 2"], dash.p95_ms, "≤ 1000"),
        ("filtered project list, 1 at a time", BEFORE["list 1"], lst1.p95_ms, "—"),
        ("filtered project list, 2 at a time", BEFORE["list 2"], lst.p95_ms, "≤ 150"),
        ("filtered project list, 4 at a time", BEFORE["list 4"], lst4.p95_ms, "—"),
        ("region Excel report (slowest of 10)", BEFORE["excel max"], xls.max_ms, "≤ 5000"),
    ]
    out = ["| what | before | after | target |", "|---|---|---|---|"]
    out += [f"| {name} | {b:.0f} | {a:.0f} | {t} |" for name, b, a, t in rows]
    return "\n".join(out)


WHAT_WAS_DONE = """
What was done:

- Dashboard: the funds figures are read from the pre-aggregated table `investment_projectyearfunds` (one row
  per project, unit and year with the twelve monthly amounts and 区外 amounts and a bit per month with an
  entry; kept by the funds services in the entry's transaction, backfilled by migration 0004, rebuilt and
  verified by `qinqing investment_rebuild_aggregates`; docs/investment.md). For 昌吉州 the month-by-month
  series reads about 40,000 rows (this year and last, joined to the projects for the counting exclusions)
  instead of 400,000 funds entries. The year's breakdowns come from one statement: a CTE selects the
  year's 20,000 rows joined to the counted projects in scope once, six `GROUP BY`s over it are put together
  with UNION ALL, and the same statement returns the rows for the per-project sums of the top ten (added up
  in Python: a `GROUP BY project` of 20,000 numeric sums spilled to disk at the default `work_mem`). The
  rebuild writes rows in year and unit order, so one scope's year sits in about 500 heap pages.
  The stalled-projects list (20 oldest) reads a new (stage_since, id) index in order: 119 ms → 0.3 ms.
  EXPLAIN (ANALYZE, BUFFERS) on this database under the shared load: breakdown statement 0.2–0.5 s,
  monthly series 0.13–0.27 s (numeric sums of about 27,000 rows joined to the projects); the whole
  dashboard for 昌吉州 2026-10 took 0.3–0.65 s in process against 0.9–2.3 s for the old code run at the
  same moments on the same database. Every figure is unchanged: old and new dashboards were
  compared on this database for five periods and scopes (identical `repr` of every value), and
  tests/investment/test_aggregates.py compares table and dashboard with the raw entries after random
  sequences of service calls (funds created, changed, deleted; source, cluster, fiscal flag, investor type
  and amount edited; stages changed).
- Project list: the page and its COUNT filter by the scope's unit ids as a literal list
  (`queries.visible_projects`, the same rows as `visible_to`; one small query more, 11 in all): with the
  path-LIKE subquery PostgreSQL estimated one unit and nested loops over the project table per unit. The
  filter form's selects are written directly (`views.filter_fields`, the same markup as Django's widget
  templates), their model choices read with one plain query each (Django's choice iterator opens a
  server-side cursor on PostgreSQL: DECLARE … WITH HOLD, FETCH, CLOSE): rendering the unit, cluster and
  chain options through the template engine was most of the request. In process a request went from 90–240 ms (50–140 ms SQL) to 31–51 ms (7–17 ms SQL). With the
  SQL this small, no new (location_unit, created_at, id) index was added.
"""


if __name__ == "__main__":
    sys.exit(main())
