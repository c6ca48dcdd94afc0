"""Qinqing's side of the side-by-side benchmark (run with Qinqing's virtualenv, DATABASE_URL set).

    qq_side.py prepare --out FILE   users' sessions, an API token, the list unit, detail ids, the bodies
    qq_side.py inproc --prep FILE   in-process query counts and SQL/Python split per scenario (test client)
    qq_side.py cleanup              delete the demands the create scenario added (external_ref peerbench-…)

The scenarios (paths, markers, who) are defined here once and used by run.py for wrk and by ``inproc``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from typing import Any
from urllib.parse import urlencode

REF_PREFIX = "peerbench-"
LIST_SIZE = 25


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    import django

    django.setup()


def session_cookie(username: str) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username=username)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["qq_last_seen"] = int(time.time()) + 86400  # the idle clock will not expire during the run
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def count_filter(params: list[tuple[str, Any]]) -> int:
    from django.test import RequestFactory

    from qinqing.accounts.models import User
    from qinqing.demands.filters import DemandFilter
    from qinqing.demands.models import Demand

    user = User.objects.get(username="zhou_dispatcher")
    req = RequestFactory().get("/", params)
    req.user = user
    return int(DemandFilter(req.GET, queryset=Demand.objects.visible_to(user), request=req).qs.count())


def scenarios(prep: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from_statuses = [("status", s) for s in prep["open_statuses"]]
    unit = prep["list_unit"]["id"]
    year = {"unit": prep["prefecture_id"], "start": prep["year_start"], "end": prep["year_end"]}
    list_q = urlencode([("unit", unit), *from_statuses])
    shape_q = urlencode([("unit", unit), ("status", "rejected")])
    body = json.dumps(
        {
            "category": prep["category_id"],
            "demand_type": "help",
            "title": "厂区扩建用地报批",
            "description": "企业反映扩建用地报批进度缓慢，希望协调加快办理。",
            "channel": "12345",
            "enterprise": prep["enterprise_id"],
            "contact_name": "王经理",
            "contact_phone": "13899990000",
            "external_ref": REF_PREFIX + "{seq}",
        },
        ensure_ascii=False,
    )
    return {
        "list_json": dict(
            path=f"/api/v1/demands/?{list_q}&page_size={LIST_SIZE}",
            marker='"number":"SQ',
            who="zhou_dispatcher",
        ),
        "list_json_shape": dict(
            path=f"/api/v1/demands/?{shape_q}&page_size={LIST_SIZE}",
            marker='"number":"SQ',
            who="zhou_dispatcher",
        ),
        "list_html": dict(path=f"/demands/?{list_q}", marker="SQ20", who="zhou_dispatcher"),
        "detail": dict(
            path="/demands/{id}/", ids=prep["detail_ids"], marker='id="timeline"', who="zhou_dispatcher"
        ),
        "dashboard": dict(path=f"/analysis/?{urlencode(year)}", marker='id="chart-trend"', who="zhou_leader"),
        "stats": dict(path=f"/demands/stats/?{urlencode(year)}", marker='id="totals"', who="zhou_dispatcher"),
        "create_api": dict(
            path="/api/v1/demands/", method="POST", body=body, expect=201, marker='"number":"SQ', auth="token"
        ),
    }


def prepare(args: argparse.Namespace) -> int:
    from qinqing.accounts.models import User
    from qinqing.accounts.services import create_token
    from qinqing.demands.models import OPEN_STATUSES, Category, Demand
    from qinqing.enterprises.models import Enterprise
    from qinqing.orgs.models import Unit

    zhou = User.objects.get(username="zhou_dispatcher")
    county = User.objects.get(username="changji_dispatcher")
    pref = Unit.objects.get(name="昌吉回族自治州")
    rng = random.Random(8)
    top = Demand.objects.order_by("-id").values_list("id", flat=True)[:1][0]
    ids: list[int] = []
    while len(ids) < 2000:  # random ids in the user's scope (the peer: random among all, all visible)
        batch = [rng.randint(1, top) for _ in range(3000)]
        ids += list(Demand.objects.visible_to(zhou).filter(pk__in=batch).values_list("id", flat=True))
    rng.shuffle(ids)
    _, raw = create_token(county, f"peer bench {time.time():.0f}")
    ent = Enterprise.objects.visible_to(county).order_by("id").values_list("id", flat=True)[:1][0]
    latest = Demand.objects.order_by("-created_at").values_list("created_at", flat=True)[:1][0]
    end = latest.astimezone(dt.UTC).date()
    prep = {
        "cookies": {u: session_cookie(u) for u in ("zhou_dispatcher", "zhou_leader")},
        "token": raw,
        "list_unit": {
            "id": pref.pk,
            "name": pref.name,
            "total": count_filter([("unit", pref.pk)]),
            "open": count_filter([("unit", pref.pk)] + [("status", s) for s in OPEN_STATUSES]),
            "rejected": count_filter([("unit", pref.pk), ("status", "rejected")]),
        },
        "open_statuses": [str(s) for s in OPEN_STATUSES],
        "prefecture_id": pref.pk,
        "year_start": str(end - dt.timedelta(days=364)),
        "year_end": str(end),
        "detail_ids": ids[:2000],
        "enterprise_id": ent,
        "category_id": Category.objects.exclude(parent=None).filter(is_active=True).order_by("id")[0].pk,
        "demands": Demand.objects.count(),
        "year_demands_prefecture": Demand.objects.visible_to(zhou)
        .filter(created_at__date__gte=end - dt.timedelta(days=364), created_at__date__lte=end)
        .count(),
    }
    with open(args.out, "w") as f:
        json.dump(prep, f, ensure_ascii=False)
    print(
        json.dumps(
            {k: v for k, v in prep.items() if k not in ("detail_ids", "cookies", "token")}, ensure_ascii=False
        )
    )
    return 0


def inproc(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with open(args.prep) as f:
        prep = json.load(f)
    out: dict[str, Any] = {}
    for name, sc in scenarios(prep).items():
        if args.only and name not in args.only.split(","):
            continue
        c = Client(SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")
        headers: dict[str, str] = {}
        if sc.get("auth") == "token":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {prep['token']}"
        else:
            key, value = prep["cookies"][sc["who"]].split("=", 1)
            c.cookies[key] = value
        path = sc["path"].replace("{id}", str(sc["ids"][0]) if sc.get("ids") else "")
        times = []
        for i in range(args.repeat + 1):  # the first is a warm-up
            body = sc.get("body", "").replace("{seq}", f"inproc-{time.time():.0f}-{i}")
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                if sc.get("method") == "POST":
                    r = c.post(path, data=body, content_type="application/json", **headers)
                else:
                    r = c.get(path, **headers)
                total = time.perf_counter() - t
            assert r.status_code == sc.get("expect", 200), (name, r.status_code, r.content[:300])
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
            f"{name:11s} {len(ctx.captured_queries):3d} queries  total {total * 1000:7.1f} ms  SQL {sql * 1000:7.1f} ms",
            flush=True,
        )
    del settings
    with open(args.out, "w") as f:
        json.dump(out, f, ensure_ascii=False)
    return 0


def cleanup(args: argparse.Namespace) -> int:
    from qinqing.analysis import facts
    from qinqing.demands.models import Demand

    n, _ = Demand.objects.filter(external_ref__startswith=REF_PREFIX).delete()
    # What the periodic job analysis.process_queue (every 10 s) would have done before the dashboards run:
    # with thousands of queued ids the dashboard would fall back to its live computation.
    drained = facts.process_queue()
    print(f"removed {n} rows created by the benchmark; {drained} analysis queue entries processed")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", required=True)
    p = sub.add_parser("inproc")
    p.add_argument("--prep", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--only", default="")
    sub.add_parser("cleanup")
    args = parser.parse_args()
    setup()
    return {"prepare": prepare, "inproc": inproc, "cleanup": cleanup}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
