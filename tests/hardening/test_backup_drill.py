"""The restore drill: fill a database and the attachment store, back up, drop the database, restore into a
fresh one, and compare the row count and checksum of every table and every file (SQLite here; PostgreSQL
with pg_dump/pg_restore in CI's PostgreSQL pass)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILL = """
from qinqing.core.demo import load_users
from qinqing.orgs.tree import load_tree
from qinqing.enterprises import demo as e
from qinqing.demands import demo as d
from qinqing.investment import demo as i
from qinqing.liaison import demo as l
load_tree(); load_users(); e.load(); load_users(); d.load(); i.load(); l.load()
"""
FINGERPRINT = (
    "import json; from qinqing.core import backup; from django.conf import settings; from pathlib import Path; "
    "print(json.dumps({'tables': backup.fingerprint_database(), "
    "'files': backup.media_files(Path(settings.MEDIA_ROOT))}))"
)


def _qinqing(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QINQING_", "DEBUG", "REDIS"))
    }
    full.update({"SECRET_KEY": "drill-" + "k" * 50, "QINQING_DEMO": "1", **env})
    return subprocess.run(
        [sys.executable, "-m", "qinqing.cli", *args],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def _fill_media(media: Path) -> None:
    (media / "demands" / "2026" / "03").mkdir(parents=True)
    (media / "demands" / "2026" / "03" / "营业执照.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    (media / "investment" / "合同 扫描件.jpg").parent.mkdir(parents=True)
    (media / "investment" / "合同 扫描件.jpg").write_bytes(os.urandom(200_000))
    (media / "empty.txt").write_bytes(b"")


def _drill(source: dict[str, str], target: dict[str, str], drop: Any, tmp_path: Path) -> None:
    _ok(_qinqing(source, "migrate", "--verbosity", "0"))
    _ok(_qinqing(source, "shell", "-c", FILL))
    _fill_media(Path(source["MEDIA_ROOT"]))
    before = json.loads(_ok(_qinqing(source, "shell", "-c", FINGERPRINT)).splitlines()[-1])
    out = _ok(_qinqing(source, "backup", "--out", str(tmp_path / "backups")))
    assert out.startswith("备份完成：")
    (backup_dir,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"] == before["tables"]
    assert manifest["media"]["files"] == before["files"]

    drop()
    restored = _qinqing(target, "restore", str(backup_dir), "--yes")
    out = _ok(restored)
    after = json.loads(_ok(_qinqing(target, "shell", "-c", FINGERPRINT)).splitlines()[-1])
    tables, rows = len(after["tables"]), sum(t["rows"] for t in after["tables"].values())
    same_tables = sum(after["tables"].get(name) == value for name, value in before["tables"].items())
    same_files = sum(after["files"].get(name) == value for name, value in before["files"].items())
    print(
        f"restore drill ({manifest['engine']}): {tables} tables, {rows} rows, {len(after['files'])} files; "
        f"identical tables {same_tables}/{len(before['tables'])}, files {same_files}/{len(before['files'])}"
    )
    assert after == before
    assert rows > 2000
    assert before["tables"]["demands_demand"]["rows"] > 0
    assert len(before["files"]) == 3
    assert out.strip() == (f"恢复完成，核对一致：{tables} 张表、{rows} 行，3 个附件与备份清单相同")
    # A second restore onto the now-filled database is refused, nothing touched.
    again = _qinqing(
        {**target, "MEDIA_ROOT": str(tmp_path / "other-media")}, "restore", str(backup_dir), "--yes"
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "目标数据库不是空的：请恢复到新建的空数据库"


@pytest.mark.own_database
def test_restore_drill_sqlite(tmp_path: Path) -> None:
    source_db, target_db = tmp_path / "source.sqlite3", tmp_path / "restored.sqlite3"
    source = {
        "DATABASE_URL": f"sqlite:///{source_db}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "QINQING_VAR_DIR": str(tmp_path),
    }
    target = {
        "DATABASE_URL": f"sqlite:///{target_db}",
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "QINQING_VAR_DIR": str(tmp_path),
    }

    def drop() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{source_db}{suffix}").unlink(missing_ok=True)

    _drill(source, target, drop, tmp_path)


@pytest.mark.own_database
def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "QINQING_VAR_DIR": str(tmp_path),
    }
    _ok(_qinqing(env, "migrate", "--verbosity", "0"))
    _ok(_qinqing(env, "backup", "--out", str(tmp_path / "b")))
    (backup_dir,) = (tmp_path / "b").iterdir()
    with (backup_dir / "database.sqlite3").open("r+b") as handle:
        handle.seek(5000)
        handle.write(b"\x00garbage\x00")
    target = {
        **env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "m2"),
    }
    result = _qinqing(target, "restore", str(backup_dir), "--yes")
    assert result.returncode == 1
    assert result.stderr.strip() == "备份文件损坏或缺失（校验和不符）：database.sqlite3"
    assert not (tmp_path / "m2").exists()


@pytest.mark.postgres
def test_restore_drill_postgresql(tmp_path: Path) -> None:
    import dj_database_url
    import psycopg

    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    names = (f"qq_drill_src_{os.getpid()}", f"qq_drill_dst_{os.getpid()}")
    admin: dict[str, str] = {
        "host": str(base["HOST"] or "127.0.0.1"),
        "port": str(base["PORT"] or 5432),
        "user": str(base["USER"] or "postgres"),
        "dbname": "postgres",
    }
    if base.get("PASSWORD"):
        admin["password"] = str(base["PASSWORD"])

    def sql(statement: str) -> None:
        with psycopg.connect(autocommit=True, **admin) as conn:  # type: ignore[arg-type]
            conn.execute(statement)

    def url(name: str) -> str:
        auth = admin["user"] + (f":{admin['password']}" if "password" in admin else "")
        return f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}"

    for name in names:
        sql(f"DROP DATABASE IF EXISTS {name}")
        sql(f"CREATE DATABASE {name}")
    try:
        source = {
            "DATABASE_URL": url(names[0]),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "QINQING_VAR_DIR": str(tmp_path),
        }
        target = {
            "DATABASE_URL": url(names[1]),
            "MEDIA_ROOT": str(tmp_path / "restored-media"),
            "QINQING_VAR_DIR": str(tmp_path),
        }
        _drill(source, target, lambda: sql(f"DROP DATABASE {names[0]} WITH (FORCE)"), tmp_path)
    finally:
        for name in names:
            sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
