"""Backups: the database plus the attachment store (MEDIA_ROOT), with a manifest of checksums.

A backup is a directory ``qinqing-YYYYmmdd-HHMMSS/``:

- ``database.dump`` — PostgreSQL custom-format ``pg_dump`` (taken in an exported snapshot), or
  ``database.sqlite3`` — SQLite's online backup API (a consistent copy while the site runs);
- ``media.tar`` — every file of the attachment store;
- ``manifest.json`` — format, engine, time, the SHA-256 of the dump and of every attachment, and the
  row count and content checksum of every table *in the same snapshot as the dump*.

``restore`` checks the manifest's checksums before touching anything, refuses a target database that is
not empty, restores, then recomputes every table's count and checksum and every file's checksum and
compares them with the manifest: "identical" or the list of differences (exit 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from qinqing.core.operator import OperatorError

FORMAT = "qinqing-backup/1"
CHUNK = 1024 * 1024


class BackupError(OperatorError):
    """A backup or restore that cannot proceed; the message is the operator's line."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- table fingerprints ---------------------------------------------------------------------------
def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_fingerprints(cursor: Any, tables: Iterable[str], engine: str) -> dict[str, dict[str, Any]]:
    """Row count and an order-independent SHA-256 of every row's text, per table. PostgreSQL rows are read
    as the server's text form of the row (UTC, ISO dates), so any client computes the same value."""
    result: dict[str, dict[str, Any]] = {}
    if engine == "postgresql":
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        cursor.execute("SET LOCAL extra_float_digits = 3")
    for table in sorted(tables):
        if engine == "postgresql":
            cursor.execute(f"SELECT t::text FROM {_quote(table)} AS t")  # noqa: S608 - introspected names
        else:
            cursor.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608 - introspected names
        rows = sorted(repr(tuple(_plain(v) for v in row)) for row in cursor.fetchall())
        digest = hashlib.sha256()
        for row in rows:
            digest.update(row.encode("utf-8"))
            digest.update(b"\n")
        result[table] = {"rows": len(rows), "sha256": digest.hexdigest()}
    return result


