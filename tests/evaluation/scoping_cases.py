"""The evaluation models in the shared scoping battery: a round (and its values) belongs to the unit that
organises it; an evaluator's membership rule is tested in test_rounds.py (evaluators see their rounds only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from tests.scoping.registry import ScopedCase, register


def _round(unit: Unit, _ent: Enterprise | None = None) -> Any:
    from qinqing.evaluation.models import Indicator, IndicatorSystem, Round
    from tests.factories import make_user

    n = IndicatorSystem.objects.count()
    system = IndicatorSystem.objects.create(code=f"SC{n}", name="范围测试", year=2026)
    Indicator.objects.create(system=system, code=f"SC{n}.A", name="a", best=1, worst=18, better="lower")
    creator = make_user(f"round_maker_{unit.pk}_{n}")
    return Round.objects.create(
        name=f"范围测试{n}", year=2026, system=system, owner_unit=unit, starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31), created_by=creator,
    )  # fmt: skip


def _value(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.evaluation.models import Value

    rnd = _round(unit, ent)
    return Value.objects.create(round=rnd, unit=unit, indicator=rnd.system.nodes.get())


register(
    "evaluation.round",
    ScopedCase(
        make=_round,
        page_url=lambda o: reverse("evaluation:round", args=[o.pk]),
        api_url=lambda o: reverse("api:evaluation-round-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "evaluation.value",
    ScopedCase(
        make=_value,
        page_url=lambda o: reverse("evaluation:value", args=[o.pk]),
        api_url=lambda o: reverse("api:evaluation-value-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
