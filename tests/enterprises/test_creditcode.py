"""统一社会信用代码 validation (GB 32100-2015) and the `qinqing creditcode` command."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from qinqing.enterprises import creditcode

VALID = "91350100M000100Y43"  # the worked example's format: authority 9, type 1, division 350100


def test_real_format_code_is_valid() -> None:
    result = creditcode.check(VALID)
    assert result.ok
    assert result.code == VALID


def test_wrong_check_character_names_position_18_and_expected_character() -> None:
    result = creditcode.check("91350100M000100Y44")
    assert not result.ok
    assert result.error == "第18位校验码应为 3"


@pytest.mark.parametrize(
    "typed",
    [
        "91350100m000100y43",
        " 9135 0100 M000 100Y 43 ",
        "９１３５０１００Ｍ０００１００Ｙ４３",
        "9135\u30000100m000100y43",
        "９１３５ ０１００ｍ０００１００ｙ４３",
    ],
)
def test_full_width_lower_case_and_spaces_are_normalised(typed: str) -> None:
    assert creditcode.normalize(typed) == VALID
    assert creditcode.check(typed) == creditcode.CheckResult(VALID, None)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_illegal_letters_name_their_position(letter: str) -> None:
    code = VALID[:9] + letter + VALID[10:]
    assert creditcode.check(code).error == f"第10位字符“{letter}”不合法（不使用 I、O、S、V、Z）"


def test_illegal_letter_in_lower_case_is_reported_upper_case() -> None:
    assert (
        creditcode.check("9135010OM000100Y43".lower()).error == "第8位字符“O”不合法（不使用 I、O、S、V、Z）"
    )


def test_punctuation_is_reported_with_position() -> None:
    assert creditcode.check("91350100M000100Y4#").error == "第18位字符“#”不合法（只能是数字或大写字母）"


@pytest.mark.parametrize(("code", "length"), [("9135010", 7), (VALID + "1", 19), ("9135 0100 M000 100Y", 16)])
def test_wrong_length(code: str, length: int) -> None:
    assert creditcode.check(code).error == f"应为18位，实际为{length}位"


def test_empty_code() -> None:
    assert creditcode.check("  ").error == "统一社会信用代码不能为空"


def test_division_part_must_be_digits() -> None:
    assert creditcode.check("91A50100M000100Y43").error == "第3位应为数字（第3–8位是行政区划码）"


def test_generated_codes_are_valid() -> None:
    import random

    rng = random.Random(1)
    codes = [creditcode.generate(rng, "652301") for _ in range(200)]
    assert all(creditcode.check(c).ok for c in codes)
    assert all(c[2:8] == "652301" for c in codes)


# --- the command -----------------------------------------------------------------------------------
def test_command_prints_ok_with_the_normalised_code() -> None:
    out = StringIO()
    call_command("creditcode", VALID, "9135 0100 m000100y43", stdout=out)
    assert out.getvalue() == f"{VALID} OK\n{VALID} OK\n"


def test_command_reports_each_invalid_code_and_fails() -> None:
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("creditcode", VALID, "91350100M000100Y44", "123", stdout=out)
    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == "2 个代码不合法"
    assert out.getvalue().splitlines() == [
        f"{VALID} OK",
        "91350100M000100Y44 错误: 第18位校验码应为 3",
        "123 错误: 应为18位，实际为3位",
    ]


def _qinqing() -> str:
    return str(Path(sys.executable).with_name("qinqing"))


def test_console_command_exit_status() -> None:
    ok = subprocess.run([_qinqing(), "creditcode", VALID], capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stdout) == (0, f"{VALID} OK\n")
    bad = subprocess.run(
        [_qinqing(), "creditcode", VALID, "91350100M000100S43"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert bad.stdout == f"{VALID} OK\n91350100M000100S43 错误: 第16位字符“S”不合法（不使用 I、O、S、V、Z）\n"
    assert "1 个代码不合法" in bad.stderr
