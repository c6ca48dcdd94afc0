"""One rule for user text longer than its column: refuse it with a message naming the field and both
lengths (``申请事由不能超过300个字（现为312个字）``), never cut it silently. Services call these before
they write anything; forms and serializers declare the same ``max_length`` so pages and the API schema
say it up front.

``limited`` raises at once (one field); ``length_error`` returns the message for a service that collects
its errors in a dict first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


def length_error(value: str | None, label: str, limit: int) -> str | None:
    """The message for VALUE (stripped) longer than LIMIT characters, or None when it fits."""
    size = len((value or "").strip())
    return f"{label}不能超过{limit}个字（现为{size}个字）" if size > limit else None


def limited(value: str | None, field: str, label: str, limit: int = 300) -> str:
    """VALUE stripped, or a ValidationError naming FIELD when longer than LIMIT (never cut silently)."""
    message = length_error(value, label, limit)
    if message is not None:
        raise ValidationError({field: message})
    return (value or "").strip()
