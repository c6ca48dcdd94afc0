#!/usr/bin/env python3
"""Qinqing side by side with django-helpdesk 2.6.1 (issue 8): one command, one run, one table.

    python3 bench/peer/run.py                      # setup, build 100k and 1M, bench both, write RESULTS.md
    python3 bench/peer/run.py --sizes 100k         # one size only
    python3 bench/peer/run.py --steps bench --sizes 1m --duration 15

Steps (``--steps``, default all): ``setup`` (scratch venv for the peer under /tmp/peer, wrk, a PostgreSQL 15
cluster on port 5433 run as the postgres user, the peer's Django project, migrations), ``build`` (the peer's
tickets with generate.py, Qinqing's demands with bench/demands_generate.py, both on that cluster) and
``bench`` (both served by gunicorn with the same 2 sync workers, driven by the same wrk Lua checks at
concurrency 8, interleaved per scenario: peer, Qinqing, peer, Qinqing, … 3 rounds, medians; worker RSS,
CPU per request of the workers and the PostgreSQL backends, in-process query counts, the list's SQL in
psql as the floor). Results go to /tmp/peer/side-<size>.json and the section
"Side by side with django-helpdesk (issue 8)" of bench/RESULTS.md.

Needs root (apt for wrk, runuser for PostgreSQL) and Qinqing's virtualenv at .venv. Nothing of the peer is
kept in the repository: it is pip-installed into /tmp/peer/venv.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRATCH = Path(os.environ.get("PEER_SCRATCH", "/tmp/peer"))  # noqa: S108 - the scratch directory
PGPORT = os.environ.get("PEER_PGPORT", "5433")
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
PEER_PY = SCRATCH / "venv" / "bin" / "python"
PEER_PORT, QQ_PORT = 8001, 8002
WORKERS = 2
HEADING = "Side by side with django-helpdesk (issue 8)"
SIZES = {"100k": (100_000, 30_000), "1m": (1_000_000, 300_000)}  # demands/tickets, Qinqing enterprises
CLK = os.sysconf("SC_CLK_TCK")

# (scenario, peer scenario it is compared with, label)
PAIRS = [
    ("list_json", "list_json", "list data JSON, open items of one queue / unit, 25 rows"),
    ("list_json_shape", "list_json", "list data JSON, same shape (~4 % of a large unit), 25 rows"),
    ("list_html", "list_html", "list page HTML"),
    ("detail", "detail", "detail page HTML, random item"),
    ("create_api", "create_api", "create through the API, one item per request"),
    (
        "dashboard",
        "dashboard",
        "dashboard (peer: staff dashboard; Qinqing: leader dashboard, 昌吉州, one year)",
    ),
    ("stats", "dashboard", "statistics, 昌吉州, one year (vs the peer's dashboard)"),
]
TARGETS = {  # Qinqing ÷ peer throughput, Qinqing p95 ms
    "list_json": (20, 100),
    "list_json_shape": (20, 100),
    "detail": (3, 60),
    "dashboard": (50, 300),
    "stats": (50, 300),
    "create_api": (2, 50),
}
RSS_TARGET_MIB = 150


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def qq_env(db: str, source: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PGPORT}/{db}",
            "DJANGO_SETTINGS_MODULE": "qinqing.settings",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ADMIN_TOTP_REQUIRED": "0",
            "LOG_LEVEL": "WARNING",
            # The peer has no rate limit; Qinqing's standing per-token API limit (600/min) would answer 429
            # to the create scenario within seconds. The switch is documented in docs/deploy.md.
            "RATE_LIMITS_ENABLED": "0",
            "QINQING_DEMO": "1",  # static files from the finders (no collectstatic in a scratch run)
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(source / "src"),
        }
    )
    return env


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kw)


def psql(db: str, sql: str) -> str:
    return run(
        [
            str(PGBIN / "psql"),
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            PGPORT,
            "-U",
            "postgres",
            "-d",
            db,
            "-Atqc",
            sql,
        ],
        capture_output=True,
    ).stdout.strip()


# --- setup and build -----------------------------------------------------------------------------------


def step_setup(dbs: list[str]) -> None:
    say("setup: venv, wrk, PostgreSQL :5433, peer project, migrations")
    run(["bash", str(HERE / "setup.sh"), *dbs])


def step_build(size: str, qq_py: str, source: Path) -> None:
    n, ents = SIZES[size]
    peer_db, qq_db = f"helpdesk_{size}", f"qq_peer_{size}"
    gen = SCRATCH / f"gen-{peer_db}.json"
    have = 0
    if gen.exists():
        try:
            have = int(psql(peer_db, "SELECT count(*) FROM helpdesk_ticket"))
        except subprocess.CalledProcessError:
            have = 0
    if have != n:
        say(f"build: peer {peer_db} ({n:,} tickets)")
        run([str(PEER_PY), str(HERE / "generate.py"), "--tickets", str(n), "--summary", str(gen)],
            cwd=SCRATCH / "proj", env=dict(os.environ, PGDATABASE=peer_db, PYTHONDONTWRITEBYTECODE="1"),
            stdout=subprocess.DEVNULL)  # fmt: skip
    say(f"build: Qinqing {qq_db} ({n:,} demands, {ents:,} enterprises; skipped when present)")
    run([qq_py, str(HERE / "qq_generate.py"), "--db", qq_db, "--demands", str(n), "--enterprises", str(ents),
         "--port", PGPORT], env=qq_env(qq_db, source), cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    say(f"build: Qinqing {qq_db} analysis tables (text index, monthly facts; skipped when complete)")
    run([qq_py, str(HERE / "qq_analysis.py"), "--db", qq_db, "--port", PGPORT], env=qq_env(qq_db, source),
        cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip


# --- servers -------------------------------------------------------------------------------------------


class Server:
    def __init__(self, system: str, db: str, qq_py: str, source: Path) -> None:
        self.system, self.db, self.qq_py, self.source = system, db, qq_py, source
        self.port = PEER_PORT if system == "peer" else QQ_PORT
        self.pidfile = SCRATCH / ("gunicorn.pid" if system == "peer" else "gunicorn-qq.pid")
        self.master = 0

    def start(self) -> None:
        if self.system == "peer":
            out = run(["bash", str(HERE / "serve.sh"), "start", self.db, str(WORKERS), str(self.port)],
                      capture_output=True).stdout  # fmt: skip
            self.master = int(out.strip().splitlines()[-1])
        else:
            gunicorn = str(Path(self.qq_py).parent / "gunicorn")
            run([gunicorn, "qinqing.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers",
                 str(WORKERS), "--worker-class", "sync", "--timeout", "600", "--graceful-timeout", "5",
                 "--pid", str(self.pidfile), "--no-control-socket", "--log-level", "warning",
                 "--error-logfile", str(SCRATCH / f"gunicorn-{self.db}.log"), "--daemon"],
                env=qq_env(self.db, self.source), cwd=self.source)  # fmt: skip
            for _ in range(150):
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("GET", "/healthz")
                    conn.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.2)
            self.master = int(self.pidfile.read_text().strip())
        time.sleep(1)
        say(
            f"{self.system}: gunicorn master {self.master} on :{self.port}, {WORKERS} sync workers ({self.db})"
        )

    def stop(self) -> None:
        if self.system == "peer":
            subprocess.run(["bash", str(HERE / "serve.sh"), "stop"], check=False)
        elif self.pidfile.exists():
            pid = int(self.pidfile.read_text().strip())
            try:
                os.kill(pid, 15)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                pass
            self.pidfile.unlink(missing_ok=True)

    def workers(self) -> list[int]:
        return children(self.master)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def backends(db: str) -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends connected to DB, by pid (children of the postmaster)."""
    out = {}
    for p in children(postmaster()):
        try:
            if f" {db} " in Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode() + " ":
                out[p] = cpu_ticks([p])
        except OSError:
            pass
    return out


