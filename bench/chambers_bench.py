"""Chambers benchmark (issue 13): 5,000 organisations with 10 years of annual inspections.

Generates (once; ``--regenerate`` to redo) PostgreSQL database qq_bench_chambers: the org tree, 5,000
organisations registered in 乌鲁木齐市 and its districts, ten campaigns (2016–2025, 50,000 annual
reports; the 2025 one in every state) and 1,000 certificates of 2025. Then measures

- the campaign page (乌鲁木齐市 2025, progress counts + a page of 50 rows, several buckets and pages), ≤ 200 ms p95;
- the 1,000 certificates of the year as one PDF (in process, ``certificates.render``), ≤ 60 s;
- the public verification page, ≥ 300 requests/s. Requests carry X-Forwarded-For from 5,000 client
  addresses behind one trusted proxy (TRUSTED_PROXY_COUNT=1), so the rate limit (60 a minute per
  address, counted in Redis) is exercised without refusing the load.

Worker CPU per verification request (user + system time of the gunicorn processes over the run, from
/proc, divided by the requests) is printed too: it depends less on the machine's load than req/s.

The verification load comes from wrk (bench/peer/bench.lua) when it is installed — a load generator in
C leaves the machine's two cores to the server — else from the harness's Python client.

Reproduce: .venv/bin/python -m bench.chambers_bench   (``--verify-only``: only the verification page)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time

from bench import harness

DB = "qq_bench_chambers"
USER = "bench_ch_urumqi"
ORGS = 5000
YEARS = list(range(2016, 2026))
CERTS = 1000
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
TARGETS = {"campaign_p95_ms": 200.0, "pdf_s": 60.0, "verify_rps": 300.0}


def say(text: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)


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
    from django.utils import timezone

    from qinqing.accounts.models import User, UserRole
    from qinqing.chambers.models import AnnualReport, Campaign, Certificate, CertificateCounter, Organisation
    from qinqing.chambers.rules import Conclusion, ReportStatus, serial_for
    from qinqing.orgs.models import Unit
    from qinqing.orgs.tree import load_tree

    load_tree()
    bureau = Unit.objects.get(name="乌鲁木齐市招商服务局")
    user = User.objects.create(username=USER, full_name="基准测试", unit=bureau)
    UserRole.objects.create(user=user, role="dispatcher")
    city = Unit.objects.get(name="乌鲁木齐市")
    areas = [city, *Unit.objects.filter(parent=city, kind="county")]
    rng = random.Random(13)
    provinces = [
        "浙江",
        "江苏",
        "河南",
        "四川",
        "湖南",
        "湖北",
        "福建",
        "山东",
        "安徽",
        "江西",
        "广东",
        "陕西",
    ]
    orgs = []
    for i in range(ORGS):
        kind = "chamber" if i % 5 else "office"
        area = areas[i % len(areas)]
        orgs.append(
            Organisation(
                kind=kind,
                name=f"{area.short_name}{provinces[i % 12]}{'商会' if kind == 'chamber' else '驻乌办事处'}{i:05d}",
                area=area,
                status="active",
                place_of_origin=f"{provinces[i % 12]}省{i:05d}" if kind == "chamber" else "",
                address=f"{area.name}某路{i}号",
                premises_owned=True,
                contact_name="王秘书",
                contact_mobile=f"139{rng.randint(10**7, 10**8 - 1)}",
                registered_on=dt.date(2015, 1, 1) + dt.timedelta(days=i % 300),
            )
        )
    Organisation.objects.bulk_create(orgs, batch_size=2000)
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    say(f"{len(ids)} organisations", started)
    tz = timezone.get_current_timezone()
    for year in YEARS:
        campaign = Campaign.objects.create(
            area=city, year=year, deadline=dt.date(year + 1, 3, 31), opened_by=user
        )
        latest = year == YEARS[-1]
        rows = []
        for n, pk in enumerate(ids):
            r = rng.random()
            concluded_at = dt.datetime(year + 1, 4, 1 + n % 28, 10, tzinfo=tz)
            if latest and r < 0.15:
                rows.append(AnnualReport(campaign=campaign, organisation_id=pk))
                continue
            status = ReportStatus.CONCLUDED
            if latest and r < 0.25:
                status = ReportStatus.SUBMITTED
            elif latest and r < 0.28:
                status = ReportStatus.RETURNED
            conclusion = (
                ""
                if status != ReportStatus.CONCLUDED
                else (Conclusion.PASS if r < 0.9 else Conclusion.BASIC if r < 0.97 else Conclusion.FAIL)
            )
            rows.append(
                AnnualReport(
                    campaign=campaign,
                    organisation_id=pk,
                    status=status,
                    sections={"basic": "正常"},
                    income_yuan=100000,
                    expense_yuan=90000,
                    net_assets_yuan=50000,
                    declared=True,
                    submitted_at=dt.datetime(year + 1, 3, 1 + n % 28, 9, tzinfo=tz),
                    late=r > 0.95,
                    conclusion=conclusion,
                    concluded_at=concluded_at if conclusion else None,
                    rectification_due=dt.date(year + 1, 6, 30) if conclusion in ("basic", "fail") else None,
                )
            )
        AnnualReport.objects.bulk_create(rows, batch_size=5000)
        say(f"campaign {year}: {len(rows)} reports", started)
    certs = [
        Certificate(
            organisation_id=pk,
            year=2025,
            seq=n + 1,
            serial=serial_for(2025, n + 1),
            kind=orgs[n].kind,
            org_name=orgs[n].name,
            address=orgs[n].address,
            head_name="陈会长",
            issued_on=dt.date(2025, 1, 1) + dt.timedelta(days=n % 360),
            issuer_name="乌鲁木齐市招商服务局",
        )
        for n, pk in enumerate(ids[:CERTS])
    ]
    Certificate.objects.bulk_create(certs)
    CertificateCounter.objects.create(year=2025, last=CERTS)
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-qc", "VACUUM ANALYZE"], check=True
    )
    say(f"{CERTS} certificates; analysed", started)


def main() -> int:
    started = time.monotonic()
    print("load before:", _loadavg(), flush=True)
    os.environ["REDIS_URL"] = REDIS
    os.environ["TRUSTED_PROXY_COUNT"] = "1"
    os.environ.setdefault("QINQING_DEMO", "1")  # static files from the finders (see investment_bench)
    if "--regenerate" in sys.argv or not harness.database_exists(DB):
        generate(started)
    else:
        harness.setup_django(DB)
    from qinqing.chambers import certificates
    from qinqing.chambers.models import AnnualReport, Campaign, Certificate

    campaign = Campaign.objects.get(year=YEARS[-1])
    reports = AnnualReport.objects.count()
    cookie = harness.session_cookie(USER)
    headers = {"Cookie": cookie}
    base_path = f"/chambers/campaigns/{campaign.pk}/"
    paths = [
        base_path,
        base_path + "?bucket=overdue",
        base_path + "?bucket=submitted&page=3",
        base_path + "?bucket=concluded&page=40",
        base_path + "?page=90",
        base_path + "?q=" + "%E6%B5%99%E6%B1%9F",  # 浙江
    ]
    rng = random.Random(7)
    verify = []
    for i in range(6000):
        serial = f"2025-{rng.randint(1, CERTS + 50):04d}"  # 5 % unknown numbers
        xff = {"X-Forwarded-For": f"10.{i % 20}.{(i // 20) % 250}.{i % 250 + 1}"}
        verify.append(("GET", f"/chambers/verify/{serial}/", None, xff))
    figures: list[harness.Figures] = []
    with harness.gunicorn(DB, workers=3, threads=2) as base:
        for path in (paths[0], "/chambers/verify/2025-0001/"):
            status, body, ms = _fetch(base, path, cookie)
            print(f"warm-up {path}: {status} {len(body)} bytes {ms:.0f} ms", flush=True)
            if status != 200:
                print(body[:1500].decode(errors="replace"))
                return 1
        only_verify = "--verify-only" in sys.argv
        for concurrency, count in () if only_verify else ((1, 120), (2, 240)):
            figures.append(
                harness.load(
                    base,
                    f"campaign page (5,000 organisations, progress + 50 rows; 6 filter/page mixes), {concurrency} at a time",
                    [("GET", paths[i % len(paths)], None, headers) for i in range(count)],
                    concurrency=concurrency,
                    max_seconds=120,
                )
            )
        use_wrk = shutil.which("wrk") is not None
        serials = ",".join(f"{n:04d}" for n in range(1, CERTS + 51))  # 5 % unknown numbers
        for concurrency in (4, 8):
            cpu0 = _server_cpu_seconds(base)
            name = f"public verification page (no login, rate-limited), {concurrency} at a time"
            if use_wrk:  # the load generator in C: it leaves the 2 cores to the server
                f = harness.wrk(
                    base,
                    name + " (wrk)",
                    {
                        "BENCH_PATH": "/chambers/verify/2025-{id}/",
                        "BENCH_IDS": serials,
                        "BENCH_MARKER": "</html>",
                        "BENCH_XFF_MAX": "5000",
                    },
                    connections=concurrency,
                    seconds=20,
                )
            else:
                f = harness.load(base, name, verify[:3000], concurrency=concurrency, max_seconds=60)
            cpu_ms = (_server_cpu_seconds(base) - cpu0) * 1000 / max(1, f.count)
            print(
                f"verification, {concurrency} at a time: worker CPU {cpu_ms:.2f} ms per request", flush=True
            )
            figures.append(f)
    if only_verify:
        print("load after:", _loadavg(), flush=True)
        for f in figures:
            print(f.row(), flush=True)
        return 0
    certs = list(Certificate.objects.filter(year=2025).select_related("organisation").order_by("seq"))
    t0 = time.perf_counter()
    pdf = certificates.render(certs, base_url="https://qinqing.example.gov.cn/", count=False)
    pdf_s = time.perf_counter() - t0
    load_after = _loadavg()
    print("load after:", load_after, flush=True)
    for f in figures:
        print(f.row(), flush=True)
    camp1, camp2, ver4, ver8 = figures
    best_rps = max(ver4.rps, ver8.rps)
    print(f"1,000 certificates as one PDF: {pdf_s:.1f} s, {len(pdf) / 1e6:.1f} MB")
    print(f"data: {reports} annual reports, campaign {campaign.year}")
    print(
        "verdict:",
        f"campaign p95 {camp2.p95_ms:.0f} ms (2 at a time) / {camp1.p95_ms:.0f} ms (1) vs ≤ {TARGETS['campaign_p95_ms']:.0f};",
        f"PDF {pdf_s:.1f} s vs ≤ {TARGETS['pdf_s']:.0f};",
        f"verification {best_rps:.0f} req/s vs ≥ {TARGETS['verify_rps']:.0f}",
    )
    return 0


def _server_cpu_seconds(base: str) -> float:
    """User + system CPU seconds of the gunicorn processes listening on BASE's port (master and workers)."""
    port = base.split(":")[1]
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            if not any(b"gunicorn" in part for part in cmd) or f"127.0.0.1:{port}".encode() not in cmd:
                continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


def _fetch(base: str, path: str, cookie: str) -> tuple[int, bytes, float]:
    import http.client

    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, (time.perf_counter() - t0) * 1000


if __name__ == "__main__":
    sys.exit(main())
