"""``{% object_extras "demand" d as extras %}``: the links and panels other apps add to a page."""

from __future__ import annotations

from typing import Any

from django import template

from qinqing.core.extensions import Extra, extras_for

register = template.Library()


@register.simple_tag(takes_context=True)
def object_extras(context: template.Context, kind: str, obj: Any) -> list[Extra]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return extras_for(kind, request.user, obj)
