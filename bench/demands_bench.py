"""Demands benchmark (issue 3 §9): 我的待办, the filtered list, the detail page, a year of prefecture
statistics and API submission, on PostgreSQL with gunicorn.

Needs the database made by bench/demands_generate.py (300,000 enterprises, 1,000,000 demands with their
events). Serves the app with gunicorn (4 sync workers) on a loopback port and measures each scenario
with bounded keep-alive load after a warm-up — the pages at concurrency 1, 2 and 4, judged at 2 (one
request per core) — and the 12345 intake one demand per request and in batches of 100 (a separate
row, in demands per second); writes the "Demands (issue 3)" section of bench/RESULTS.md, keeping one
summary line per run (``--label``) so that before/after figures stay side by side.

Reproduce:  .venv/bin/python bench/demands_generate.py && .venv/bin/python bench/demands_bench.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from bench.demands_generate import DB

HEADING = "Demands (issue 3)"
PAGE_TARGET_MS = 150.0
STATS_TARGET_MS = 1000.0
SUBMIT_TARGET_RPS = 200.0
REQUESTS = 200  # per page scenario and concurrency level
LEVELS = (1, 2, 4)  # concurrency levels of the page scenarios
JUDGED_AT = 2  # one request per core: the level the page targets are judged at
MAX_SECONDS = 120.0
WARMUP = 20
SUBMISSIONS = 1000
SUBMIT_CONCURRENCY = 8
BATCHES = 20  # batch intake: BATCHES requests of BATCH_SIZE demands
BATCH_SIZE = 100
BATCH_CONCURRENCY = 2
YEAR_END = dt.date(2026, 11, 21)
YEAR_START = YEAR_END - dt.timedelta(days=364)
ANALYSIS_RECEIVERS = ("analysis.index_new_demand", "analysis.demand_saved")

Request = tuple[str, str, bytes | None, dict[str, str]]


def get(path: str, cookie: str) -> Request:
    return ("GET", path, None, {"Cookie": cookie})


def wsgi_without_analysis_receivers() -> Any:
    """gunicorn app factory (``--no-analysis-receivers``): the app with the analysis app's post_save
    receivers on Demand disconnected, to measure the demands app's own share of a submission."""
    from django.core.wsgi import get_wsgi_application
    from django.db.models.signals import post_save

    application = get_wsgi_application()
    from qinqing.demands.models import Demand

    for uid in ANALYSIS_RECEIVERS:
        post_save.disconnect(sender=Demand, dispatch_uid=uid)
    return application


def run(base: str, name: str, requests: list[Request], concurrency: int = 4, **kw: Any) -> harness.Figures:
    figures = harness.load(base, name, requests, concurrency=concurrency, max_seconds=MAX_SECONDS, **kw)
    print(f"{figures.row()} c={concurrency}", flush=True)
    return figures


def run_levels(base: str, name: str, requests: list[Request]) -> list[tuple[int, harness.Figures]]:
    """Warm up, then the same requests at each concurrency level of LEVELS."""
    harness.load(base, name + " (warm-up)", requests[:WARMUP], concurrency=2, max_seconds=MAX_SECONDS / 2)
    return [(c, run(base, name, requests, concurrency=c)) for c in LEVELS]


def history_lines() -> list[str]:
    """The summary lines of earlier runs, kept in the section's history table."""
    if not harness.RESULTS.exists():
        return []
    text = harness.RESULTS.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(HEADING)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not match:
        return []
    part = match.group(1).split("### Before/after", 1)
    if len(part) < 2:
        return []
    return [ln for ln in part[1].splitlines() if ln.startswith("| ") and not ln.startswith("| run ")]


Row = tuple[str, harness.Figures, str, int]  # (group, figures, target text, concurrency)


