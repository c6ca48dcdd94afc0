"""Operator-facing failures: one clear Chinese line instead of a traceback.

``qinqing.cli.main`` runs every management command through :func:`run`; an exception that escapes a
command is turned into one line on stderr and exit status 1 (``--traceback`` or QINQING_TRACEBACK=1 shows
the traceback for a developer). Database errors are diagnosed after the fact: is the server reachable, has
the database been migrated, is it behind the code's migrations?
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

NOT_MIGRATED = "数据库尚未初始化：请先运行 qinqing migrate"
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0].strip()
    for prefix in ("connection failed: ",):
        if line.startswith(prefix):
            line = line[len(prefix) :]
    return line


def _unreachable(exc: BaseException) -> str:
    return f"无法连接数据库：{_first_line(exc)}"


def database_state() -> str | None:
    """None when the default database is reachable and fully migrated, else the line to print."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.close()
        connection.ensure_connection()
    except DatabaseError as exc:
        return _unreachable(exc)
    try:
        tables = set(connection.introspection.table_names())
        if "django_migrations" not in tables:
            return NOT_MIGRATED
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return _unreachable(exc)
    if plan:
        return f"数据库结构不是最新（{len(plan)} 个迁移未执行）：请先运行 qinqing migrate"
    return None


class OperatorError(Exception):
    """A command that cannot proceed; its message is the one line the operator sees (no traceback)."""


class NotReady(OperatorError):
    """Raised by a command that cannot start because the database is not ready."""


def require_database() -> None:
    """For long-running commands (serve, runjobs): refuse to start on a database that is not ready.

    The check's connection is closed again: ``serve`` forks gunicorn's workers from this process, and a
    connection they inherited would be one socket shared by all of them, each reading the others' results.
    """
    from django.db import connections

    try:
        problem = database_state()
    finally:
        connections.close_all()
    if problem is not None:
        raise NotReady(problem)


def explain(exc: BaseException) -> str:
    """The one line an operator sees for EXC."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    if isinstance(exc, OperatorError):
        return str(exc)
    if isinstance(exc, DatabaseError):
        try:
            problem = database_state()
        except Exception:
            problem = None
        return problem or f"数据库错误：{_first_line(exc)}"
    if isinstance(exc, ImproperlyConfigured):
        return f"配置错误：{_first_line(exc)}"
    if isinstance(exc, OSError):
        return f"文件或网络错误：{_first_line(exc)}"
    return f"命令失败：{_first_line(exc)}（加 --traceback 查看详情）"


# Commands that work without a database, or create it: no pre-flight check.
NO_DATABASE = {
    "check",
    "collectstatic",
    "compilemessages",
    "creditcode",
    "diffsettings",
    "evaluation",  # evaluation score: pure scoring of files, never touches the database
    "findstatic",
    "help",
    "makemessages",
    "makemigrations",
    "optimizemigration",
    "runserver",
    "sendtestemail",
    "shell",
    "spectacular",
    "squashmigrations",
    "startapp",
    "startproject",
    "test",
    "testserver",
    "version",
}
# Commands that need the server but not the tables (they create or inspect them).
REACHABLE_ONLY = {
    "createcachetable",
    "dbshell",
    "demo",
    "flush",
    "migrate",
    "restore",
    "showmigrations",
    "sqlflush",
    "sqlmigrate",
    "sqlsequencereset",
    "inspectdb",
}


def preflight(name: str) -> None:
    """Before a command touches the database: is it reachable and migrated? Raises NotReady if not.

    Django's own commands turn database errors into a CommandError with a raw driver message (several
    lines, English); checking first gives every command the same one clear line."""
    if name in NO_DATABASE or name.startswith("-"):
        return
    import django

    django.setup()
    problem = database_state()
    if problem is None:
        return
    if name in REACHABLE_ONLY and not problem.startswith("无法连接数据库"):
        return
    raise NotReady(problem)


def run(command: Callable[[list[str]], None], argv: list[str]) -> None:
    """Run COMMAND(argv); turn an escaping exception into one line on stderr and a non-zero exit."""
    wants_traceback = "--traceback" in argv or os.environ.get("QINQING_TRACEBACK", "") in {"1", "true"}
    try:
        if len(argv) > 1 and not wants_traceback:
            preflight(argv[1])
        command(argv)
    except KeyboardInterrupt:
        sys.stderr.write("已中断\n")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if wants_traceback:
            raise
        sys.stderr.write(explain(exc) + "\n")
        sys.stderr.flush()
        sys.exit(EXIT_FAILURE)
