"""``qinqing evaluation score --system SYSTEM.json --values VALUES.csv``: scores, without the database.

Prints ``unit,indicator,score`` for every unit × node (the root's code is the system's), scores with 10
decimals. Bad input (unknown indicator, a non-number, a leaf without bounds, best = worst, bad JSON) is
reported line by line on stderr and the command exits with status 1 without printing any score.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.evaluation import scoring


class Command(BaseCommand):
    help = "营商环境评价：按指标体系计算得分（不访问数据库）"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        score = sub.add_parser("score", help="score VALUES.csv against SYSTEM.json")
        score.add_argument("--system", required=True, help="indicator system, JSON exchange format")
        score.add_argument("--values", required=True, help="CSV with the header unit,indicator,value")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "score":
            self.stdout.write(score_files(Path(options["system"]), Path(options["values"])), ending="")


def score_files(system_path: Path, values_path: Path) -> str:
    """The CSV the command prints; CommandError (exit 1) listing every problem."""
    try:
        system_text = system_path.read_text(encoding="utf-8")
        values_text = values_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"无法读取文件：{exc}") from None
    try:
        system = scoring.loads_system(system_text)
    except scoring.InvalidSystem as exc:
        raise CommandError(_lines(f"{system_path}", [(0, e) for e in exc.errors])) from None
    try:
        values = scoring.parse_values(values_text, system)
    except scoring.ValuesError as exc:
        raise CommandError(_lines(f"{values_path}", exc.errors)) from None
    return scoring.scores_csv(system, scoring.score_all(system, values))


def _lines(name: str, errors: list[tuple[int, str]]) -> str:
    rows = [f"{name}:{n}: {m}" if n else f"{name}: {m}" for n, m in errors]
    return f"{len(errors)} 处错误，未计算得分：\n" + "\n".join(rows)
