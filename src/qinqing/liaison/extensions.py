"""The demand page's links to liaison: the visit that found the problem, and 标记疑难."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from qinqing.core.extensions import Extra, register_extras
from qinqing.demands.models import Demand
from qinqing.liaison import services
from qinqing.liaison.models import Visit


@register_extras("demand")
def demand_extras(user: Any, demand: Demand) -> list[Extra]:
    if user.enterprise_id:
        return []
    found: list[Extra] = []
    visit = (
        Visit.objects.visible_to(user).filter(problems__demand=demand).values_list("pk", flat=True).first()
    )
    if visit is not None:
        found.append(Extra("来源走访记录", reverse("liaison:visit", args=[visit])))
    if services.may_mark_difficult(user, demand):
        found.append(Extra("标记疑难", reverse("liaison:difficult", args=[demand.pk])))
    return found
