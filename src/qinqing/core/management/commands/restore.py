"""``qinqing restore DIR --yes``: restore a backup into an empty database and attachment store, then
verify every table and file against the backup's manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.core import backup


class Command(BaseCommand):
    help = "从备份目录恢复到空数据库和空附件目录，并逐表、逐文件核对校验和"
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="备份目录（qinqing backup 生成的 qinqing-YYYYmmdd-HHMMSS）")
        parser.add_argument("--yes", action="store_true", help="确认恢复（不加此项只检查备份是否完好）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        manifest = backup.read_manifest(path)  # a BackupError prints its one line (qinqing.cli)
        if not options["yes"]:
            self.stdout.write(
                f"备份完好：{len(manifest['tables'])} 张表，{len(manifest['media']['files'])} 个附件"
                "（加 --yes 执行恢复）"
            )
            return
        result = backup.restore(path)
        if not result.identical:
            for line in result.differences[:50]:
                self.stderr.write(line)
            raise backup.BackupError(f"恢复后核对不一致：{len(result.differences)} 处差异")
        self.stdout.write(
            f"恢复完成，核对一致：{result.tables} 张表、{result.rows} 行，{result.files} 个附件与备份清单相同"
        )
