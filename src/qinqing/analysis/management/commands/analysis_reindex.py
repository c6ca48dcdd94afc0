"""qinqing analysis_reindex: rebuild the demand text index (after a bulk load that bypassed post_save),
then the dashboard's facts (they hold each demand's terms)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qinqing.analysis import facts
from qinqing.analysis.similarity import rebuild


class Command(BaseCommand):
    help = "重建诉求分词索引（及驾驶舱统计事实）"

    def handle(self, *args: Any, **options: Any) -> None:
        count = rebuild(stdout=self.stdout)
        self.stdout.write(f"已索引 {count} 件诉求")
        figures = facts.rebuild(stdout=self.stdout)
        self.stdout.write(f"已重建统计事实：{figures['demands']} 件诉求")
