"""The two dashboard workloads of issue 8 in process: the leader dashboard (/analysis/, 领导驾驶舱, as
zhou_leader) and a year of prefecture statistics (/demands/stats/, as zhou_dispatcher), 昌吉州, the last
365 days ending on the newest demand's day (as bench/peer/qq_side.py requests them), through the Django
test client against a database of the benchmark cluster (port 5433).

Per page: ms per request (wall, and CPU of this process and of the PostgreSQL backend serving it — read
from /proc, both on this machine), the number of queries and their summed time, the heaviest statements
with EXPLAIN ANALYZE. Medians of --repeat requests after one warm-up. ``--cold`` clears the dashboard
cache before every request (the cost of the first request after a fact update).

    .venv/bin/python bench/peer/profile_dashboard.py --db qq_peer_100k
    .venv/bin/python bench/peer/profile_dashboard.py --db qq_peer_1m --cold --explain 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """utime + stime of PID in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a Qinqing database on the benchmark cluster")
    parser.add_argument("--port", default=os.environ.get("PEER_PGPORT", "5433"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="clear the cache before every request")
    parser.add_argument("--explain", type=int, default=2, help="EXPLAIN ANALYZE of the N heaviest statements")
    parser.add_argument("--only", default="", help="dashboard,stats")
    parser.add_argument("--profile", action="store_true", help="cProfile of one more request: top functions")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (cumulative, tottime)")
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
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qinqing.accounts.models import User
    from qinqing.analysis import facts
    from qinqing.demands.models import Demand
    from qinqing.orgs.models import Unit

    pending = facts.pending_ids(limit=50_000)
    if pending is None or pending:
        print(f"pending demands: {'> 50,000' if pending is None else len(pending)}; running the queue job")
        if pending is None:
            facts.rebuild()
        else:
            facts.process_queue()
    pref = Unit.objects.get(name="昌吉回族自治州")
    latest = Demand.objects.order_by("-created_at").values_list("created_at", flat=True)[:1][0]
    end = latest.astimezone(dt.UTC).date()
    year = {"unit": pref.pk, "start": str(end - dt.timedelta(days=364)), "end": str(end)}
    pages = {
        "dashboard": (f"/analysis/?{urlencode(year)}", "zhou_leader", 'id="chart-trend"'),
        "stats": (f"/demands/stats/?{urlencode(year)}", "zhou_dispatcher", 'id="totals"'),
    }
    print(
        f"{args.db}: {Demand.objects.count():,} demands; 昌吉州 {year['start']} – {year['end']}; "
        f"load {Path('/proc/loadavg').read_text().split()[:3]}",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for name, (path, who, marker) in pages.items():
        if args.only and name not in args.only.split(","):
            continue
        client = Client()
        client.force_login(User.objects.get(username=who))
        rows: list[tuple[float, float, float, float, int]] = []
        captured: list[dict[str, Any]] = []
        for i in range(args.repeat + 1):  # the first is a warm-up
            if args.cold:
                cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                pg0, cpu0, t0 = _proc_cpu(backend), time.process_time(), time.perf_counter()
                response = client.get(path)
                wall, cpu, pg = time.perf_counter() - t0, time.process_time() - cpu0, _proc_cpu(backend) - pg0
            assert response.status_code == 200 and marker in response.content.decode(), (
                name,
                response.status_code,
            )
            if i:
                sql = sum(float(q["time"]) for q in ctx.captured_queries)
                rows.append((wall * 1000, cpu * 1000, pg * 1000, sql * 1000, len(ctx.captured_queries)))
                captured = list(ctx.captured_queries)
        med = [statistics.median(r[k] for r in rows) for k in range(5)]
        print(
            f"{name:9s} {'cold' if args.cold else 'warm'}: {med[0]:7.1f} ms wall, {med[1]:6.1f} ms CPU here, "
            f"{med[2]:6.1f} ms PostgreSQL CPU, {int(med[4])} queries taking {med[3]:.1f} ms "
            f"(median of {args.repeat})",
            flush=True,
        )
        if args.profile:
            import cProfile
            import pstats

            if args.cold:
                cache.clear()
            prof = cProfile.Profile()
            prof.runcall(client.get, path)
            pstats.Stats(prof).sort_stats(args.sort).print_stats(45)
        heaviest = sorted(captured, key=lambda q: -float(q["time"]))[: max(args.explain, 5)]
        for q in heaviest[:5]:
            print(f"    {float(q['time']) * 1000:7.1f} ms  {' '.join(q['sql'].split())[:150]}")
        for q in heaviest[: args.explain]:
            if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + q["sql"])
                plan = [r[0] for r in cursor.fetchall()]
            print("    --- EXPLAIN ANALYZE of", q["sql"][:80])
            for line in plan[:40]:
                print("      " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