def postmaster() -> int:
    return int((SCRATCH / "pg" / "data" / "postmaster.pid").read_text().split()[0])


class Sampler(threading.Thread):
    """Peak VmRSS per worker every 0.25 s, and the CPU of the workers and of all PostgreSQL backends."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.peak: dict[int, int] = {}
        self.stop_evt = threading.Event()

    def run(self) -> None:
        while not self.stop_evt.is_set():
            for p in self.server.workers():
                r = rss_kb(p)
                if r and r > self.peak.get(p, 0):
                    self.peak[p] = r
            time.sleep(0.25)

    def __enter__(self) -> Sampler:
        self.w0 = cpu_ticks(self.server.workers())
        self.p0 = backends(self.server.db)
        self.c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop_evt.set()
        self.join()
        self.worker_s = (cpu_ticks(self.server.workers()) - self.w0) / CLK
        p1 = backends(self.server.db)  # backends of this run's connections; one that left is not counted
        self.pg_s = sum(t - self.p0.get(p, 0) for p, t in p1.items()) / CLK
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.client_s = (c1.ru_utime + c1.ru_stime) - (self.c0.ru_utime + self.c0.ru_stime)


# --- load ----------------------------------------------------------------------------------------------


def headers_for(sc: dict[str, Any], auth: dict[str, str]) -> dict[str, str]:
    h: dict[str, str] = {}
    if sc.get("auth") == "token":
        h["Authorization"] = auth["token"]
    else:
        h["Cookie"] = auth["cookie"]
        if sc.get("method") == "POST" and auth.get("csrf"):
            h["X-CSRFToken"] = auth["csrf"]
    if sc.get("method") == "POST":
        h["Content-Type"] = "application/json"
    return h


def one_request(
    port: int, sc: dict[str, Any], auth: dict[str, str], seq: str
) -> tuple[bool, int, int, float]:
    path = sc["path"]
    if "{id}" in path:
        path = path.replace(
            "{id}", str(sc["ids"][len(seq) % len(sc["ids"])] if sc.get("ids") else sc["id_max"] // 2)
        )
    body = sc.get("body", "").replace("{seq}", seq).encode() if sc.get("method") == "POST" else None
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    conn.request(sc.get("method", "GET"), path, body=body, headers=headers_for(sc, auth))
    r = conn.getresponse()
    data = r.read().decode("utf-8", "replace")
    conn.close()
    dt = time.perf_counter() - t
    ok = r.status == sc.get("expect", 200) and sc["marker"] in data and 'name="password"' not in data
    return ok, r.status, len(data), dt


def run_wrk(port: int, sc: dict[str, Any], auth: dict[str, str], duration: int, conc: int) -> dict[str, Any]:
    env = dict(os.environ, BENCH_PATH=sc["path"], BENCH_MARKER=sc["marker"], BENCH_EXPECT=str(sc.get("expect", 200)),
               BENCH_METHOD=sc.get("method", "GET"), BENCH_ID_MAX=str(sc.get("id_max", 0)),
               BENCH_RUN_ID=f"{time.time():.0f}")  # fmt: skip
    for k, v in headers_for(sc, auth).items():
        if k == "Cookie":
            env["BENCH_COOKIE"] = v
        elif k == "Authorization":
            env["BENCH_AUTH"] = v
        elif k == "X-CSRFToken":
            env["BENCH_CSRF"] = v
    if sc.get("ids"):
        env["BENCH_IDS"] = ",".join(map(str, sc["ids"]))
    if sc.get("method") == "POST":
        env["BENCH_BODY"] = sc["body"]
    cmd = ["wrk", "-t", "2", "-c", str(conc), "-d", f"{duration}s", "--timeout", "600s", "-s",
           str(HERE / "bench.lua"), f"http://127.0.0.1:{port}"]  # fmt: skip
    out = run(cmd, env=env, capture_output=True).stdout
    j = json.loads(next(ln for ln in out.splitlines() if ln.startswith("BENCHJSON "))[10:])
    secs = j["duration_us"] / 1e6
    return {"mode": "wrk", "requests": j["requests"], "ok": j["ok"],
            "bad": j["bad_status"] + j["no_marker"] + j["err_connect"] + j["err_read"] + j["err_write"] + j["err_timeout"],
            "rps": j["requests"] / secs, "p50_ms": j["p50_us"] / 1000, "p95_ms": j["p95_us"] / 1000,
            "p99_ms": j["p99_us"] / 1000, "seconds": secs}  # fmt: skip


def pct(vals: list[float], p: float) -> float:
    k = (len(vals) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(vals) - 1)
    return vals[f] + (vals[c] - vals[f]) * (k - f)


def run_bounded(port: int, sc: dict[str, Any], auth: dict[str, str], total: int, conc: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(conc) as ex:
        res = list(ex.map(lambda i: one_request(port, sc, auth, f"b{t0:.0f}-{i}"), range(total)))
    wall = time.perf_counter() - t0
    lat = sorted(r[3] * 1000 for r in res)
    return {"mode": "bounded", "requests": total, "ok": sum(r[0] for r in res), "bad": sum(not r[0] for r in res),
            "rps": total / wall, "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
            "seconds": wall}  # fmt: skip


def measure(
    server: Server, sc: dict[str, Any], auth: dict[str, str], a: argparse.Namespace, bounded: bool
) -> dict[str, Any]:
    with Sampler(server) as s:
        if bounded:
            r = run_bounded(server.port, sc, auth, a.conc * a.bounded_waves, a.conc)
        else:
            r = run_wrk(server.port, sc, auth, a.duration, a.conc)
    n = max(1, r["requests"])
    r.update(rss_peak_mib=round(max(s.peak.values(), default=0) / 1024, 1),
             worker_cpu_ms=round(s.worker_s * 1000 / n, 2), pg_cpu_ms=round(s.pg_s * 1000 / n, 2),
             client_cpu_ms=round(s.client_s * 1000 / n, 2))  # fmt: skip
    return r


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


# --- in-process and SQL floor --------------------------------------------------------------------------


def sql_floor(db: str, statements: list[str], repeat: int = 5) -> float:
    """Median over REPEAT passes of the summed psql \\timing of the request's SELECT statements (ms)."""
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    if not selects:
        return 0.0
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write("\\timing on\n")
        for _ in range(repeat + 1):
            for s in selects:
                f.write(s.rstrip().rstrip(";") + ";\n")
        name = f.name
    out = run([str(PGBIN / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", PGPORT, "-U", "postgres", "-d", db,
               "-f", name, "-o", "/dev/null"], capture_output=True).stdout  # fmt: skip
    os.unlink(name)
    times = [float(m) for m in re.findall(r"^Time: ([\d.]+) ms", out, re.M)]
    k = len(selects)
    passes = [sum(times[i * k : (i + 1) * k]) for i in range(1, len(times) // k)]  # the first pass warms
    return round(statistics.median(passes), 2) if passes else 0.0


# --- the bench step ------------------------------------------------------------------------------------


def summarize(results: dict[str, dict[str, Any]]) -> None:
    """Medians of each cell's rounds (in place)."""
    for system in results:
        for cell in results[system].values():
            runs = cell["runs"]
            cell["median"] = {k: round(median(runs, k), 2) for k in
                              ("rps", "p50_ms", "p95_ms", "p99_ms", "worker_cpu_ms", "pg_cpu_ms", "client_cpu_ms")}  # fmt: skip
            cell["median"]["rss_peak_mib"] = max(r["rss_peak_mib"] for r in runs)
            cell["median"]["requests"] = sum(r["requests"] for r in runs)
            cell["median"]["bad"] = sum(r["bad"] for r in runs)
            cell["mode"] = runs[0]["mode"]


def step_bench(size: str, a: argparse.Namespace, qq_py: str, source: Path) -> dict[str, Any]:
    peer_db, qq_db = f"helpdesk_{size}", f"qq_peer_{size}"
    gen_path = SCRATCH / f"gen-{peer_db}.json"
    gen = json.loads(gen_path.read_text())
    out: dict[str, Any] = {"size": size, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                           "load_before": loadavg(), "duration_s": a.duration, "conc": a.conc, "rounds": a.rounds}  # fmt: skip
    say(f"bench {size}: load average before {out['load_before']}")
    prep_path = SCRATCH / f"qq-prep-{size}.json"
    # The data may have been built by an older commit: bring the schema (indexes, rollups) to the source's.
    run(
        [str(Path(qq_py).parent / "qinqing"), "migrate", "--verbosity", "0"],
        env=qq_env(qq_db, source),
        cwd=ROOT,
    )
    run([qq_py, str(HERE / "qq_side.py"), "cleanup"], env=qq_env(qq_db, source), cwd=ROOT)
    run([str(PEER_PY), str(HERE / "peer_side.py"), "cleanup", "--gen", str(gen_path), "--db", peer_db])
    run(
        [qq_py, str(HERE / "qq_side.py"), "prepare", "--out", str(prep_path)],
        env=qq_env(qq_db, source),
        cwd=ROOT,
    )
    prep = json.loads(prep_path.read_text())
    qq_sc = json.loads(run([qq_py, "-c", "import json,sys; sys.path.insert(0, sys.argv[1]); import qq_side; "
                            "print(json.dumps(qq_side.scenarios(json.load(open(sys.argv[2])))))", str(HERE),
                            str(prep_path)], capture_output=True, env=qq_env(qq_db, source)).stdout)  # fmt: skip
    peer_sc = json.loads(run([str(PEER_PY), str(HERE / "peer_side.py"), "scenarios", "--gen", str(gen_path)],
                             capture_output=True).stdout)  # fmt: skip
    out["data"] = {"peer": {k: gen[k] for k in ("tickets", "followups", "bench_queue_tickets", "bench_queue_open")
                            if k in gen},
                   "qinqing": {k: prep[k] for k in ("demands", "list_unit", "year_start", "year_end",
                                                    "year_demands_prefecture")}}  # fmt: skip
    say("in-process query counts (before the load: a partial run keeps them)")
    inproc = {"peer": SCRATCH / f"inproc-peer-{size}.json", "qinqing": SCRATCH / f"inproc-qq-{size}.json"}
    skip = "dashboard" if size == "1m" else ""  # ~20 s a request on the peer at 1M: counted once below
    run([str(PEER_PY), str(HERE / "peer_side.py"), "inproc", "--gen", str(gen_path), "--out", str(inproc["peer"]),
         "--repeat", "3", "--skip", skip], env=dict(os.environ, PGDATABASE=peer_db, PGPORT=PGPORT))  # fmt: skip
    run([qq_py, str(HERE / "qq_side.py"), "inproc", "--prep", str(prep_path), "--out", str(inproc["qinqing"])],
        env=qq_env(qq_db, source), cwd=ROOT)  # fmt: skip
    run([qq_py, str(HERE / "qq_side.py"), "cleanup"], env=qq_env(qq_db, source), cwd=ROOT)
    run([str(PEER_PY), str(HERE / "peer_side.py"), "cleanup", "--gen", str(gen_path), "--db", peer_db])
    ip = {s: json.loads(p.read_text()) for s, p in inproc.items()}
    if skip:
        ip["peer"]["dashboard"] = {"queries": 93, "note": "from the harness README (19–21 s a request)"}
    for system, db in (("peer", peer_db), ("qinqing", qq_db)):
        for sname, cell in ip[system].items():
            if sname.startswith("list_json"):
                cell["sql_floor_ms"] = sql_floor(db, cell["statements"])
            cell.pop("statements", None)
    out["inproc"] = ip
    peer, qq = Server("peer", peer_db, qq_py, source), Server("qinqing", qq_db, qq_py, source)
    results: dict[str, dict[str, Any]] = {"peer": {}, "qinqing": {}}
    only = set(filter(None, a.scenarios.split(",")))
    order = ["list_json", "list_html", "detail", "create_api", "dashboard"]  # the dashboard last (peer RSS)
    try:
        peer.start()
        qq.start()
        creds = json.loads(run([str(PEER_PY), str(HERE / "login.py"), "--base", f"http://127.0.0.1:{PEER_PORT}"],
                               capture_output=True).stdout)  # fmt: skip
        auth = {
            "peer": {"cookie": creds["cookie"], "csrf": creds["csrftoken"]},
            "qinqing": {"token": f"Bearer {prep['token']}"},
        }
        for name in order:
            if only and name not in only:
                continue
            group = [("peer", peer, name, peer_sc[name]), ("qinqing", qq, name, qq_sc[name])]
            group += [
                ("qinqing", qq, extra, qq_sc[extra])
                for extra, base, _ in PAIRS
                if base == name and extra != name
            ]
            modes = {}
            for system, server, sname, sc in group:
                au = dict(auth[system])
                if system == "qinqing" and sc.get("who"):
                    au["cookie"] = prep["cookies"][sc["who"]]
                checks = [
                    one_request(server.port, sc, au, f"check-{time.time():.0f}-{i}")
                    for i in range(WORKERS + 1)
                ]
                if not all(c[0] for c in checks):
                    raise SystemExit(f"{system} {sname}: check failed {[c[:3] for c in checks]}")
                slow = checks[-1][3] > a.slow_threshold
                modes[(system, sname)] = (slow, au)
                say(f"  {system:8s} {sname}: check ok (HTTP {checks[-1][1]}, {checks[-1][2]} bytes, "
                    f"{checks[-1][3] * 1000:.0f} ms){' -> bounded' if slow else ''}")  # fmt: skip
            for rnd in range(a.rounds):
                for system, server, sname, sc in group:
                    slow, au = modes[(system, sname)]
                    r = measure(server, sc, au, a, slow)
                    results[system].setdefault(sname, {"runs": []})["runs"].append(r)
                    say(f"  round {rnd + 1} {system:8s} {sname:16s} {r['rps']:8.2f} req/s  p50 {r['p50_ms']:8.1f}  "
                        f"p95 {r['p95_ms']:8.1f} ms  n={r['requests']} bad={r['bad']}  rss {r['rss_peak_mib']} MiB  "
                        f"cpu/req worker {r['worker_cpu_ms']} pg {r['pg_cpu_ms']} wrk {r['client_cpu_ms']} ms")  # fmt: skip
                    time.sleep(1)
            summarize(results)
            partial = dict(
                out, results=results, load_after=loadavg(), finished="(partial) " + time.strftime("%H:%M:%S")
            )
            (SCRATCH / f"side-{size}.json").write_text(json.dumps(partial, ensure_ascii=False, indent=1))
            if name == "create_api":  # the generated data only for what follows
                run([qq_py, str(HERE / "qq_side.py"), "cleanup"], env=qq_env(qq_db, source), cwd=ROOT)
                run(
                    [
                        str(PEER_PY),
                        str(HERE / "peer_side.py"),
                        "cleanup",
                        "--gen",
                        str(gen_path),
                        "--db",
                        peer_db,
                    ]
                )
    finally:
        peer.stop()
        qq.stop()
    summarize(results)
    out.update(results=results, load_after=loadavg(), finished=time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    say(f"bench {size}: load average after {out['load_after']}")
    return out


# --- RESULTS.md ----------------------------------------------------------------------------------------


def fmt(v: float | None, nd: int = 1) -> str:
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}" if abs(v) >= 10 else f"{v:,.{max(nd, 2)}f}"


def versions(qq_py: str, source: Path) -> str:
    pg = psql("postgres", "SHOW server_version")
    peer = run([str(PEER_PY), "-c", "import django, helpdesk, importlib.metadata as m; "
                "print(django.get_version(), m.version('django-helpdesk'), m.version('gunicorn'))"],
               capture_output=True).stdout.split()  # fmt: skip
    qq = run([qq_py, "-c", "import django, importlib.metadata as m; print(django.get_version(), m.version('gunicorn'), "
              "m.version('djangorestframework'))"], capture_output=True).stdout.split()  # fmt: skip
    found = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        if shutil.which("wrk")
        else None
    )
    wrk = (found.stdout + found.stderr).split()[1] if found else "?"
    commit = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    return (f"PostgreSQL {pg} (port {PGPORT}, the harness's settings), wrk {wrk}, Python {sys.version.split()[0]}; "
            f"peer: django-helpdesk {peer[1]}, Django {peer[0]}, gunicorn {peer[2]}; "
            f"Qinqing: commit {commit}, Django {qq[0]}, DRF {qq[2]}, gunicorn {qq[1]}")  # fmt: skip


def size_table(res: dict[str, Any]) -> list[str]:
    d = res["data"]
    lu = d["qinqing"]["list_unit"]
    lines = [
        f"#### {res['size']}: peer {d['peer']['tickets']:,} tickets; Qinqing {d['qinqing']['demands']:,} demands",
        "",
        f"Run {res['started']} → {res['finished']}; load average before: {res['load_before']}; after: "
        f"{res['load_after']}. wrk -t2 -c{res['conc']} -d{res['duration_s']}s, {res['rounds']} interleaved rounds, "
        "medians. List: the peer's queue 1 "
        f"({d['peer'].get('bench_queue_tickets', 0):,} tickets, {d['peer'].get('bench_queue_open', 0):,} open); "
        f"Qinqing's {lu['name']} (unit filter: {lu['total']:,} demands, {lu['open']:,} open, {lu['rejected']:,} "
        f"rejected). Statistics and dashboard: {d['qinqing']['year_start']}…{d['qinqing']['year_end']}, "
        f"{d['qinqing']['year_demands_prefecture']:,} demands.",
        "",
        "| workload | system | req/s | p50 ms | p95 ms | RSS/worker MiB | queries | in-process ms | worker CPU ms/req "
        "| PG CPU ms/req | Q ÷ peer (req/s) | Q ÷ peer (CPU/req) | target | checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    R, ip = res["results"], res["inproc"]
    for sname, base, label in PAIRS:
        if sname not in R["qinqing"] or base not in R["peer"]:
            continue
        p, q = R["peer"][base], R["qinqing"][sname]
        # Paired rounds (peer, then Qinqing, within a minute): the median of the per-round ratios.
        pairs = [qr["rps"] / pr["rps"] for pr, qr in zip(p["runs"], q["runs"], strict=False) if pr["rps"]]
        ratio = statistics.median(pairs) if pairs else 0
        p_cpu = p["median"]["worker_cpu_ms"] + p["median"]["pg_cpu_ms"]
        q_cpu = q["median"]["worker_cpu_ms"] + q["median"]["pg_cpu_ms"]
        cpu_ratio = p_cpu / q_cpu if q_cpu else 0
        tgt = TARGETS.get(sname)
        verdict = "—"
        if tgt:
            ok_ratio = ratio >= tgt[0]
            ok_p95 = q["median"]["p95_ms"] <= tgt[1]
            ok_rss = q["median"]["rss_peak_mib"] <= RSS_TARGET_MIB
            verdict = f"≥ {tgt[0]}×, p95 ≤ {tgt[1]} ms: " + (
                "met" if ok_ratio and ok_p95 and ok_rss else "**missed** (" + ", ".join(
                    x for x, ok in (("ratio", ok_ratio), ("p95", ok_p95), ("RSS", ok_rss)) if not ok) + ")")  # fmt: skip
        rows = [("peer", base, p)] if sname == base else []
        rows.append(("Qinqing", sname, q))
        for system, key, cell in rows:
            m = cell["median"]
            i = ip["peer" if system == "peer" else "qinqing"].get(key, {})
            mode = "" if cell["mode"] == "wrk" else f" (bounded, {cell['runs'][0]['requests']} req/run)"
            first = label if (system == "peer" or sname != base) else ""
            lines.append(
                f"| {first} | {system}{mode} | {fmt(m['rps'])} | {fmt(m['p50_ms'])} | "
                f"{fmt(m['p95_ms'])} | {fmt(m['rss_peak_mib'], 0)} | {i.get('queries', '—')} | {fmt(i.get('total_ms'))} | "
                f"{fmt(m['worker_cpu_ms'])} | {fmt(m['pg_cpu_ms'])} | "
                f"{(fmt(ratio, 2) + '×') if system == 'Qinqing' else ''} | "
                f"{(fmt(cpu_ratio, 2) + '×') if system == 'Qinqing' else ''} | {verdict if system == 'Qinqing' else ''} | "
                f"{m['requests'] - m['bad']}/{m['requests']} |"
            )  # fmt: skip
    floors = []
    for system, key in (("peer", "list_json"), ("Qinqing", "list_json"), ("Qinqing", "list_json_shape")):
        i = ip["peer" if system == "peer" else "qinqing"].get(key, {})
        if "sql_floor_ms" in i:
            r = R["peer" if system == "peer" else "qinqing"].get(key, {}).get("median", {})
            floors.append(f"{system} {key}: SQL in psql {fmt(i['sql_floor_ms'])} ms, in-process request "
                          f"{fmt(i.get('total_ms'))} ms ({fmt(i['total_ms'] / i['sql_floor_ms'] if i['sql_floor_ms'] else None)}× the floor), "
                          f"p50 at c={res['conc']} {fmt(r.get('p50_ms'))} ms")  # fmt: skip
    lines += [
        "",
        "List floor (the request's SELECTs run in psql with \\timing, median of 5 passes): "
        + "; ".join(floors)
        + ".",
    ]
    return lines


def growth_table(all_res: dict[str, dict[str, Any]]) -> list[str]:
    if not {"100k", "1m"} <= set(all_res):
        return []
    a, b = all_res["100k"]["results"], all_res["1m"]["results"]
    lines = ["#### Growth, 100k → 1M (median req/s and p95 ms)", "",
             "| workload | peer req/s | peer p95 ms | Qinqing req/s | Qinqing p95 ms |", "|---|---|---|---|---|"]  # fmt: skip
    for sname, base, label in PAIRS:

        def cell(sys_: str, key: str) -> tuple[str, str]:
            x, y = a[sys_].get(key, {}).get("median"), b[sys_].get(key, {}).get("median")
            if not x or not y:
                return "—", "—"
            return (f"{fmt(x['rps'])} → {fmt(y['rps'])} ({fmt(y['rps'] / x['rps'], 2)}×)",
                    f"{fmt(x['p95_ms'])} → {fmt(y['p95_ms'])}")  # fmt: skip

        pr, pp = cell("peer", base) if sname == base else ("(above)", "(above)")
        qr, qp = cell("qinqing", sname)
        lines.append(f"| {label} | {pr} | {pp} | {qr} | {qp} |")
    return lines


def write_results(all_res: dict[str, dict[str, Any]], vers: str, notes: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    body = [f"## {HEADING}", "",
            "Reproduce (as root, from a fresh clone with `.venv`): `python3 bench/peer/run.py` — sets up the peer in "
            "/tmp/peer, builds both databases at 100,000 and 1,000,000 on one PostgreSQL 15 cluster (port 5433), "
            "serves each with gunicorn (2 sync workers), drives both with the same wrk Lua checks at concurrency 8, "
            "interleaved (peer, Qinqing, … three rounds, medians).", "", vers, ""]  # fmt: skip
    for size in ("100k", "1m"):
        if size in all_res:
            body += [*size_table(all_res[size]), ""]
    body += [*growth_table(all_res), "", notes.strip(), ""]
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    section = "\n".join(body).rstrip() + "\n"
    m = re.search(rf"^## {re.escape(HEADING)}\n.*?(?=^## |\Z)", text, re.S | re.M)
    text = (
        text[: m.start()] + section + ("\n" + text[m.end() :] if text[m.end() :] else "")
        if m
        else text.rstrip() + "\n\n" + section
    )
    path.write_text(text, encoding="utf-8")
    say(f"wrote {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", default="setup,build,bench", help="setup,build,bench (report: the table only)")
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conc", type=int, default=8)
    ap.add_argument("--slow-threshold", type=float, default=1.5, help="a slower warm request runs bounded")
    ap.add_argument("--bounded-waves", type=int, default=1, help="bounded runs send conc × waves requests")
    ap.add_argument(
        "--scenarios", default="", help="subset of list_json,list_html,detail,create_api,dashboard"
    )
    ap.add_argument("--qq-source", default=str(ROOT), help="the Qinqing tree to serve (default: this one)")
    ap.add_argument("--qq-python", default=str(ROOT / ".venv" / "bin" / "python"))
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    a = ap.parse_args()
    steps, sizes = a.steps.split(","), a.sizes.split(",")
    source = Path(a.qq_source).resolve()
    if "setup" in steps:
        step_setup([f"helpdesk_{s}" for s in sizes])
    else:
        run(["bash", str(HERE / "pg.sh"), "start"])
    if "build" in steps:
        for s in sizes:
            step_build(s, a.qq_python, source)
    if "bench" in steps or "report" in steps:
        all_res = {}
        for s in ("100k", "1m"):  # earlier sizes of the same series stay in the table
            f = SCRATCH / f"side-{s}.json"
            if f.exists() and (s not in sizes or "bench" not in steps):
                all_res[s] = json.loads(f.read_text())
        for s in sizes if "bench" in steps else ():
            all_res[s] = step_bench(s, a, a.qq_python, source)
            (SCRATCH / f"side-{s}.json").write_text(json.dumps(all_res[s], ensure_ascii=False, indent=1))
        if not a.no_write:
            notes = (HERE / "NOTES.md").read_text(encoding="utf-8") if (HERE / "NOTES.md").exists() else ""
            write_results(all_res, versions(a.qq_python, source), notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
