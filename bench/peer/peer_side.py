"""django-helpdesk's side of the side-by-side benchmark (run with the peer's virtualenv, /tmp/peer/venv).

    peer_side.py scenarios --gen GEN.json          the scenarios as JSON (paths, markers, bodies)
    peer_side.py inproc --gen GEN.json --out F     in-process query counts and SQL/Python split (test client)
    peer_side.py cleanup --db DB --gen GEN.json    delete the tickets the create scenario added

Scenarios as in ../shared/peer-helpdesk/bench.py (the harness this directory was copied from).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time

SCRATCH = os.environ.get("PEER_SCRATCH", "/tmp/peer")  # noqa: S108 - the scratch directory


def datatables_path(queue_id: int) -> str:
    # Exactly what ticket_list.html embeds for ?queue=Q&status=1 and DataTables then requests.
    q = {
        "filtering": {"queue__id__in": [queue_id], "status__in": [1]},
        "filtering_null": {},
        "sorting": "created",
        "sortreverse": None,
        "search_string": "",
    }
    b64 = base64.b64encode(json.dumps(q).encode()).decode()
    return f"/helpdesk/datatables_ticket_list/{b64}?draw=1&start=0&length=25"


def scenarios(gen: dict) -> dict:
    qid = gen["bench_queue_id"]
    create_queue = int(min(gen["queue_sizes"], key=gen["queue_sizes"].get))
    body = json.dumps(
        {
            "queue": create_queue,
            "title": "Load test: cannot print from the new laptop",
            "description": "Created by the load test. The printer on floor 2 rejects jobs.",
            "submitter_email": "loadtest@example.com",
            "priority": 3,
        }
    )
    return {
        "list_json": dict(path=datatables_path(qid), marker='"queue": {"title": "'),
        "list_html": dict(path=f"/helpdesk/tickets/?queue={qid}&status=1", marker="datatables_ticket_list/"),
        "detail": dict(path="/helpdesk/tickets/{id}/", id_max=gen["tickets"], marker="Ticket Opened"),
        "dashboard": dict(path="/helpdesk/dashboard/", marker="Tickets &lt; 30 days"),
        "create_api": dict(
            path="/helpdesk/api/tickets/",
            method="POST",
            body=body,
            expect=201,
            marker='"Ticket Opened"',
            auth="session+csrf",
        ),
    }


def inproc(a) -> int:
    sys.path.insert(0, os.environ.get("PEER_PROJECT", os.path.join(SCRATCH, "proj")))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with open(a.gen) as f:
        gen = json.load(f)
    user = get_user_model().objects.get(username="agent01")
    c = Client(SERVER_NAME="127.0.0.1", enforce_csrf_checks=False)
    c.force_login(user)
    out = {}
    for name, sc in scenarios(gen).items():
        if name in a.skip.split(","):
            continue
        path = sc["path"].replace("{id}", str(gen["tickets"] // 2))
        times = []
        for i in range(a.repeat + 1):  # the first is a warm-up
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                if sc.get("method") == "POST":
                    r = c.post(path, data=sc["body"], content_type="application/json")
                else:
                    r = c.get(path)
                total = time.perf_counter() - t
            if i:
                times.append((total, sum(float(q["time"]) for q in ctx.captured_queries)))
        times.sort()
        total, sql = times[len(times) // 2]
        out[name] = {
            "status": r.status_code,
            "queries": len(ctx.captured_queries),
            "total_ms": round(total * 1000, 1),
            "sql_ms": round(sql * 1000, 1),
            "python_ms": round((total - sql) * 1000, 1),
            "statements": [q["sql"] for q in ctx.captured_queries],
        }
        print(
            f"{name:11s} HTTP {r.status_code} {len(ctx.captured_queries):3d} queries  total {total * 1000:8.1f} ms  "
            f"SQL {sql * 1000:8.1f} ms",
            flush=True,
        )
    with open(a.out, "w") as f:
        json.dump(out, f)
    return 0


def cleanup(a) -> int:
    import psycopg

    with open(a.gen) as f:
        n = json.load(f)["tickets"]
    with (
        psycopg.connect(host="127.0.0.1", port=a.port, user="postgres", dbname=a.db) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(
            "DELETE FROM helpdesk_ticketchange WHERE followup_id IN "
            "(SELECT id FROM helpdesk_followup WHERE ticket_id > %s)",
            (n,),
        )
        cur.execute("DELETE FROM helpdesk_followup WHERE ticket_id > %s", (n,))
        cur.execute("DELETE FROM helpdesk_ticketcc WHERE ticket_id > %s", (n,))
        cur.execute("DELETE FROM helpdesk_ticket WHERE id > %s", (n,))
        print(f"removed {cur.rowcount} tickets created by the benchmark")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("scenarios")
    p.add_argument("--gen", required=True)
    p = sub.add_parser("inproc")
    p.add_argument("--gen", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip", default="")
    p = sub.add_parser("cleanup")
    p.add_argument("--gen", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--port", type=int, default=int(os.environ.get("PGPORT", "5433")))
    a = ap.parse_args()
    if a.cmd == "scenarios":
        with open(a.gen) as f:
            print(json.dumps(scenarios(json.load(f))))
        return 0
    return {"inproc": inproc, "cleanup": cleanup}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