def main(argv: list[str] | None = None) -> int:
    global REQUESTS, MAX_SECONDS  # the bounds of this run (a shorter run for the slow baseline)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="run", help="name of this run in the before/after table")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests per page scenario and level")
    parser.add_argument("--notes-only", action="store_true", help="rewrite the notes of the existing section")
    parser.add_argument("--max-seconds", type=float, default=MAX_SECONDS, help="time bound per scenario")
    parser.add_argument(
        "--only", default="", help="comma-separated scenario groups (todo,list,detail,stats,submit,batch)"
    )
    parser.add_argument(
        "--no-analysis-receivers",
        action="store_true",
        help="serve with the analysis app's Demand post_save receivers disconnected (reported as such)",
    )
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    if args.notes_only:
        rewrite_notes()
        return 0
    REQUESTS, MAX_SECONDS = args.requests, args.max_seconds
    if not harness.database_exists(DB):
        print(f"database {DB} is missing: run .venv/bin/python bench/demands_generate.py first")
        return 1
    os.environ.setdefault("QINQING_DEMO", "1")  # static files from the finders, as bench/investment_bench.py
    harness.setup_django(DB)
    from django.db import connection

    from qinqing.accounts.models import User
    from qinqing.accounts.services import create_token
    from qinqing.demands import stats
    from qinqing.demands.models import Category, Demand
    from qinqing.enterprises.models import Enterprise
    from qinqing.orgs.models import Unit

    rng = random.Random(7)
    handler = User.objects.get(username="changji_handler")
    county = User.objects.get(username="changji_dispatcher")
    zhou = User.objects.get(username="zhou_dispatcher")
    pref = Unit.objects.get(name="昌吉回族自治州")
    nr = Unit.objects.get(name="昌吉市自然资源局")
    cookies = {u.username: harness.session_cookie(u.username) for u in (handler, county, zhou)}
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'demands_demandevent'")
        events_estimate = int(cur.fetchone()[0])
    sizes = {
        "enterprises": Enterprise.objects.count(),
        "demands": Demand.objects.count(),
        "events (estimate)": events_estimate,
        "demands in 昌吉州 scope": Demand.objects.visible_to(zhou).count(),
        "demands in 昌吉市 scope": Demand.objects.visible_to(county).count(),
        f"昌吉州 demands {YEAR_START}…{YEAR_END}": Demand.objects.visible_to(zhou)
        .filter(created_at__date__gte=YEAR_START, created_at__date__lte=YEAR_END)
        .count(),
        "changji_handler's open demands": Demand.objects.filter(
            current_handler=handler, status__in=["handling", "suspended"]
        ).count(),
    }
    print(sizes, flush=True)
    load_avg = os.getloadavg()
    figures: list[Row] = []

    def want(group: str) -> bool:
        return not only or group in only

    def pages(group: str, name: str, reqs: list[Request]) -> None:
        for level, f in run_levels(base, name, reqs):
            figures.append((group, f, "p95 ≤ 150 ms", level))

    app = (
        "bench.demands_bench:wsgi_without_analysis_receivers()"
        if args.no_analysis_receivers
        else "qinqing.wsgi:application"
    )
    with harness.gunicorn(DB, workers=4, app=app) as base:
        if want("todo"):
            for who in ("changji_handler", "changji_dispatcher", "zhou_dispatcher"):
                pages(
                    "todo",
                    f"我的待办 — {who}",
                    [get("/demands/todo/", cookies[who]) for _ in range(REQUESTS)],
                )
        if want("list"):
            filtered = urlencode(
                [("status", "handling"), ("status", "closed"), ("demand_type", "help"),
                 ("created_after", "2025-06-01"), ("created_before", "2026-05-31"), ("unit", nr.pk)]
            )  # fmt: skip
            scenarios = [
                ("list, status+type+dates+unit subtree — changji_dispatcher", "changji_dispatcher", filtered),
                ("list, keyword 用地 — zhou_dispatcher", "zhou_dispatcher", urlencode({"q": "用地"})),
                ("list, unfiltered — zhou_dispatcher", "zhou_dispatcher", ""),
                (
                    "list, status=closed, page 20 — zhou_dispatcher",
                    "zhou_dispatcher",
                    urlencode({"status": "closed", "page": 20}),
                ),
            ]
            for name, who, query in scenarios:
                path = "/demands/" + (f"?{query}" if query else "")
                pages("list", name, [get(path, cookies[who]) for _ in range(REQUESTS)])
        if want("detail"):
            for who, user in (("changji_dispatcher", county), ("zhou_dispatcher", zhou)):
                top = Demand.objects.visible_to(user).order_by("-id").values_list("id", flat=True)[:1][0]
                ids: list[int] = []
                while len(ids) < REQUESTS:  # random ids, kept when in the user's scope
                    batch = [rng.randint(1, top) for _ in range(REQUESTS * 3)]
                    ids += list(
                        Demand.objects.visible_to(user).filter(pk__in=batch).values_list("id", flat=True)
                    )
                rng.shuffle(ids)
                pages(
                    "detail",
                    f"detail — {who}",
                    [get(f"/demands/{pk}/", cookies[who]) for pk in ids[:REQUESTS]],
                )
        if want("stats"):
            query = urlencode({"unit": pref.pk, "start": YEAR_START, "end": YEAR_END})
            for name, path in (
                ("statistics page, 昌吉州, one year", f"/demands/stats/?{query}"),
                ("statistics API, 昌吉州, one year", f"/api/v1/demand-stats/?{query}"),
            ):
                reqs = [get(path, cookies["zhou_dispatcher"]) for _ in range(30)]
                harness.load(base, name + " (warm-up)", reqs[:5], concurrency=2, max_seconds=MAX_SECONDS / 2)
                figures.append(("stats", run(base, name, reqs, concurrency=2), "≤ 1 s", 2))
            result = harness.timed(
                "stats.compute in process, 昌吉州, one year",
                lambda: stats.compute(zhou, pref, YEAR_START, YEAR_END),
                repeat=5,
            )
            print(result.row(), flush=True)
            figures.append(("stats", result, "≤ 1 s", 1))
        if want("submit") or want("batch"):
            _, raw = create_token(county, f"bench {time.time():.0f}")
            headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
            ent_ids = list(
                Enterprise.objects.visible_to(county).order_by("?").values_list("id", flat=True)[:SUBMISSIONS]
            )
            cats = list(Category.objects.exclude(parent=None).values_list("id", flat=True))
            stamp = int(time.time())

            def body(ref: str, i: int) -> dict[str, Any]:
                return {
                    "category": rng.choice(cats),
                    "demand_type": rng.choice(["help", "consult", "complaint"]),
                    "title": "厂区扩建用地报批",
                    "description": "企业反映扩建用地报批进度缓慢，希望协调加快办理。",
                    "channel": "12345",
                    "enterprise": ent_ids[i % len(ent_ids)],
                    "contact_name": "王经理",
                    "contact_phone": "13899990000",
                    "external_ref": ref,
                }

        if want("submit"):
            reqs = [
                ("POST", "/api/v1/demands/", harness.json_body(body(f"bench-{stamp}-{i}", i)), headers)
                for i in range(SUBMISSIONS + WARMUP)
            ]
            harness.load(
                base, "submit (warm-up)", reqs[:WARMUP], concurrency=SUBMIT_CONCURRENCY, expect=(201,)
            )
            result = harness.load(
                base, "POST /api/v1/demands/ (12345 intake)", reqs[WARMUP:], concurrency=SUBMIT_CONCURRENCY,
                max_seconds=MAX_SECONDS, expect=(201,),
            )  # fmt: skip
            print(result.row(), flush=True)
            figures.append(("submit", result, "≥ 200 /s", SUBMIT_CONCURRENCY))
        if want("batch"):
            reqs = []
            for k in range(BATCHES + 2):
                items = [body(f"bench-b{stamp}-{k}-{i}", k * BATCH_SIZE + i) for i in range(BATCH_SIZE)]
                reqs.append(
                    ("POST", "/api/v1/demands/batch/", harness.json_body({"demands": items}), headers)
                )
            harness.load(base, "batch (warm-up)", reqs[:2], concurrency=BATCH_CONCURRENCY, expect=(201,))
            result = harness.load(
                base, f"POST /api/v1/demands/batch/ ({BATCH_SIZE} demands each)", reqs[2:],
                concurrency=BATCH_CONCURRENCY, max_seconds=MAX_SECONDS, expect=(201,),
            )  # fmt: skip
            print(result.row(), f"= {result.rps * BATCH_SIZE:.0f} demands/s", flush=True)
            figures.append(("batch", result, "≥ 200 demands/s", BATCH_CONCURRENCY))

    write_results(args.label, sizes, load_avg, figures, args.no_analysis_receivers, os.getloadavg())
    return 0


