from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


def test_add() -> None:
    assert run("add", "2026-09-30", "3") == "2026-10-10\n"
    assert run("add", "2026-10-08", "-1") == "2026-09-30\n"
    assert run("add", "2026-12-30", "3") == "2027-01-04 (临时：涉及未录入节假日安排的年份，仅按周末计算)\n"


def test_between() -> None:
    assert run("between", "2026-02-13", "2026-02-24") == "2\n"
    assert (
        run("between", "2026-12-25", "2027-01-08") == "10 (临时：涉及未录入节假日安排的年份，仅按周末计算)\n"
    )


def test_is() -> None:
    assert run("is", "2026-10-10") == "工作日\n"
    assert run("is", "2026-10-11") == "休息日\n"
    assert run("is", "2026-02-16") == "休息日\n"
    assert run("is", "2027-01-01") == "工作日 (临时：涉及未录入节假日安排的年份，仅按周末计算)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2026-02-30", "3"), "日期无效：'2026-02-30'，格式应为 YYYY-MM-DD"),
        (("add", "20260930", "3"), "日期无效：'20260930'，格式应为 YYYY-MM-DD"),
        (("add", "2026-09-30", "x"), "工作日数无效：'x'，应为整数"),
        (("between", "2026-09-30", "tomorrow"), "日期无效：'tomorrow'，格式应为 YYYY-MM-DD"),
        (("is", "9/30"), "日期无效：'9/30'，格式应为 YYYY-MM-DD"),
    ],
)
def test_bad_input_is_a_command_error(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert str(excinfo.value) == message
