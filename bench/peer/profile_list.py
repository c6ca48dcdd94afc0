"""The list-data and detail workloads of issue 8 in process: the exact requests of bench/peer/qq_side.py
(``list_json``: open demands of 昌吉州, 25 rows; ``list_json_shape``: its rejected demands; ``detail``: a
demand page of 昌吉州's scope), as zhou_dispatcher with a session cookie, through the Django test client
against a database of the benchmark cluster (port 5433).

Per request: ms wall, ms CPU of this process and of the PostgreSQL backend serving it (from /proc, both on
this machine), the number of queries and their summed time; medians of --repeat requests after a warm-up
(the detail rotates over --ids demands of the scope). The floor of each list request: its SELECTs run
again on the same connection, EXPLAIN (ANALYZE) execution + planning time summed, and the same statements
timed as plain executions (what psql's \\timing measures, minus the client). ``--profile NAME`` prints the
cProfile of NAME's requests (cumulative, top --top lines).

    .venv/bin/python bench/peer/profile_list.py --db qq_peer_100k
    .venv/bin/python bench/peer/profile_list.py --db qq_peer_1m --profile detail --explain
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

TICKS = os.sysconf("SC_CLK_TCK")
NAMES = ("list_json", "list_json_shape", "detail")


def _proc_cpu(pid: int) -> float:
    """utime + stime of PID in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _prep(n_ids: int) -> dict[str, Any]:
    """What qq_side.scenarios needs for these three requests (no token, no create body)."""
    from qinqing.accounts.models import User
    from qinqing.demands.models import OPEN_STATUSES, Category, Demand
    from qinqing.enterprises.models import Enterprise
    from qinqing.orgs.models import Unit

    zhou = User.objects.get(username="zhou_dispatcher")
    pref = Unit.objects.get(name="昌吉回族自治州")
    rng = random.Random(8)
    top = Demand.objects.order_by("-id").values_list("id", flat=True)[:1][0]
    ids: list[int] = []
    while len(ids) < n_ids:
        batch = [rng.randint(1, top) for _ in range(3 * n_ids)]
        ids += list(Demand.objects.visible_to(zhou).filter(pk__in=batch).values_list("id", flat=True))
    return {
        "open_statuses": [str(s) for s in OPEN_STATUSES],
        "list_unit": {"id": pref.pk},
        "prefecture_id": pref.pk,
        "year_start": "2026-01-01",
        "year_end": "2026-12-31",
        "detail_ids": ids[:n_ids],
        "enterprise_id": Enterprise.objects.order_by("id").values_list("id", flat=True)[:1][0],
        "category_id": Category.objects.order_by("id").values_list("id", flat=True)[:1][0],
    }