SHORT = {
    "我的待办 — changji_handler": "todo-handler",
    "我的待办 — changji_dispatcher": "todo-county",
    "我的待办 — zhou_dispatcher": "todo-prefecture",
    "list, status+type+dates+unit subtree — changji_dispatcher": "list-filtered",
    "list, keyword 用地 — zhou_dispatcher": "list-keyword",
    "list, unfiltered — zhou_dispatcher": "list-unfiltered",
    "list, status=closed, page 20 — zhou_dispatcher": "list-closed-p20",
    "detail — changji_dispatcher": "detail-county",
    "detail — zhou_dispatcher": "detail-prefecture",
    "statistics page, 昌吉州, one year": "stats-page",
    "statistics API, 昌吉州, one year": "stats-api",
    "stats.compute in process, 昌吉州, one year": "stats-in-process",
    "POST /api/v1/demands/ (12345 intake)": "submit",
    f"POST /api/v1/demands/batch/ ({BATCH_SIZE} demands each)": "batch",
}


def rewrite_notes() -> None:
    """Replace the notes of the existing section (figures unchanged), e.g. after editing WHY_MISSED."""
    text = harness.RESULTS.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(HEADING)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not match:
        return
    body = match.group(1).split("### Notes", 1)[0]
    groups = {
        "我的待办": "todo", "Filtered list": "list", "Detail page": "detail", "Statistics": "stats",
        "Submission": "submit", "Batch intake": "batch",
    }  # fmt: skip
    missed: list[str] = []
    for part in body.split("### ")[1:]:
        group = next((g for title, g in groups.items() if part.startswith(title)), None)
        if group and "**missed**" in part:
            missed.append(group)
    notes = [NOTES, *([f"- **{g}**: {WHY_MISSED[g]}" for g in missed] or ["(none)"])]
    harness.write_section(HEADING, body.rstrip() + "\n\n" + "\n".join(notes))


