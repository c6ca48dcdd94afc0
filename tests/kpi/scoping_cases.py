"""kpi's scoped models in the shared battery: budget projects and their indicators, by budget unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from tests.scoping.registry import ScopedCase, register


def _project(unit: Any, enterprise: Any) -> Any:
    from qinqing.kpi.models import BudgetProject, Indicator

    p = BudgetProject.objects.create(
        code=f"t-{unit.pk}",
        year=2026,
        unit=unit,
        name=f"{unit.name}系统运维",
        funds_total_wan=Decimal(10),
        funds_fiscal_wan=Decimal(10),
    )
    Indicator.objects.create(
        project=p,
        level1="产出指标",
        level2="质量指标",
        name="企业困难诉求办理完成率",
        target_text="≥90%",
        operator="ge",
        target_value=Decimal(90),
        value_unit="%",
        points=Decimal(50),
        source="metric",
        metric="demands.completion_rate",
    )
    return p


def _indicator(unit: Any, enterprise: Any) -> Any:
    return _project(unit, enterprise).indicators.get()


register(
    "kpi.budgetproject",
    ScopedCase(
        make=_project, page_url=lambda o: reverse("kpi:project", args=[o.pk]), enterprise_visible=False
    ),
)
register(
    "kpi.indicator",
    ScopedCase(
        make=_indicator, page_url=lambda o: reverse("kpi:trend", args=[o.pk]), enterprise_visible=False
    ),
)
