"""Evaluation benchmark (issue 11, section 7): a round of 30 units × 200 leaves (6,000 values).

Builds the PostgreSQL database qq_bench_evaluation (migrate, the org tree, bench parks so that 乌鲁木齐市
has 30 counties and parks, a 200-leaf system: 10 topics × 4 sub-indicators × 5 leaves), opens a
round, bulk-writes 6,000 accepted values and scores them. Then measures:

- rescoring after one changed value: the whole use case ``services.override_value`` (lock, history,
  audit row, rescoring the unit, writing its scores) and ``services.rescore_unit`` alone (target ≤ 200 ms);
- the ranking page served by gunicorn (2 workers), p95 (target ≤ 300 ms);
- the 30 unit reports (PDF) generated one after the other (target ≤ 60 s in all).

Prints the figures (the maintainer copies them into bench/RESULTS.md).
Reproduce:  .venv/bin/python -m bench.evaluation_bench
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench import harness

DB = "qq_bench_evaluation"
TARGETS = {"rescore_ms": 200.0, "ranking_p95_ms": 300.0, "reports_s": 60.0}


def system_data() -> dict[str, object]:
    topics = []
    for t in range(10):
        subs = []
        for s in range(4):
            leaves = []
            for k in range(5):
                lower = (t + s + k) % 2 == 0
                leaves.append(
                    {
                        "code": f"B{t}.{s}.{k}",
                        "name": f"指标{t}-{s}-{k}",
                        "unit": "天" if lower else "分",
                        "better": "lower" if lower else "higher",
                        "best": 1 if lower else 100,
                        "worst": 60 if lower else 0,
                        **({"transform": {"power": 0.8}} if k == 4 else {}),
                    }
                )
            subs.append({"code": f"B{t}.{s}", "name": f"二级指标{t}-{s}", "children": leaves})
        topics.append({"code": f"B{t}", "name": f"一级指标{t}", "children": subs})
    return {"code": "BENCH", "name": "基准测试体系", "missing": "exclude", "children": topics}


def build() -> tuple[int, int]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from qinqing.accounts.models import User, UserRole
    from qinqing.evaluation import services
    from qinqing.evaluation.models import Value, ValueStatus
    from qinqing.orgs.models import Unit, UnitKind
    from qinqing.orgs.tree import load_tree

    load_tree()
    city = Unit.objects.get(name="乌鲁木齐市")
    existing = Unit.objects.filter(path__startswith=city.path, kind__in=services.EVALUATED_KINDS).count()
    for i in range(30 - existing):
        Unit(name=f"乌鲁木齐基准园区{i + 1}", kind=UnitKind.PARK, parent=city).save()
    office = User(
        username="bench_eval_office", full_name="基准", unit=Unit.objects.get(name="乌鲁木齐市招商服务局")
    )
    office.set_password("x")
    office.save()
    UserRole.objects.create(user=office, role="dispatcher")
    office = User.objects.get(pk=office.pk)
    units = list(
        Unit.objects.filter(path__startswith=city.path, kind__in=services.EVALUATED_KINDS).order_by("path")
    )
    assert len(units) == 30, len(units)
    system = services.import_system(office, system_data(), year=2026)
    rnd = services.create_round(
        office,
        services.RoundData("基准评价", 2026, system, city, units, dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    )
    rng = random.Random(11)
    rows = list(Value.objects.filter(round=rnd).select_related("indicator"))
    for v in rows:
        lo, hi = sorted([float(v.indicator.best or 0), float(v.indicator.worst or 0)])
        v.value = Decimal(str(round(rng.uniform(lo - 5, hi + 5), 2)))
        v.status = ValueStatus.ACCEPTED
    Value.objects.bulk_update(rows, ["value", "status"], batch_size=1000)
    services.rescore_round(rnd)
    return rnd.pk, office.pk


def main() -> int:
    os.environ.setdefault("QINQING_DEMO", "1")
    print("loadavg before:", Path("/proc/loadavg").read_text().strip(), flush=True)
    harness.recreate_database(DB)
    harness.setup_django(DB)
    started = time.perf_counter()
    round_id, office_id = build()
    print(f"built 30 units × 200 leaves in {time.perf_counter() - started:.1f} s", flush=True)

    from qinqing.accounts.models import User
    from qinqing.evaluation import reports, services
    from qinqing.evaluation.models import Round, UnitScore, Value

    rnd = Round.objects.select_related("system", "owner_unit").get(pk=round_id)
    office = User.objects.get(pk=office_id)
    assert Value.objects.filter(round=rnd).count() == 6000
    assert UnitScore.objects.filter(round=rnd, overall__isnull=False).count() == 30

    # 1. rescoring after one changed value
    rng = random.Random(7)
    ids = list(Value.objects.filter(round=rnd).values_list("pk", flat=True))
    use_case, alone = [], []
    for _ in range(40):
        v = Value.objects.get(pk=rng.choice(ids))
        t0 = time.perf_counter()
        services.override_value(
            office, v, str(round(rng.uniform(0, 100), 2)), reason="基准", expected_version=v.version
        )
        use_case.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        services.rescore_unit(rnd, v.unit_id)
        alone.append((time.perf_counter() - t0) * 1000)
    use_case, alone = use_case[5:], alone[5:]  # the first calls warm the engine cache
    print(
        f"rescoring after one change, override_value (whole use case): p50 {statistics.median(use_case):.1f} ms, "
        f"p95 {harness.percentile(use_case, 95):.1f} ms, max {max(use_case):.1f} ms (35 runs)"
    )
    print(
        f"rescore_unit alone: p50 {statistics.median(alone):.1f} ms, p95 {harness.percentile(alone, 95):.1f} ms, "
        f"max {max(alone):.1f} ms"
    )

    # 2. the ranking page
    cookie = harness.session_cookie("bench_eval_office")
    headers = {"Cookie": cookie}
    figures = []
    with harness.gunicorn(DB, workers=2) as base:
        for node in ("", "?node=B3", "?node=B7.2"):
            path = f"/evaluation/rounds/{round_id}/ranking/{node}"
            figures.append(
                harness.load(base, f"warm-up {path}", [("GET", path, None, headers)] * 5, concurrency=1)
            )
        for concurrency in (1, 2):
            paths = [f"/evaluation/rounds/{round_id}/ranking/{n}" for n in ("", "?node=B3", "?node=B7.2")]
            figures.append(
                harness.load(
                    base,
                    f"ranking page (30 units, root / topic / sub-indicator), {concurrency} at a time",
                    [("GET", paths[i % 3], None, headers) for i in range(150 * concurrency)],
                    concurrency=concurrency,
                    max_seconds=120,
                )
            )
    print(harness.TABLE_HEADER)
    for f in figures:
        print(f.row())

    # 3. thirty unit reports
    t0 = time.perf_counter()
    sizes = []
    for unit in rnd.units.order_by("path"):
        sizes.append(len(reports.unit_report(office, rnd, unit, "pdf")))
    total = time.perf_counter() - t0
    print(
        f"30 unit reports (PDF, radar + bars + 250-row detail table): {total:.1f} s in all, "
        f"{total / 30 * 1000:.0f} ms each, {statistics.mean(sizes) / 1024:.0f} KiB each"
    )
    print("loadavg after:", Path("/proc/loadavg").read_text().strip())
    ranking = [f for f in figures if f.name.startswith("ranking")]
    ok = (
        harness.percentile(use_case, 95) <= TARGETS["rescore_ms"]
        and all(f.p95_ms <= TARGETS["ranking_p95_ms"] and f.errors == 0 for f in ranking)
        and total <= TARGETS["reports_s"]
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