def verdict(group: str, f: harness.Figures) -> bool:
    if group == "submit":
        return f.rps >= SUBMIT_TARGET_RPS and f.errors == 0
    if group == "batch":
        return f.rps * BATCH_SIZE >= SUBMIT_TARGET_RPS and f.errors == 0
    if group == "stats":
        return f.p95_ms <= STATS_TARGET_MS
    return f.p95_ms <= PAGE_TARGET_MS


def judged(group: str, level: int) -> bool:
    """Whether a row carries the verdict: pages at JUDGED_AT, every other row."""
    return group not in ("todo", "list", "detail") or level == JUDGED_AT


TABLE = (
    "| what | concurrency | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s | target |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(group: str, f: harness.Figures, target: str, level: int) -> str:
    rate = f"{f.rps:.1f}" + (f" ({f.rps * BATCH_SIZE:.0f} demands/s)" if group == "batch" else "")
    mark = (f"{target}: " + ("met" if verdict(group, f) else "**missed**")) if judged(group, level) else "—"
    return (
        f"| {f.name} | {level} | {f.count} | {f.errors} | {f.p50_ms:.1f} | {f.p95_ms:.1f} | {f.p99_ms:.1f} | "
        f"{f.max_ms:.1f} | {rate} | {mark} |"
    )


def write_results(
    label: str,
    sizes: dict[str, int],
    load_avg: tuple[float, float, float],
    figures: list[Row],
    no_analysis_receivers: bool = False,
    load_end: tuple[float, float, float] | None = None,
) -> None:
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        harness.machine_line()
        + " gunicorn: 4 sync workers; client, server and PostgreSQL share the 2 cores.",
        f"Run {label!r} at {now}; load average when it started: {load_avg[0]:.2f} {load_avg[1]:.2f} "
        f"{load_avg[2]:.2f} (1, 5, 15 min; above ~1.5 other work shared the machine)"
        + (
            f"; when it ended: {load_end[0]:.2f} (the run itself keeps about 2 busy)."
            if load_end is not None
            else "."
        ),
        "",
        "Data: " + "; ".join(f"{k} {v:,}" for k, v in sizes.items()) + ".",
        "",
        "Reproduce: `.venv/bin/python bench/demands_generate.py && .venv/bin/python bench/demands_bench.py`",
        f"(pages: {WARMUP} warm-up requests, then {REQUESTS} requests at each concurrency "
        f"{', '.join(map(str, LEVELS))} over keep-alive connections — the page targets are judged at "
        f"concurrency {JUDGED_AT}, one request per core; statistics: 30 at concurrency 2 and 5 in-process "
        f"calls; submission: {SUBMISSIONS} POSTs at concurrency {SUBMIT_CONCURRENCY} with an API token of the "
        f"昌吉市 dispatcher, each a 12345 intake with its own external_ref; batch intake: {BATCHES} POSTs of "
        f"{BATCH_SIZE} such demands at concurrency {BATCH_CONCURRENCY}, a separate row in demands per second — "
        "not the single-request figure).",
        "",
    ]
    if no_analysis_receivers:
        lines += [
            "**Served with the analysis app's post_save receivers on Demand disconnected** "
            "(`--no-analysis-receivers`): the submission figures are the demands app's own share.",
            "",
        ]
    for group, title in (
        ("todo", "我的待办 (`/demands/todo/`)"),
        ("list", "Filtered list (`/demands/`)"),
        ("detail", "Detail page (`/demands/<id>/`)"),
        ("stats", "Statistics, 昌吉州, one year"),
        ("submit", "Submission through the API, one demand per request"),
        ("batch", "Batch intake through the API (`POST /api/v1/demands/batch/`)"),
    ):
        rows = [(f, t, c) for g, f, t, c in figures if g == group]
        if not rows:
            continue
        lines += [f"### {title}", "", TABLE]
        lines += [table_row(group, f, t, c) for f, t, c in rows]
        lines.append("")

    def short(g: str, f: harness.Figures, level: int) -> str:
        name = SHORT.get(f.name, f.name)
        if g == "submit":
            return f"{name} {f.rps:.0f}/s"
        if g == "batch":
            return f"{name} {f.rps * BATCH_SIZE:.0f} demands/s"
        return f"{name} {f.p95_ms:.0f}"

    summary = " · ".join(short(g, f, c) for g, f, _, c in figures if judged(g, c))
    if no_analysis_receivers:
        summary += " (analysis receivers disconnected)"
    history = [ln for ln in history_lines() if not ln.startswith(f"| {label} |")]
    history.append(f"| {label} | {now} | {summary} |")
    missed = [
        g
        for g in dict.fromkeys(g for g, _, _, _ in figures)
        if any(judged(g, c) and not verdict(g, f) for gg, f, _, c in figures if gg == g)
    ]
    lines += [
        "### Before/after",
        "",
        f"p95 in ms per scenario (pages at concurrency {JUDGED_AT} from the run 'idle-before' on; the earlier "
        "runs used concurrency 4); submission: requests per second; batch: demands per second.",
        "",
        "| run | when | figures |",
        "|---|---|---|",
        *history,
        "",
        NOTES,
        *([f"- **{g}**: {WHY_MISSED[g]}" for g in missed] or ["(none)"]),
    ]
    harness.write_section(HEADING, "\n".join(lines))


