"""The demand page's 可能重复 panel (registered in AnalysisConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from qinqing.core.extensions import Extra, register_extras
from qinqing.demands.models import OPEN_STATUSES, Demand


@register_extras("demand")
def demand_extras(user: Any, demand: Demand) -> list[Extra]:
    if user.enterprise_id or not user.can("analysis.view") or demand.status not in OPEN_STATUSES:
        return []  # duplicates matter while the demand is handled; enterprises never see other demands
    return [Extra("可能重复的诉求", reverse("analysis:similar", args=[demand.pk]), kind="panel")]
