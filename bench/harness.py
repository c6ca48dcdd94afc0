"""Shared benchmark plumbing: a PostgreSQL database, gunicorn, an HTTP load loop, RESULTS.md.

Benchmarks run against PostgreSQL on this machine (127.0.0.1:5432, trust auth) and gunicorn on a
loopback port; every request loop is bounded in count and time. Figures are printed and written to
bench/RESULTS.md under the benchmark's own heading.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "RESULTS.md"
PG = "postgres://postgres@127.0.0.1:5432/"


def database_url(name: str) -> str:
    return PG + name


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def database_exists(name: str) -> bool:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"unsafe database name {name!r}")
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608 - name checked


def recreate_database(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')


def django_env(db_name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(db_name),
            "DJANGO_SETTINGS_MODULE": "qinqing.settings",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ADMIN_TOTP_REQUIRED": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def setup_django(db_name: str) -> None:
    """Configure Django in this process against DB_NAME (for generators and session creation)."""
    os.environ.update(django_env(db_name))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    db_name: str, workers: int = 4, threads: int = 1, app: str = "qinqing.wsgi:application"
) -> Iterator[str]:
    """Serve APP (a WSGI callable, or a factory call such as ``module:make()``) with gunicorn on a free
    loopback port; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env=django_env(db_name),
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield f"127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def session_cookie(username: str) -> str:
    """A logged-in session for USERNAME created directly in the database (Django configured)."""
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


@dataclass
class Figures:
    name: str
    count: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        return (
            f"| {self.name} | {self.count} | {self.errors} | {self.p50_ms:.1f} | {self.p95_ms:.1f} | "
            f"{self.p99_ms:.1f} | {self.max_ms:.1f} | {self.rps:.1f} |"
        )


TABLE_HEADER = "| what | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |\n|---|---|---|---|---|---|---|---|"


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def load(
    base: str,
    name: str,
    requests: Sequence[tuple[str, str, bytes | None, dict[str, str]]],
    concurrency: int = 4,
    max_seconds: float = 60.0,
    expect: tuple[int, ...] = (200,),
) -> Figures:
    """Send REQUESTS (method, path, body, headers) over CONCURRENCY keep-alive connections.

    Bounded by the list length and MAX_SECONDS; latencies are measured per request.
    """
    host, port = base.split(":")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    index = 0
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        nonlocal index, errors
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if index >= len(requests):
                    break
                method, path, body, headers = requests[index]
                index += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status in expect
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    return Figures(
        name=name,
        count=len(latencies),
        errors=errors,
        seconds=seconds,
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies) if latencies else 0.0,
    )


def wrk(
    base: str,
    name: str,
    env: dict[str, str],
    connections: int = 8,
    seconds: int = 20,
    threads: int = 2,
) -> Figures:
    """Drive BASE with wrk (C, so that the load generator takes little of the machine's CPU) and the
    shared Lua checks of bench/peer/bench.lua (BENCH_PATH, BENCH_IDS, BENCH_MARKER, BENCH_XFF_MAX …, see
    there); responses with a wrong status or without the marker count as errors."""
    import shutil

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    script = Path(__file__).resolve().parent / "peer" / "bench.lua"
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://{base}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    r = json.loads(line.removeprefix("BENCHJSON "))
    errors = (
        r["bad_status"]
        + r["no_marker"]
        + r["err_connect"]
        + r["err_read"]
        + r["err_write"]
        + r["err_timeout"]
    )
    return Figures(
        name,
        r["ok"],
        errors,
        r["duration_us"] / 1e6,
        r["p50_us"] / 1000,
        r["p95_us"] / 1000,
        r["p99_us"] / 1000,
        r["lat_max_us"] / 1000,
    )


def timed(name: str, func: object, repeat: int = 5) -> Figures:
    """Time an in-process call REPEAT times (for statistics queries and report generation)."""
    latencies = []
    started = time.monotonic()
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()  # type: ignore[operator]
        latencies.append((time.perf_counter() - t0) * 1000)
    return Figures(
        name=name,
        count=repeat,
        errors=0,
        seconds=time.monotonic() - started,
        p50_ms=statistics.median(latencies),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies),
    )


def write_section(heading: str, body: str) -> None:
    """Replace (or append) the '## HEADING' section of bench/RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def machine_line() -> str:
    pg = psql("SHOW server_version")
    return f"Machine: {os.cpu_count()} cores; PostgreSQL {pg}; Python {sys.version.split()[0]}; gunicorn sync workers."


def json_body(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()
