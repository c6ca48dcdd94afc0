"""Every ``qinqing`` management command, run as an operator would (a subprocess), on a database that was
never migrated and on one that cannot be reached: one clear Chinese line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import get_commands

from qinqing.core.operator import NOT_MIGRATED

# Each test runs the commands in subprocesses on database files of its own (or an unreachable server).
pytestmark = pytest.mark.own_database

UNREACHABLE = "postgres://qinqing@127.0.0.1:1/qinqing"

# Arguments that get each command past its argument parser to its first database access.
SAMPLES: dict[str, list[str]] = {
    "workdays": ["add", "2026-09-30", "5"],
    "analysis_facts": ["--verify"],
    "analysis_reindex": [],
    "monthly_report": ["--unit", "昌吉州", "--month", "2026-03"],
    "purge_audit": ["--older-than-days", "400", "--dry-run"],
    "runjobs": ["--once"],
    "serve": ["--bind", "127.0.0.1:0", "--workers", "1"],
    "investment_rebuild_aggregates": ["--check"],
    "backup": ["--out", "{tmp}/backups"],
    # Django's own commands an operator uses.
    "createsuperuser": ["--noinput", "--username", "operator", "--email", "op@example.gov.cn"],
    "changepassword": ["admin"],
    "dumpdata": ["orgs"],
}
# Commands that need no database at all (they succeed either way).
NO_DATABASE = {"creditcode": ["91350100M000100Y43"]}
# Commands that initialise or inspect a fresh database (only the unreachable case applies).
INITIALISE = {"migrate": [], "demo": ["--no-serve"], "showmigrations": [], "restore": ["{tmp}/none", "--yes"]}


def _qinqing_commands() -> set[str]:
    return {name for name, app in get_commands().items() if app.startswith("qinqing")}


def _run(database_url: str, name: str, args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QINQING_", "DEBUG", "REDIS"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "QINQING_VAR_DIR": str(tmp),
            "QINQING_DEMO": "1",
            "SECRET_KEY": "operator-test-" + "x" * 40,
            "DJANGO_SUPERUSER_PASSWORD": "Op3rator-pass!",
        }
    )
    argv = [a.replace("{tmp}", str(tmp)) for a in args]
    return subprocess.run(
        [sys.executable, "-m", "qinqing.cli", name, *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _run_all(
    cases: list[tuple[str, str, list[str]]], tmp_path: Path
) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    def one(index: int, case: tuple[str, str, list[str]]) -> tuple[str, subprocess.CompletedProcess[str]]:
        url, name, args = case
        tmp = tmp_path / f"run{index}"
        tmp.mkdir()
        return name, _run(url.replace("{tmp}", str(tmp)), name, args, tmp)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda pair: one(*pair), enumerate(cases)))


def test_every_qinqing_command_has_a_sample() -> None:
    known = set(SAMPLES) | set(NO_DATABASE) | set(INITIALISE)
    missing = sorted(_qinqing_commands() - known)
    # New apps' commands run below with no arguments; list them here to exercise them properly.
    print(
        f"qinqing commands: {len(_qinqing_commands())}; without a sample (run with no arguments): {missing}"
    )
    assert {"workdays", "creditcode", "serve", "runjobs", "demo"} <= _qinqing_commands()


@pytest.mark.parametrize(
    ("label", "url", "expected"),
    [
        ("never migrated", "sqlite:///{tmp}/fresh.sqlite3", NOT_MIGRATED),
        ("unreachable", UNREACHABLE, '无法连接数据库：connection to server at "127.0.0.1", port 1 failed'),
    ],
)
def test_commands_print_one_line_and_exit_non_zero(
    label: str, url: str, expected: str, tmp_path: Path
) -> None:
    names = sorted((_qinqing_commands() | set(SAMPLES)) - set(NO_DATABASE) - set(INITIALISE))
    cases = [(url, name, SAMPLES.get(name, [])) for name in names]
    if label == "unreachable":
        cases += [(url, name, args) for name, args in INITIALISE.items()]
    cases += [(url, name, args) for name, args in NO_DATABASE.items()]
    results = _run_all(cases, tmp_path)
    tracebacks = [name for name, r in results if "Traceback" in r.stdout + r.stderr]
    print(f"operator commands ({label}): {len(results)} runs, {len(tracebacks)} tracebacks")
    assert tracebacks == []
    for name, result in results:
        if name in NO_DATABASE:
            assert result.returncode == 0, (name, result.stderr)
            assert result.stdout.strip() == "91350100M000100Y43 OK"
            continue
        if name not in SAMPLES and name not in INITIALISE:  # another app's new command: no traceback
            continue
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 1, (name, result.returncode, result.stderr)
        assert len(lines) == 1, (name, result.stderr)
        assert lines[0].startswith(expected), (name, lines[0])


def test_migrate_then_commands_work(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite3"
    assert _run(url, "migrate", ["--verbosity", "0"], tmp_path).returncode == 0
    result = _run(url, "workdays", ["add", "2026-09-30", "5"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("2026-10-")


def test_traceback_flag_still_shows_the_traceback(tmp_path: Path) -> None:
    result = _run(
        f"sqlite:///{tmp_path}/fresh.sqlite3", "workdays", ["--traceback", "add", "2026-09-30", "5"], tmp_path
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "no such table" in result.stderr


@pytest.mark.django_db
def test_the_readiness_check_leaves_no_connection_for_forked_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` checks the database and then forks gunicorn's workers: an open connection would be one
    socket shared by every worker (each reading the others' results), so the check closes it. (The test
    database's connection survives a real close inside the test's transaction, hence the spy.)"""
    from django.db import connections

    from qinqing.core import operator

    steps: list[str] = []
    monkeypatch.setattr(operator, "database_state", lambda: steps.append("check"))
    monkeypatch.setattr(connections, "close_all", lambda: steps.append("close"))
    operator.require_database()
    assert steps == ["check", "close"]
