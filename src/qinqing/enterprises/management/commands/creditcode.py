"""``qinqing creditcode CODE ...``: check 统一社会信用代码 (GB 32100-2015), one line per code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.enterprises import creditcode


class Command(BaseCommand):
    help = "校验统一社会信用代码（GB 32100-2015）：每个代码输出一行，有不合法的代码时退出状态为 1"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "codes", nargs="+", metavar="CODE", help="统一社会信用代码（可含空格、小写或全角字符）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        invalid = 0
        for raw in options["codes"]:
            result = creditcode.check(raw)
            if result.ok:
                self.stdout.write(f"{result.code} OK")
            else:
                invalid += 1
                self.stdout.write(f"{raw} 错误: {result.error}")
        if invalid:
            raise CommandError(f"{invalid} 个代码不合法", returncode=1)
