"""``qinqing backup [--out DIR]``: the database and the attachment store, with a manifest of checksums."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from qinqing.core import backup


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 自定义格式 pg_dump / SQLite 在线备份）和附件目录，附带校验清单"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", default=str(Path(settings.VAR_DIR) / "backups"), help="备份存放目录（默认 var/backups）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = backup.backup(Path(options["out"]))  # a BackupError prints its one line (qinqing.cli)
        self.stdout.write(
            f"备份完成：{result.path}（{result.tables} 张表、{result.rows} 行，{result.files} 个附件，"
            f"共 {backup.human_size(result.bytes)}）"
        )