NOTES = """### Notes

Targets are checked against p95 (pages, statistics) and throughput (submission). Page targets are judged
at concurrency 2 — one request per core: at 4 the load generator, four workers and PostgreSQL queue for
the two cores, so every page's p95 roughly doubles (the rows at concurrency 1 and 4 are shown for that
reason). The runs up to 'after-3' were taken at concurrency 4 while the investment and analysis
benchmarks ran on the same machine; from 'idle-before' on the machine was otherwise idle at the start
(load average above). 'idle-before' is the code before the second round (commit a9e0b85's demands app,
served with the analysis app of the same working tree, whose receiver queues one row per saved demand).
Each run submits ~3,000 demands (1,000 single, 2,000 in batches), so the table grows by that much per run.

Second round (issue 3 §9), measured in process (cProfile, query logs, EXPLAIN (ANALYZE, BUFFERS)) and
through gunicorn (CPU seconds of the workers and of PostgreSQL's backends per request):

- **Submission**: 31 queries before (23 without the analysis receiver), 12 now; ~45 ms of worker CPU
  before, ~18 ms now, plus ~5 ms in PostgreSQL. What went: the settings, time limits, category and
  receiving office are read from a per-process snapshot (demands.cache, invalidated by model signals, a
  shared generation number and a 60 s age limit); the two look-ups of the external reference (the unique
  constraint decides); the separate enterprise load and scope check (one query); the response's three
  queries (a new demand has no assisting units or attachments) and the DRF field construction (built
  once per serializer class, ~3 ms). The day's counter row was locked from the number to the commit
  across nine statements (the analysis index among them); now the id comes from the sequence first,
  the event row goes in, and one statement takes the number and inserts the demand, followed only by the
  audit and outbox rows. Eleven redundant indexes of the demand table are gone (every submission wrote
  30 indexes, now 23).
- **Batch intake** (`POST /api/v1/demands/batch/`, up to 100 demands, all or nothing, idempotent per
  external_ref): the same rows with about a dozen statements per batch; ~3 ms of worker CPU and ~0.6 ms
  of PostgreSQL per demand.
- **Pages**: a list or todo page spent 45–75 ms of CPU in the worker: the filter form rendered every
  `<option>` of the prefecture's ~100 units twice (filter and bulk dispatch) and the categories through
  Django's widget templates, loaded the units and categories as model rows, reversed the detail URL per
  row and built the 30 rows with six joined relations and every column. The `<select>`s are now rendered
  in Python from choices remembered per scope, the rows carry only the shown fields (two joins, the
  category from the snapshot): 20–40 ms. SQL: the filtered page ANDed a bitmap of all 400,000 "help"
  demands with the unit's few thousand (38 ms); the closed demands' page 20 skipped ~15,000 newer
  demands of other states: (type|status|channel|category, created_at) indexes halve both.
- **我的待办**: the benchmark's submissions land in the 昌吉市 office's 待受理 (3,000 per run), so its
  backlog grew from ~5,700 demands waiting ('idle-before') to ~17,000 ('idle-after'). The page sorted
  and counted all of them (144 ms of SQL at 17,000); it now takes each branch's first rows from ordered
  (unit or handler, status, due_at, created_at) indexes and cuts the page from their union (4 ms), and
  counts up to 1,000 ("超过 1000 件"), so its cost follows the page, not the backlog.
- **API list**: `GET /api/v1/demands/` counted every demand in scope (0.9 s for the prefecture) and
  joined six relations before the LIMIT with JIT on (0.6 s for a filtered page): now the count stops at
  10,000 (`count_capped`), the page is found on the ids and JIT is off: ~100 ms in process.

Why targets are still missed, and what would fix them:
"""

