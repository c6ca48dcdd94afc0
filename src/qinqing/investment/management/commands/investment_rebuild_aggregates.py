"""qinqing investment_rebuild_aggregates: rebuild the pre-aggregated funds table and verify it.

After a bulk load that bypassed the funds services (COPY, restores), or to check the table: ``--check``
only compares the table with a recomputation from the funds entries and exits with status 1 on a
difference (nothing is written).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.investment import aggregates


class Command(BaseCommand):
    help = "重建并核对招商到位资金年度汇总表（ProjectYearFunds）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="只核对，不重建")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["check"]:
            count = aggregates.rebuild()
            self.stdout.write(f"已重建 {count} 行汇总")
        problems = aggregates.differences()
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"汇总表与到位资金明细不一致（列出前 {len(problems)} 处）")
        self.stdout.write("核对一致：汇总表与到位资金明细相符")