def _plain(value: Any) -> Any:
    """A representation that survives dump and restore identically (memoryview → bytes, aware times in UTC)."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    return value


def _user_tables(cursor: Any, engine: str) -> list[str]:
    if engine == "postgresql":
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    return [row[0] for row in cursor.fetchall()]


def _engine(settings_dict: dict[str, Any]) -> str:
    backend = settings_dict["ENGINE"]
    if "postgresql" in backend:
        return "postgresql"
    if "sqlite3" in backend:
        return "sqlite"
    raise BackupError(f"不支持的数据库类型：{backend}")


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": str(settings_dict.get("HOST") or "localhost"),
            "PGPORT": str(settings_dict.get("PORT") or "5432"),
            "PGUSER": str(settings_dict.get("USER") or ""),
            "PGDATABASE": str(settings_dict["NAME"]),
        }
    )
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def _run(argv: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {argv[0]}：请安装 PostgreSQL 客户端（postgresql-client）") from exc
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["未知错误"])[-1]
        raise BackupError(f"{Path(argv[0]).name} 失败：{line}")


# --- media ----------------------------------------------------------------------------------------
def media_files(root: Path) -> dict[str, dict[str, Any]]:
    """Every file under ROOT: relative path → size and SHA-256."""
    out: dict[str, dict[str, Any]] = {}
    if not root.exists():
        return out
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        out[path.relative_to(root).as_posix()] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return out


# --- backup ---------------------------------------------------------------------------------------
@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    files: int
    bytes: int


def backup(out_dir: Path, *, now: dt.datetime | None = None) -> BackupResult:
    """Write one backup directory under OUT_DIR and return what it holds."""
    now = now or timezone.now()
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    target = out_dir / f"qinqing-{stamp}"
    if target.exists():
        raise BackupError(f"备份目录已存在：{target}")
    partial = out_dir / f".partial-qinqing-{stamp}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    settings_dict = connection.settings_dict
    engine = _engine(settings_dict)
    if engine == "postgresql":
        database_file, tables = _backup_postgresql(settings_dict, partial)
    else:
        database_file, tables = _backup_sqlite(settings_dict, partial)
    media_root = Path(settings.MEDIA_ROOT)
    files = media_files(media_root)
    with tarfile.open(partial / "media.tar", "w") as tar:
        for name in files:
            tar.add(media_root / name, arcname=name, recursive=False)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "engine": engine,
        "database": {"file": database_file, "sha256": sha256_file(partial / database_file)},
        "media": {"file": "media.tar", "sha256": sha256_file(partial / "media.tar"), "files": files},
        "tables": tables,
    }
    (partial / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    partial.rename(target)  # a backup directory without its ".partial-" prefix is complete
    size = sum(p.stat().st_size for p in target.iterdir())
    return BackupResult(target, len(tables), sum(t["rows"] for t in tables.values()), len(files), size)


def _backup_postgresql(settings_dict: dict[str, Any], into: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    """pg_dump inside an exported snapshot; the fingerprints are read in that same snapshot."""
    import psycopg

    conninfo = {
        "host": settings_dict.get("HOST") or "localhost",
        "port": settings_dict.get("PORT") or 5432,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "dbname": settings_dict["NAME"],
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v is not None}) as snap:
        snap.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = snap.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = str(row[0])
        cursor = snap.cursor()
        tables = table_fingerprints(cursor, _user_tables(cursor, "postgresql"), "postgresql")
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "--file",
                str(into / "database.dump"),
            ],
            _pg_env(settings_dict),
        )
        snap.rollback()
    return "database.dump", tables


def _backup_sqlite(settings_dict: dict[str, Any], into: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    source = Path(str(settings_dict["NAME"]))
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    target = into / "database.sqlite3"
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal/-shm beside it
    finally:
        src.close()
        dst.close()
    return "database.sqlite3", _sqlite_fingerprints(target)


def _sqlite_fingerprints(path: Path) -> dict[str, dict[str, Any]]:
    copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = copy.cursor()
        return table_fingerprints(cursor, _user_tables(cursor, "sqlite"), "sqlite")
    finally:
        copy.close()


# --- restore --------------------------------------------------------------------------------------
@dataclass
class RestoreResult:
    tables: int
    rows: int
    files: int
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise BackupError(f"不是备份目录（缺少 manifest.json）：{path}")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    for part in (manifest["database"], manifest["media"]):
        file = path / part["file"]
        if not file.exists() or sha256_file(file) != part["sha256"]:
            raise BackupError(f"备份文件损坏或缺失（校验和不符）：{file.name}")
    return manifest


def restore(path: Path) -> RestoreResult:
    """Restore the backup at PATH into the (empty) configured database and attachment store."""
    manifest = read_manifest(path)
    settings_dict = connection.settings_dict
    engine = _engine(settings_dict)
    if engine != manifest["engine"]:
        raise BackupError(f"备份来自 {manifest['engine']}，目标数据库是 {engine}：请使用同类数据库")
    media_root = Path(settings.MEDIA_ROOT)
    existing = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    if existing:
        raise BackupError(f"附件目录不是空的（{len(existing)} 个文件）：{media_root}")
    with connection.cursor() as cursor:
        if _user_tables(cursor, engine):
            raise BackupError("目标数据库不是空的：请恢复到新建的空数据库")
    if engine == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                str(settings_dict["NAME"]),
                str(path / manifest["database"]["file"]),
            ],
            _pg_env(settings_dict),
        )
    else:
        connection.close()
        target = Path(str(settings_dict["NAME"]))
        src, dst = sqlite3.connect(path / manifest["database"]["file"]), sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")  # as settings.py runs it
        finally:
            src.close()
            dst.close()
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path / manifest["media"]["file"]) as tar:
        tar.extractall(media_root, filter="data")
    return verify(manifest)


def fingerprint_database() -> dict[str, dict[str, Any]]:
    """Row count and checksum of every table of the configured database (as a backup computes them)."""
    engine = _engine(connection.settings_dict)
    if engine == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:  # SET LOCAL stays in this transaction
            return table_fingerprints(cursor, _user_tables(cursor, engine), engine)
    connection.close()  # read the file as the backup did (raw sqlite3, no Django type conversion)
    return _sqlite_fingerprints(Path(str(connection.settings_dict["NAME"])))


def verify(manifest: dict[str, Any]) -> RestoreResult:
    """Compare the configured database and attachment store with MANIFEST."""
    actual = fingerprint_database()
    expected: dict[str, dict[str, Any]] = manifest["tables"]
    differences = [
        f"表 {name}：备份 {expected.get(name)}，恢复后 {actual.get(name)}"
        for name in sorted(set(expected) | set(actual))
        if expected.get(name) != actual.get(name)
    ]
    files = media_files(Path(settings.MEDIA_ROOT))
    wanted: dict[str, dict[str, Any]] = manifest["media"]["files"]
    differences += [
        f"文件 {name}：校验和不符或缺失"
        for name in sorted(set(wanted) | set(files))
        if wanted.get(name) != files.get(name)
    ]
    rows = sum(t["rows"] for t in actual.values())
    return RestoreResult(len(actual), rows, len(files), differences)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
