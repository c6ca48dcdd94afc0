"""qinqing workdays add DATE N | between A B | is DATE — working-day arithmetic from the console."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.calendar import services

PROVISIONAL = " (临时：涉及未录入节假日安排的年份，仅按周末计算)"


def _date(value: str) -> dt.date:
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise CommandError(f"日期无效：{value!r}，格式应为 YYYY-MM-DD")


class Command(BaseCommand):
    help = "Working days: `add DATE N` (the N-th working day after DATE), `between A B`, `is DATE`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="op", required=True, parser_class=type(parser))
        add = sub.add_parser("add", help="the N-th working day after DATE (DATE itself not counted)")
        add.add_argument("date")
        add.add_argument("n")
        between = sub.add_parser("between", help="working days in (A, B]")
        between.add_argument("a")
        between.add_argument("b")
        is_ = sub.add_parser("is", help="工作日 or 休息日")
        is_.add_argument("date")

    def handle(self, *args: Any, **options: Any) -> None:
        op = options["op"]
        if op == "add":
            start = _date(options["date"])
            try:
                n = int(options["n"])
            except ValueError:
                raise CommandError(f"工作日数无效：{options['n']!r}，应为整数") from None
            try:
                result = services.add_working_days(start, n)
            except OverflowError:
                raise CommandError("结果超出可表示的日期范围") from None
            self.stdout.write(f"{result.date:%Y-%m-%d}{PROVISIONAL if result.provisional else ''}")
        elif op == "between":
            count = services.working_days_between(_date(options["a"]), _date(options["b"]))
            self.stdout.write(f"{count.days}{PROVISIONAL if count.provisional else ''}")
        else:
            day = _date(options["date"])
            working = services.is_working_day(day)
            provisional = bool(services.years_missing([day.year]))
            self.stdout.write(f"{'工作日' if working else '休息日'}{PROVISIONAL if provisional else ''}")
