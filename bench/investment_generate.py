"""Generate the investment benchmark database (PostgreSQL qq_bench_investment).

50,000 projects spread over every county and park of the shipped org tree, and 60 months of monthly
funds entries (about 2.6 million rows) ending with last month, and the pre-aggregated project-year table
built from them (aggregates.rebuild, as the data migration and `qinqing investment_rebuild_aggregates` do); then the benchmark month's monthly reports
of 昌吉州's units are prepared, submitted and approved through the services (the Excel report reads
approved report lines). Bulk rows go in with COPY (psycopg ``cursor.copy``).

Reproduce:  .venv/bin/python -m bench.investment_generate        (about 3–4 minutes on 2 cores)
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

from bench import harness

DB = "qq_bench_investment"
PROJECTS = 50_000
MONTHS = 60
SEED = 20260501
PREFECTURE = "昌吉州营商环境服务中心"
USERS = {"bench_inv_zhou": "dispatcher", "bench_inv_filer": "stats_filer", "bench_inv_head": "unit_head"}
SECTIONS = [("C", "26", 2), ("C", "32", 2), ("D", "44", 2), ("B", "06", 2), ("G", "58", 3), ("R", "88", 3), ("A", "01", 1)]  # fmt: skip
SOURCES = (["province"] * 50) + (["aid"] * 25) + (["overseas"] * 5) + (["local"] * 20)
INVESTOR_TYPES = (
    (["private"] * 55) + (["state"] * 20) + (["central"] * 15) + (["foreign"] * 6) + (["hmt"] * 4)
)
ROLES = ["build", "fill", "strengthen", "extend"]
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


def say(msg: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {msg}", flush=True)


def window() -> tuple[dt.date, dt.date]:
    """The first and last month of the 60-month window (ending with last month)."""
    today = dt.date.today()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    y, m = divmod(last.year * 12 + last.month - 1 - (MONTHS - 1), 12)
    return dt.date(y, m + 1, 1), last


def add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def planned_amount(rng: random.Random) -> Decimal:
    r = rng.random()
    lo, hi = (
        (1000, 10000) if r < 0.6 else (10000, 50000) if r < 0.85 else (50000, 100000) if r < 0.95 else
        (100000, 1000000) if r < 0.99 else (1000000, 3000000)
    )  # fmt: skip
    return Decimal(rng.randint(lo * 100, hi * 100)) / 100


def setup(started: float) -> None:
    harness.recreate_database(DB)
    subprocess.run(
        [str(harness.VENV_BIN / "qinqing"), "migrate", "--verbosity", "0"],
        env=harness.django_env(DB),
        cwd=harness.ROOT,
        check=True,
    )
    say("migrated", started)
    harness.setup_django(DB)
    from qinqing.accounts.models import User, UserRole
    from qinqing.orgs.models import Unit
    from qinqing.orgs.tree import load_tree

    load_tree()
    unit = Unit.objects.get(name=PREFECTURE)
    for username, role in USERS.items():
        user = User(username=username, full_name=username, unit=unit)
        user.set_password("bench-" + username)
        user.save()
        UserRole.objects.create(user=user, role=role)
    say(f"org tree ({Unit.objects.count()} units) and users", started)


def generate(started: float) -> tuple[int, int]:
    from django.db import connection
    from django.utils import timezone

    from qinqing.investment.models import FundsEntry, IndustryChain, IndustryCluster, Project, size_band_of
    from qinqing.orgs.models import Unit

    rng = random.Random(SEED)
    first, last = window()
    today = dt.date.today()
    now = timezone.now()
    units = list(Unit.objects.filter(kind__in=["county", "park"]).order_by("path"))
    prefecture_of = {u.pk: u.parent.name for u in units if u.parent}
    clusters = {
        scheme: list(IndustryCluster.objects.filter(scheme=scheme)) for scheme in ("changji", "urumqi")
    }
    chains: dict[int, list[int]] = {}
    for ch in IndustryChain.objects.all():
        chains.setdefault(ch.cluster_id, []).append(ch.pk)

    project_cols = [f.column for f in Project._meta.concrete_fields]
    funds_cols = [f.column for f in FundsEntry._meta.concrete_fields]
    funds_id = 0
    funds_rows = 0
    with connection.cursor() as wrapper:
        cur: Any = wrapper.cursor  # the psycopg cursor
        projects: list[dict[str, Any]] = []
        for i in range(1, PROJECTS + 1):
            u = units[i % len(units)]
            scheme = "changji" if "昌吉" in prefecture_of[u.pk] else "urumqi"
            cluster = rng.choice(clusters[scheme])
            chain = rng.choice(chains[cluster.pk]) if rng.random() < 0.7 and cluster.pk in chains else None
            section, division, sector = rng.choice(SECTIONS)
            planned = planned_amount(rng)
            r = rng.random()
            stage = "lead" if r < 0.05 else "negotiating" if r < 0.08 else "terminated" if r < 0.10 else "x"
            row: dict[str, Any] = {
                "id": i,
                "number": f"BENCH{i:06d}",
                "name": f"{rng.choice(WORDS)}{rng.choice(PRODUCTS)}项目{i}",
                "investor_enterprise_id": None,
                "investor_name": f"{rng.choice(WORDS)}{rng.choice(PRODUCTS)}集团有限公司",
                "investor_credit_code": "",
                "investor_origin": "",
                "source": rng.choice(SOURCES),
                "investor_type": rng.choice(INVESTOR_TYPES),
                "sector": sector,
                "industry_section": section,
                "industry_division": division,
                "cluster_id": cluster.pk,
                "chain_id": chain,
                "chain_role": rng.choice(ROLES) if chain else "",
                "location_unit_id": u.pk,
                "planned_investment_wan": planned,
                "contract_type": "",
                "contract_amount_wan": None,
                "construction": "new",
                "expected_jobs": rng.randint(10, 2000),
                "responsible_leader": "",
                "responsible_unit_id": None,
                "capital_increase_of_id": None,
                "increase_amount_wan": None,
                "is_fiscal_funded": rng.random() < 0.03,
                "is_second_phase": rng.random() < 0.03,
                "stage": stage,
                "stage_since": None,
                "first_signed_on": None,
                "signed_on": None,
                "started_on": None,
                "produced_on": None,
                "terminated_on": None,
                "termination_reason": "",
                "size_band": size_band_of(planned),
                "publish_status": "none",
                "publish_comment": "",
                "summary": "",
                "version": 1,
                "created_by_id": None,
                "created_at": now,
                "updated_at": now,
            }
            if stage in ("lead", "negotiating", "terminated"):
                opened = rand_date(rng, dt.date(2023, 1, 1), today)
                row["stage_since"] = opened
                if stage == "terminated":
                    row.update(terminated_on=opened, termination_reason="投资方调整计划")
            else:
                signed = (
                    rand_date(rng, dt.date(2015, 1, 1), first - dt.timedelta(days=1))
                    if rng.random() < 0.95
                    else rand_date(rng, first, today - dt.timedelta(days=1))
                )
                row.update(
                    first_signed_on=signed,
                    signed_on=signed,
                    contract_type="formal",
                    contract_amount_wan=planned,
                    stage="signed",
                    stage_since=signed,
                )
                s = rng.random()
                started_on = signed + dt.timedelta(days=rng.randint(30, 365))
                if s < 0.6 and started_on < today:
                    row.update(stage="started", started_on=started_on, stage_since=started_on)
                    produced = started_on + dt.timedelta(days=rng.randint(180, 900))
                    if s < 0.25 and produced < today:
                        row.update(stage="producing", produced_on=produced, stage_since=produced)
                row["_funds_from"] = max(first, signed.replace(day=1))
            projects.append(row)

        with cur.copy(f"COPY investment_project ({', '.join(project_cols)}) FROM STDIN") as copy:
            for row in projects:
                copy.write_row([row[c] for c in project_cols])
        say(f"{len(projects)} projects copied", started)

        with cur.copy(f"COPY investment_fundsentry ({', '.join(funds_cols)}) FROM STDIN") as copy:
            for row in projects:
                start = row.get("_funds_from")
                if start is None:
                    continue
                monthly = row["planned_investment_wan"] / 80
                local = row["source"] == "local"
                month = start
                while month <= last:
                    funds_id += 1
                    amount = (monthly * Decimal(rng.randint(20, 180)) / 100).quantize(Decimal("0.01"))
                    outside = (
                        Decimal(0)
                        if local
                        else (amount * Decimal(rng.randint(50, 100)) / 100).quantize(Decimal("0.01"))
                    )
                    values = {
                        "id": funds_id,
                        "project_id": row["id"],
                        "unit_id": row["location_unit_id"],
                        "month": month,
                        "amount_wan": amount,
                        "outside_amount_wan": outside,
                        "evidence": "",
                        "evidence_note": "",
                        "warnings": "[]",
                        "version": 1,
                        "created_by_id": None,
                        "created_at": now,
                    }
                    copy.write_row([values[c] for c in funds_cols])
                    month = add_months(month, 1)
                funds_rows = funds_id
        say(f"{funds_rows} funds entries copied", started)
        for table in ("investment_project", "investment_fundsentry"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - fixed table names
            )
            cur.execute(f"ANALYZE {table}")
    # the COPY bypassed the funds services: build the pre-aggregated table as the data migration does
    from qinqing.investment import aggregates

    rows = aggregates.rebuild()
    with connection.cursor() as wrapper:
        wrapper.execute("VACUUM ANALYZE investment_projectyearfunds")
    say(f"{rows} pre-aggregated project-year rows built", started)
    return len(projects), funds_rows


def approve_reports(started: float) -> int:
    """The benchmark month's reports of 昌吉州's units, through the services (prepare, submit, approve)."""
    from qinqing.accounts.models import User
    from qinqing.investment import services
    from qinqing.orgs.models import Unit

    _, last = window()
    filer = User.objects.get(username="bench_inv_filer")
    head = User.objects.get(username="bench_inv_head")
    zhou = User.objects.get(username="bench_inv_zhou")
    pref = Unit.objects.get(name="昌吉回族自治州")
    n = 0
    for unit in Unit.objects.filter(parent=pref, kind__in=["county", "park"]).order_by("path"):
        report = services.prepare_report(filer, unit=unit, month=last)
        report = services.submit_report(head, report, expected_version=report.version)
        services.approve_report(zhou, report, expected_version=report.version)
        n += report.lines.count()
    say(f"{last:%Y-%m} reports of 昌吉州 approved ({n} lines)", started)
    return n


def main() -> int:
    started = time.monotonic()
    setup(started)
    projects, funds = generate(started)
    lines = approve_reports(started)
    say(f"done: {projects} projects, {funds} funds entries, {lines} report lines", started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