def _floor(statements: list[str], repeat: int) -> tuple[float, float]:
    """(EXPLAIN ANALYZE planning + execution ms, plain execution ms) of the SELECTs, medians of REPEAT."""
    from django.db import connection

    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    explained: list[float] = []
    plain: list[float] = []
    with connection.cursor() as cursor:
        for i in range(repeat + 1):
            total = 0.0
            for s in selects:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + s)
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                total += float(plan[0]["Planning Time"]) + float(plan[0]["Execution Time"])
            t = time.perf_counter()
            for s in selects:
                cursor.execute(s)
                cursor.fetchall()
            if i:
                explained.append(total)
                plain.append((time.perf_counter() - t) * 1000)
    return statistics.median(explained), statistics.median(plain)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", required=True, help="a Qinqing database on the benchmark cluster")
    parser.add_argument("--port", default=os.environ.get("PEER_PGPORT", "5433"))
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--ids", type=int, default=50, help="detail: demands to rotate over")
    parser.add_argument("--only", default="", help=",".join(NAMES))
    parser.add_argument("--profile", default="", help="cProfile of this request")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--explain", action="store_true", help="print the plans of the list SELECTs")
    parser.add_argument("--sql", action="store_true", help="print every statement of each request")
    args = parser.parse_args(argv)
    os.environ.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{args.port}/{args.db}",
            "DJANGO_SETTINGS_MODULE": "qinqing.settings",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ADMIN_TOTP_REQUIRED": "0",
            "LOG_LEVEL": "WARNING",
            "QINQING_DEMO": "1",
        }
    )
    import django

    django.setup()
    import qq_side
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qinqing.demands.models import Demand

    prep = _prep(args.ids)
    scenarios = qq_side.scenarios(prep)
    cookie = qq_side.session_cookie("zhou_dispatcher")
    print(
        f"{args.db}: {Demand.objects.count():,} demands; load {Path('/proc/loadavg').read_text().split()[:3]}",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for name in NAMES:
        if args.only and name not in args.only.split(","):
            continue
        sc = scenarios[name]
        client = Client(SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")
        key, value = cookie.split("=", 1)
        client.cookies[key] = value
        ids = list(sc.get("ids") or [0])
        rows: list[tuple[float, float, float, float, int]] = []
        captured: list[dict[str, Any]] = []
        slowest: tuple[float, float, list[tuple[float, str]]] | None = None
        profiler = cProfile.Profile() if args.profile == name else None
        body = b""
        for i in range(args.repeat + 1):  # the first is a warm-up
            path = sc["path"].replace("{id}", str(ids[i % len(ids)]))
            with CaptureQueriesContext(connection) as ctx:
                if profiler and i:
                    profiler.enable()
                pg0, cpu0, t0 = _proc_cpu(backend), time.process_time(), time.perf_counter()
                response = client.get(path)
                wall, cpu, pg = time.perf_counter() - t0, time.process_time() - cpu0, _proc_cpu(backend) - pg0
                if profiler and i:
                    profiler.disable()
            body = response.content
            assert response.status_code == 200 and sc["marker"] in body.decode(), (name, response.status_code)
            if i:
                sql = sum(float(q["time"]) for q in ctx.captured_queries)
                rows.append((wall * 1000, cpu * 1000, pg * 1000, sql * 1000, len(ctx.captured_queries)))
                captured = list(ctx.captured_queries)
                if slowest is None or wall * 1000 > slowest[0]:
                    slowest = (
                        wall * 1000,
                        cpu * 1000,
                        [(float(q["time"]) * 1000, q["sql"]) for q in captured],
                    )
        med = [statistics.median(r[k] for r in rows) for k in range(5)]
        walls = sorted(r[0] for r in rows)
        if len(walls) >= 20 and slowest is not None:
            p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
            top = max(slowest[2], default=(0.0, ""))
            print(
                f"{name:15s} wall p95 {p95:.1f} ms, slowest {slowest[0]:.1f} ms ({slowest[1]:.1f} ms CPU here; "
                f"its slowest query {top[0]:.1f} ms: {top[1][:90]})",
                flush=True,
            )
        extra = ""
        if name.startswith("list_json"):
            data = json.loads(body)
            extra = f"; count {data['count']}{'+' if data['count_capped'] else ''}"
        print(
            f"{name:15s} {med[0]:6.1f} ms wall, {med[1]:6.1f} ms CPU here, {med[2]:5.1f} ms PostgreSQL CPU, "
            f"{int(med[4])} queries taking {med[3]:.1f} ms (median of {args.repeat}){extra}",
            flush=True,
        )
        if args.sql:
            for q in captured:
                print(f"    {float(q['time']) * 1000:6.2f} ms  {q['sql'][:300]}")
        if name.startswith("list_json"):
            statements = [q["sql"] for q in captured]
            explained, plain = _floor(statements, 5)
            print(
                f"{'':15s} floor: SELECTs {explained:.2f} ms by EXPLAIN ANALYZE, {plain:.2f} ms executed "
                f"again on this connection; request ÷ floor {med[0] / plain:.2f}×",
                flush=True,
            )
            if args.explain:
                heaviest = sorted(captured, key=lambda q: -float(q["time"]))[:2]
                for q in heaviest:
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                        plan = [r[0] for r in cursor.fetchall()]
                    print("    --- EXPLAIN ANALYZE of", q["sql"][:200])
                    for line in plan[:60]:
                        print("      " + line)
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
