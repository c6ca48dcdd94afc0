"""In-process profile of the side-by-side benchmark's create scenario (issue 8): N submissions through the
Django test client, the same body and token authentication as ``qq_side.py``'s ``create_api``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_scratch \\
        .venv/bin/python bench/peer/profile_create.py -n 300 [--profile 30] [--sql]

Prints, per POST: the worker's CPU (``time.process_time``), the wall time, the queries (one request
captured after the timed ones), and the CPU the PostgreSQL backend of this process used (utime+stime
from /proc, when readable). ``--profile K`` runs the same N requests again under cProfile (timed by the
process's CPU clock, so waits on PostgreSQL do not count) and prints
the top K functions by own time and by cumulative time. The demands it creates (external_ref
``peerbench-prof-…``) are deleted at the end and the analysis queue drained (as ``qq_side.py cleanup``
does), and its token is deleted too.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ENV = {
    "DJANGO_SETTINGS_MODULE": "qinqing.settings",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "ADMIN_TOTP_REQUIRED": "0",
    "LOG_LEVEL": "WARNING",
    "QINQING_DEMO": "1",
    "RATE_LIMITS_ENABLED": "0",  # as the benchmark's wrk run needs: 600/min per token would refuse it
}


def backend_cpu(pid: int | None) -> float:
    """utime+stime of the PostgreSQL backend PID in seconds (0 when /proc is not readable)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="timed requests (after 30 warm-up ones)")
    parser.add_argument("--user", default="changji_dispatcher")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="cProfile top K functions")
    parser.add_argument("--dump", default="", metavar="FILE", help="write the cProfile stats to FILE")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    parser.add_argument("--keep", action="store_true", help="keep the created demands")
    args = parser.parse_args()
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    import qq_side
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qinqing.accounts.models import ApiToken, User
    from qinqing.accounts.services import create_token
    from qinqing.demands.models import Category, Demand
    from qinqing.enterprises.models import Enterprise

    user = User.objects.get(username=args.user)
    token, raw = create_token(user, f"profile_create {time.time():.0f}")
    enterprise = Enterprise.objects.visible_to(user).order_by("id").values_list("id", flat=True)[0]
    category = Category.objects.exclude(parent=None).filter(is_active=True).order_by("id")[0].pk
    prep: dict[str, Any] = {
        "open_statuses": [],
        "list_unit": {"id": 0},
        "prefecture_id": 0,
        "year_start": "",
        "year_end": "",
        "detail_ids": [],
        "category_id": category,
        "enterprise_id": enterprise,
    }
    sc = qq_side.scenarios(prep)["create_api"]
    client = Client(SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    stamp = f"prof-{time.time():.0f}"
    seq = iter(range(10**9))

    def post() -> Any:
        body = sc["body"].replace("{seq}", f"{stamp}-{next(seq)}")
        r = client.post(sc["path"], data=body, content_type="application/json", **headers)
        if r.status_code != sc["expect"] or sc["marker"].encode() not in r.content:
            raise SystemExit(f"unexpected answer {r.status_code}: {r.content[:300]!r}")
        return r

    def timed(n: int) -> tuple[list[float], list[float], float]:
        pid = connection.connection.info.backend_pid if connection.vendor == "postgresql" else None
        cpu, wall = [], []
        pg0 = backend_cpu(pid)
        for _ in range(n):
            c, w = time.process_time(), time.perf_counter()
            post()
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        return cpu, wall, backend_cpu(pid) - pg0

    try:
        for _ in range(30):
            post()
        cpu, wall, pg = timed(args.n)
        with CaptureQueriesContext(connection) as ctx:
            post()
        statements = [q["sql"] for q in ctx.captured_queries]
        verbs = [s for s in statements if s.split()[0] not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
        print(
            f"{connection.vendor}: {args.n} POSTs  CPU {statistics.mean(cpu) * 1000:.2f} ms/req "
            f"(median {statistics.median(cpu) * 1000:.2f})  wall {statistics.mean(wall) * 1000:.2f} ms/req  "
            f"PostgreSQL backend {pg / args.n * 1000:.2f} ms/req  "
            f"{len(verbs)} queries ({len(statements)} statements with transaction control)  "
            f"load {Path('/proc/loadavg').read_text().split()[0]}",
            flush=True,
        )
        if args.sql:
            for s in statements:
                print("  ", s[:240])
        if args.profile:
            prof = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
            prof.enable()
            for _ in range(args.n):
                post()
            prof.disable()
            if args.dump:
                prof.dump_stats(args.dump)
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(order).print_stats(args.profile)
                print(out.getvalue())
    finally:
        if not args.keep:
            n, _ = Demand.objects.filter(external_ref__startswith=qq_side.REF_PREFIX + stamp).delete()
            print(f"removed {n} rows created by the profile")
            from qinqing.analysis import facts  # as qq_side.py cleanup: drain what the deletes queued

            print(f"analysis queue: {facts.process_queue()} entries processed")
        ApiToken.objects.filter(pk=token.pk).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
