"""Password policy (等保 2.0): a minimum length and a number of character classes, with Chinese messages.

Django's own MinimumLengthValidator has no Simplified Chinese translation of its message, so the length
rule lives here too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimumLengthValidator
from django.core.exceptions import ValidationError

CLASSES = (
    ("小写字母", str.islower),
    ("大写字母", str.isupper),
    ("数字", str.isdigit),
)


def character_classes(password: str) -> int:
    count = sum(1 for _, test in CLASSES if any(test(ch) for ch in password))
    # "other characters": punctuation, spaces, and letters without case such as 汉字
    if any(not (ch.islower() or ch.isupper() or ch.isdigit()) for ch in password):
        count += 1
    return count


class CharacterClassValidator:
    """At least MIN_CLASSES of: lower case, upper case, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码至少包含大写字母、小写字母、数字、特殊字符中的{self.min_classes}类",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"至少包含大写字母、小写字母、数字、特殊字符中的{self.min_classes}类"


class MinimumLengthValidator(DjangoMinimumLengthValidator):
    """At least MIN_LENGTH characters."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码长度不能少于{self.min_length}位", code="password_too_short")

    def get_help_text(self) -> str:
        return f"密码长度不能少于{self.min_length}位"
