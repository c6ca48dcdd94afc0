"""Portal benchmark (issue 10, section 7) on PostgreSQL qq_bench_portal, served by gunicorn.

Data: the shipped org tree, 50,000 investment projects (COPY, the shape of bench/investment_generate.py but
without funds entries, which the portal never reads), 5,000 of them published (with investors, leaders'
names and summaries, so the catalogue sync has real work), synced into the public snapshot by
``snapshot.sync_projects`` (timed); 2,000 published policies written into the snapshot by the functions
publication uses (``snapshot.entry_payload`` and the segmenter), a tenth of them expired.

Load (harness.load over keep-alive connections, gunicorn sync workers): catalogue list pages with and without
filters, project pages, the API list, policy search with a different keyword each request (no cache hit
possible), and inquiry submission (each from another address — X-Forwarded-For behind one trusted proxy —
and another phone, so the rate limits allow them; duplicates and limits are still checked).

Caching under test: each worker keeps the snapshot in memory (one load per snapshot version) and a per-process
LRU of rendered responses keyed by (snapshot version, language, path, query); ETag/Last-Modified answer 304
to revalidation (not exercised here: every request is a full GET).

    .venv/bin/python -m bench.portal_bench [--workers 2] [--keep]
    .venv/bin/python -m bench.portal_bench --keep --inquiries --workers 2 4 [--threads 1]

With ``--inquiries`` the load comes from wrk (bench/peer/bench.lua) when it is installed: general
inquiries, each from another address and phone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bench import harness

DB = "qq_bench_portal"
PROJECTS = 50_000
PUBLISHED = 5_000
POLICIES = 2_000
SEED = 20261203
WORDS = ["天山", "丝路", "北庭", "准噶尔", "金泉", "瑞丰", "恒信", "中泰", "华晟", "昌盛", "博达", "宏远"]
PRODUCTS = [
    "铝合金",
    "光伏",
    "煤制烯烃",
    "番茄加工",
    "冷链物流",
    "工业硅",
    "储能",
    "绿色建材",
    "有机硅",
    "文旅综合体",
]
TOPICS = [
    "制造业",
    "人才引进",
    "工业用地",
    "设备投资奖补",
    "税收优惠",
    "融资担保",
    "新能源",
    "现代物流",
    "数字经济",
    "文化旅游",
]


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


def say(msg: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {msg}", flush=True)


def generate(started: float) -> None:
    harness.recreate_database(DB)
    subprocess.run(
        [str(harness.VENV_BIN / "qinqing"), "migrate", "--verbosity", "0"],
        env=harness.django_env(DB),
        cwd=harness.ROOT,
        check=True,
    )
    say("migrated", started)
    harness.setup_django(DB)
    from django.db import connection
    from django.utils import timezone

    from qinqing.analysis.text import terms
    from qinqing.investment.models import IndustryChain, IndustryCluster, Project, size_band_of
    from qinqing.orgs.models import Unit
    from qinqing.orgs.tree import load_tree
    from qinqing.portal import snapshot
    from qinqing.portal.models import Entry, PublicItem

    load_tree()
    rng = random.Random(SEED)
    now = timezone.now()
    units = list(Unit.objects.filter(kind__in=["county", "park"]).order_by("path"))
    clusters = list(IndustryCluster.objects.all())
    chains: dict[int, list[int]] = {}
    for ch in IndustryChain.objects.all():
        chains.setdefault(ch.cluster_id, []).append(ch.pk)
    cols = [f.column for f in Project._meta.concrete_fields]
    published = set(rng.sample(range(1, PROJECTS + 1), PUBLISHED))
    with connection.cursor() as wrapper:
        cur: Any = wrapper.cursor
        with cur.copy(f"COPY investment_project ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(1, PROJECTS + 1):
                cluster = rng.choice(clusters)
                chain = (
                    rng.choice(chains[cluster.pk]) if cluster.pk in chains and rng.random() < 0.7 else None
                )
                planned = Decimal(rng.choice([800, 3000, 12000, 60000, 150000, 1200000]))
                row = {
                    "id": i,
                    "number": f"PB{i:06d}",
                    "name": f"{rng.choice(WORDS)}{rng.choice(PRODUCTS)}项目{i}",
                    "investor_enterprise_id": None,
                    "investor_name": f"{rng.choice(WORDS)}集团有限公司",
                    "investor_credit_code": "",
                    "investor_origin": "江苏省",
                    "source": "province",
                    "investor_type": "private",
                    "sector": 2,
                    "industry_section": "C",
                    "industry_division": "32",
                    "cluster_id": cluster.pk,
                    "chain_id": chain,
                    "chain_role": "fill" if chain else "",
                    "location_unit_id": rng.choice(units).pk,
                    "planned_investment_wan": planned,
                    "contract_type": "",
                    "contract_amount_wan": None,
                    "construction": "new",
                    "expected_jobs": rng.randint(10, 2000),
                    "responsible_leader": "包联领导某某",
                    "responsible_unit_id": None,
                    "capital_increase_of_id": None,
                    "increase_amount_wan": None,
                    "is_fiscal_funded": False,
                    "is_second_phase": False,
                    "stage": "lead",
                    "stage_since": dt.date(2026, 1, 5),
                    "first_signed_on": None,
                    "signed_on": None,
                    "started_on": None,
                    "produced_on": None,
                    "terminated_on": None,
                    "termination_reason": "",
                    "size_band": size_band_of(planned),
                    "publish_status": "published" if i in published else "none",
                    "publish_comment": "",
                    "summary": f"项目拟建设{rng.choice(PRODUCTS)}生产线及配套设施，年产值预计可观。" * 3,
                    "version": 1,
                    "created_by_id": None,
                    "created_at": now,
                    "updated_at": now,
                }
                copy.write_row([row[c] for c in cols])
        cur.execute("SELECT setval(pg_get_serial_sequence('investment_project','id'), %s)", [PROJECTS])
    say(f"{PROJECTS} projects copied ({PUBLISHED} published)", started)
    t0 = time.perf_counter()
    result = snapshot.sync_projects()
    say(f"catalogue sync: {result.added} added in {time.perf_counter() - t0:.1f} s", started)
    t0 = time.perf_counter()
    assert snapshot.sync_projects().changed == 0
    say(f"catalogue sync with nothing to do: {1000 * (time.perf_counter() - t0):.0f} ms", started)
    urumqi = Unit.objects.get(name="乌鲁木齐市招商服务局")
    entries = []
    for i in range(POLICIES):
        topic = TOPICS[i % len(TOPICS)]
        expired = i % 10 == 0
        entries.append(
            Entry(
                kind="policy",
                unit=urumqi,
                status="published",
                online=True,
                published_at=now,
                title=f"关于支持{topic}发展的若干政策措施（第{i}号）",
                summary=f"对{topic}领域新落地项目给予支持。",
                body=f"第一条 对{topic}项目固定资产投资给予奖励。第二条 对{rng.choice(PRODUCTS)}企业给予用地保障。"
                * 8,
                data={
                    "issuer": "乌鲁木齐市人民政府",
                    "doc_number": f"乌政发〔2026〕{i}号",
                    "valid_from": "2020-01-01",
                    "valid_to": "2024-12-31" if expired else "2029-12-31",
                    "policy_types": ["subsidy"],
                    "rules": [
                        {"field": "investment_wan", "op": ">=", "value": str(rng.choice([1000, 5000, 10000]))}
                    ],
                },
            )
        )
    Entry.objects.bulk_create(entries, batch_size=500)
    items = []
    for e in Entry.objects.filter(kind="policy"):
        items.append(
            PublicItem(
                kind="policy",
                ref=e.pk,
                payload=snapshot.entry_payload(e),
                search_text=" ".join(terms(f"{e.title} {e.summary} {e.body}")),
                source_version=1,
                published_at=now,
            )
        )
    PublicItem.objects.bulk_create(items, batch_size=500)
    snapshot.bump()
    say(f"{POLICIES} policies in the snapshot", started)


def inquiry_requests(count: int, start: int = 0) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """COUNT inquiry POSTs, each from another address (X-Forwarded-For) and phone; every third one names a
    published project (routing reads it), the rest are general inquiries."""
    from qinqing.portal.models import PublicItem

    published = list(PublicItem.objects.filter(kind="project").values_list("ref", flat=True)[:500])
    salt = int(time.time() * 1000) % 10**6  # a rerun on the kept database must not be refused as duplicates
    out = []
    for n in range(start, start + count):
        data: dict[str, Any] = {
            "company": f"某投资公司{n}",
            "contact": "王经理",
            "phone": f"13{(salt * 1000 + n) % 10**9:09d}",
            "message": f"我公司希望洽谈第{n}号项目的合作事宜，请联系（{salt}）。",
            "consent": True,
        }
        if n % 3 == 0 and published:
            data["project"] = published[n % len(published)]
        out.append(
            (
                "POST",
                "/api/public/v1/inquiries/",
                json.dumps(data).encode(),
                {
                    "Host": "127.0.0.1",
                    "Content-Type": "application/json",
                    "X-Forwarded-For": f"10.{n // 250 % 250}.{n % 250}.{n // 62500 + 7}",
                },
            )
        )
    return out


def wrk_inquiries() -> dict[str, str]:
    """bench/peer/bench.lua's settings for general inquiries, each from one of 60,000 addresses with its
    own phone (a 9-digit number unique per request, offset per run so that a rerun is no duplicate)."""
    body = {
        "company": "某投资公司{num9}",
        "contact": "王经理",
        "phone": "13{num9}",
        "message": "我公司希望洽谈项目合作事宜，请联系（{num9}）。",
        "consent": True,
    }
    return {
        "BENCH_METHOD": "POST",
        "BENCH_PATH": "/api/public/v1/inquiries/",
        "BENCH_BODY": json.dumps(body, ensure_ascii=False),
        "BENCH_EXPECT": "201",
        "BENCH_XFF_MAX": "60000",
        "BENCH_NUM_BASE": str(int(time.time()) % 10 * 10**8),
    }


def run_inquiries(worker_counts: list[int], threads: int) -> None:
    """Only inquiry submission, at 2/4/8 connections, for each worker count (the database is kept)."""
    harness.setup_django(DB)
    from django.db import connection

    from qinqing.portal.models import PortalSettings

    PortalSettings.objects.update_or_create(
        pk=1, defaults={"inquiry_ip_limit": 30000, "inquiry_phone_limit": 30000}
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    os.environ.update({"TRUSTED_PROXY_COUNT": "1", "QINQING_DEMO": "1", "RATE_LIMITS_ENABLED": "0"})
    print(
        f"synchronous_commit={sync}; cache: {'Redis ' + os.environ['REDIS_URL'] if os.environ.get('REDIS_URL') else 'per-process memory'}"
    )
    rows = []
    start = 0
    for workers in worker_counts:
        print(f"loadavg before ({workers} workers x {threads} threads): {loadavg()}")
        with harness.gunicorn(DB, workers=workers, threads=threads) as base:
            harness.load(base, "warm", inquiry_requests(40, start), concurrency=4)
            start += 40
            for concurrency in (2, 4, 8):
                name = f"inquiry submission w={workers}x{threads} c={concurrency}"
                if shutil.which("wrk"):  # the load generator in C leaves the cores to the server
                    rows.append(harness.wrk(base, name + " (wrk)", wrk_inquiries(), concurrency, 15))
                else:
                    reqs = inquiry_requests(2000, start)
                    start += 2000
                    rows.append(
                        harness.load(base, name, reqs, concurrency=concurrency, max_seconds=15, expect=(201,))
                    )
                print(rows[-1].row(), flush=True)
        print(f"loadavg after: {loadavg()}")
    print(harness.TABLE_HEADER)
    for r in rows:
        print(r.row())
    print(harness.machine_line())


def run(workers: int) -> None:
    rng = random.Random(SEED)
    project_ids = list(range(1, PROJECTS + 1))
    harness.setup_django(DB)
    from qinqing.portal.models import PortalSettings, PublicItem

    PortalSettings.objects.update_or_create(
        pk=1, defaults={"inquiry_ip_limit": 30000, "inquiry_phone_limit": 30000}
    )
    published = list(PublicItem.objects.filter(kind="project").values_list("ref", flat=True))
    del project_ids
    # one trusted proxy (X-Forwarded-For gives each inquiry its own address); static files from the
    # finders, as bench/investment_bench.py does (QINQING_DEMO)
    # The standing per-address limits (core.ratelimit "anon:ip", "api:anon") are switched off: the load
    # comes from one loopback address, and they are counted in the cache, not in the portal's code.
    os.environ.update({"TRUSTED_PROXY_COUNT": "1", "QINQING_DEMO": "1", "RATE_LIMITS_ENABLED": "0"})
    h = {"Host": "127.0.0.1"}
    print(f"loadavg before: {loadavg()}")
    with harness.gunicorn(DB, workers=workers) as base:
        # warm each worker (snapshot load, jieba dictionary)
        harness.load(
            base,
            "warm",
            [("GET", "/portal/projects/", None, h)] * 20
            + [("GET", "/portal/policies/?q=" + quote("人才"), None, h)] * 8,
            concurrency=4,
        )
        lists = [("GET", f"/portal/projects/?page={rng.randint(1, 250)}", None, h) for _ in range(3000)]
        lists += [
            ("GET", f"/portal/projects/?cluster={rng.randint(1, 40)}&page={rng.randint(1, 3)}", None, h)
            for _ in range(1000)
        ]
        rng.shuffle(lists)
        pages = [("GET", f"/portal/projects/{rng.choice(published)}/", None, h) for _ in range(4000)]
        api = [("GET", f"/api/public/v1/projects/?page={rng.randint(1, 250)}", None, h) for _ in range(3000)]
        words = TOPICS + PRODUCTS + ["用地", "奖励", "支持", "企业", "项目"]
        search = [
            ("GET", f"/portal/policies/?q={quote(rng.choice(words))}&page={n % 5 + 1}&n={n}", None, h)
            for n in range(1500)
        ]
        api_search = [
            ("GET", f"/api/public/v1/policies/?q={quote(rng.choice(words))}&n={n}", None, h)
            for n in range(1500)
        ]
        inquiries = inquiry_requests(3000)
        rows = []
        for concurrency in (2, 4):
            for name, reqs, expect in (
                ("catalogue list", lists, (200,)),
                ("project page", pages, (200,)),
                ("API project list", api, (200,)),
                ("policy search (page)", search, (200,)),
                ("policy search (API)", api_search, (200,)),
            ):
                rows.append(
                    harness.load(
                        base,
                        f"{name} c={concurrency}",
                        reqs,
                        concurrency=concurrency,
                        max_seconds=20,
                        expect=expect,
                    )
                )
            half = inquiries[:1500] if concurrency == 2 else inquiries[1500:]
            rows.append(
                harness.load(
                    base,
                    f"inquiry submission c={concurrency}",
                    half,
                    concurrency=concurrency,
                    max_seconds=20,
                    expect=(201,),
                )
            )
    print(harness.TABLE_HEADER)
    for r in rows:
        print(r.row())
    print(f"loadavg after: {loadavg()}")
    print(harness.machine_line())


def brochure() -> None:
    """A 100-project brochure (A4 and A5), PDF and Word, from the snapshot, as the job generates it."""
    harness.setup_django(DB)
    import datetime as dt

    from qinqing.orgs.models import Unit
    from qinqing.portal import publications, snapshot
    from qinqing.portal.models import Edition

    items = [
        {"kind": "project", "ref": r["id"], "title": r["name"]}
        for r in snapshot.catalogue().list("project")[:100]
    ]
    for size in ("A4", "A5"):
        edition = Edition(
            kind="brochure",
            unit=Unit.objects.get(name="乌鲁木齐市招商服务局"),
            title="招商项目册",
            edition="2026年版",
            pagesize=size,
            edition_date=dt.date(2026, 12, 1),
            unit_cost_yuan=25,
            contents=items,
        )
        t0 = time.perf_counter()
        pdf, pages = publications.build_pdf(edition)
        t1 = time.perf_counter()
        docx = publications.build_docx(edition)
        t2 = time.perf_counter()
        print(
            f"100-project brochure {size}: PDF {pages} pages {len(pdf) // 1024} KB in {t1 - t0:.1f} s; "
            f"Word {len(docx) // 1024} KB in {t2 - t1:.1f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[2], help="gunicorn workers (several: each)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (--inquiries)")
    parser.add_argument("--inquiries", action="store_true", help="only inquiry submission (needs --keep)")
    parser.add_argument("--keep", action="store_true", help="reuse the generated database")
    parser.add_argument("--brochure", action="store_true", help="only time a 100-project brochure")
    args = parser.parse_args()
    if args.brochure:
        brochure()
        return 0
    started = time.monotonic()
    if not (args.keep and harness.database_exists(DB)):
        generate(started)
    else:
        subprocess.run(
            [str(harness.VENV_BIN / "qinqing"), "migrate", "--verbosity", "0"],
            env=harness.django_env(DB),
            cwd=harness.ROOT,
            check=True,
        )
    if args.inquiries:
        run_inquiries(args.workers, args.threads)
        return 0
    run(args.workers[0])
    brochure()
    return 0


if __name__ == "__main__":
    sys.exit(main())
