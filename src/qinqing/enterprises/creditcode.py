"""统一社会信用代码 (GB 32100-2015): normalisation, validation with a precise message, generation."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def normalize(raw: str) -> str:
    """Full-width to half-width, drop all white space (including U+3000), upper case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class CheckResult:
    code: str  # normalised
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def check(raw: str) -> CheckResult:
    """Validate a code; the message names the position that is wrong (1-based)."""
    code = normalize(raw)
    if not code:
        return CheckResult(code, "统一社会信用代码不能为空")
    if len(code) != LENGTH:
        return CheckResult(code, f"应为18位，实际为{len(code)}位")
    for position, ch in enumerate(code, start=1):
        if ch not in VALUES:
            if ch in "IOSVZ":
                return CheckResult(code, f"第{position}位字符“{ch}”不合法（不使用 I、O、S、V、Z）")
            return CheckResult(code, f"第{position}位字符“{ch}”不合法（只能是数字或大写字母）")
    if not code[2:8].isdigit():
        bad = next(i for i in range(2, 8) if not code[i].isdigit()) + 1
        return CheckResult(code, f"第{bad}位应为数字（第3–8位是行政区划码）")
    expected = check_character(code[:17])
    if code[17] != expected:
        return CheckResult(code, f"第18位校验码应为 {expected}")
    return CheckResult(code, None)


def generate(rng: random.Random, division_code: str = "652300", authority: str = "9", kind: str = "1") -> str:
    """A well-formed code (fictional) for demo data and tests."""
    body = authority + kind + division_code + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)