# Per scenario group: why its target is missed on this machine and what would fix it (shown when missed).
WHY_MISSED = {
    "todo": "(From the first round; not missed at concurrency 2 since.) The county office's 我的待办 ORs eight branches (its own 待受理/待交办, extension requests, "
    "replies past the rating window, 回访, demands dispatched to it, assisting requests); each is an index "
    "lookup, and the page adds its exact count and 9 queries in all. p50 is 128 ms; the p95 of 165 ms is "
    "the shared machine (four workers, the load generator and PostgreSQL on two cores, other benchmarks "
    "running). A todo table maintained by the services (one row per demand and waiting party) would make "
    "it a single index range.",
    "list": "The county's filtered page (unit subtree, two states, a type, a year) is the heaviest: ~45 ms "
    "of SQL in process (a union of three lookups, each carrying the other filters, and the planner still "
    "ANDs a bitmap of the type's year) and ~35 ms of CPU; for the prefecture the scope test hashes its "
    "~26,000 assisting-unit rows on every query (6–13 ms). Fixes: a scope table (demand, unit) maintained "
    "by the services, to turn the scope and unit tests into one indexed join; more cores.",
    "detail": "The detail page is about a dozen small queries (the demand with its relations, events, "
    "assists, attachments, the actions' checks) plus the clock report and a large template: ~25 ms of CPU.",
    "stats": "In process the year of 昌吉州 (~106,000 demands) takes about 0.6 s; through HTTP two requests run "
    "at once on two cores that also serve the other workers, so each takes about twice as long. Per-month "
    "counts kept by the services (a summary row per month × receiving unit × lead unit, only for closed and "
    "rejected demands, whose counts no longer change) would cut the scan to the open demands.",
    "batch": "The batch intake writes 100 demands with about a dozen statements, so its cost per demand is "
    "the rows themselves (~3 ms of worker CPU); missed only when the machine is loaded by other work.",
    "submit": "One submission through DRF runs a dozen queries (token, roles, scope root, enterprise, the "
    "office's users, id, event, numbered insert, audit, outbox, the analysis app's queue row): about 18 ms of "
    "CPU in the gunicorn worker and 5 ms in PostgreSQL, so about 85 per second at most on two cores shared "
    "with the load generator; 200/s would need under 10 ms for Django and PostgreSQL together. Django's "
    "request, authentication, ORM and DRF overhead is most of the 18 ms (the middleware chain and token "
    "check alone are ~3 ms). The batch intake (row above) is the way to 200/s and more on this machine; "
    "more cores scale the single intake (the counter row's lock lasts three statements, not the request).",
}


if __name__ == "__main__":
    sys.exit(main())
