"""qinqing monthly_report --unit 昌吉回族自治州 --month 2026-03 [--out DIR]: the 营商环境诉求分析月报."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qinqing.analysis.services import _generate
from qinqing.orgs.models import Unit


class Command(BaseCommand):
    help = "生成单位（含下级）某月的营商环境诉求分析月报（PDF 和 Word）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="单位名称、简称或行政区划代码")
        parser.add_argument("--month", required=True, help="月份，如 2026-03")
        parser.add_argument("--out", help="另存到该目录")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["unit"].strip()
        unit = (
            Unit.objects.filter(name=text).first()
            or Unit.objects.filter(short_name=text).first()
            or Unit.objects.filter(division_code=text).first()
        )
        if unit is None:
            raise CommandError(f"没有单位“{text}”")
        try:
            year, month = (int(x) for x in options["month"].split("-"))
            first = dt.date(year, month, 1)
        except ValueError:
            raise CommandError("月份格式应为 2026-03") from None
        with transaction.atomic():
            row = _generate(unit, first, None)
        paths = [row.pdf.path, row.docx.path]
        if options.get("out"):
            out = Path(options["out"])
            out.mkdir(parents=True, exist_ok=True)
            paths = []
            for f, ext in ((row.pdf, "pdf"), (row.docx, "docx")):
                target = out / f"{unit.name}{first:%Y年%m月}诉求分析月报.{ext}"
                shutil.copyfile(f.path, target)
                paths.append(str(target))
        for p in paths:
            self.stdout.write(str(p))
