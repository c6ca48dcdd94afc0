"""qinqing purge_audit --older-than-days N [--dry-run]: delete audit events past the retention period."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qinqing.audit import services


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class Command(BaseCommand):
    help = "Delete audit events older than N days (N ≥ AUDIT_RETENTION_DAYS); records a PURGE event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-days", type=int, required=True, dest="days")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.purge(options["days"], dry_run=options["dry_run"], operator=_os_user())
        except services.RetentionError as exc:
            raise CommandError(str(exc)) from None
        cutoff = f"{timezone.localtime(result.cutoff):%Y-%m-%d %H:%M:%S}"
        if result.dry_run:
            self.stdout.write(f"试运行：将删除 {cutoff} 之前的审计事件 {result.count} 条（未删除）")
        else:
            self.stdout.write(f"已删除 {cutoff} 之前的审计事件 {result.count} 条")
