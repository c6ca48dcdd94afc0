"""qinqing analysis_facts: process, rebuild or verify the dashboard's pre-aggregated facts.

qinqing analysis_facts               # process the queue now (what the periodic job does)
qinqing analysis_facts --rebuild     # recompute every fact from the demands (after a bulk load)
qinqing analysis_facts --verify      # compare the facts with a fresh derivation; exit 1 on a difference
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.analysis import facts


class Command(BaseCommand):
    help = "驾驶舱统计事实：处理队列、重建或核对"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rebuild", action="store_true", help="从诉求重新计算全部统计事实")
        parser.add_argument("--verify", action="store_true", help="与重新计算的结果逐项核对并列出差异")
        parser.add_argument("--limit", type=int, default=50, help="最多列出的差异条数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            figures = facts.rebuild(stdout=self.stdout)
            self.stdout.write(
                f"已重建：{figures['demands']} 件诉求，{figures['monthly']} 条月度事实，{figures['terms']} 条词频"
            )
        if options["verify"]:
            result = facts.verify(limit=options["limit"], stdout=self.stdout)
            if not result.ok:
                raise CommandError(f"统计事实与重新计算的结果不一致（核对 {result.checked} 件诉求）")
            self.stdout.write(f"核对一致：{result.checked} 件诉求")
        if not options["rebuild"] and not options["verify"]:
            self.stdout.write(f"已处理 {facts.process_queue()} 件诉求")
