"""The promotion models in the shared scoping battery (tests/scoping/registry.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from tests.scoping.registry import ScopedCase, register


def _reception(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.promotion import builders

    return builders.reception(unit)


def _trip(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.promotion import builders

    return builders.trip(unit)


def _task_force(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.promotion import builders

    return builders.task_force(unit)


def _touch(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.promotion import builders
    from tests.scoping.registry import _inv_project

    return builders.touch(unit, _inv_project(unit, enterprise), reception=builders.reception(unit))


def _step(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.factories import make_user
    from tests.promotion import builders

    owner = make_user(f"step_owner_{unit.pk}", unit_name=unit.name, roles=["handler"])
    return builders.next_step(unit, owner)


def _plan(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.promotion import builders

    return builders.plan(unit, budget_yuan=Decimal("1000"))


register(
    "promotion.reception",
    ScopedCase(
        make=_reception,
        page_url=lambda o: reverse("promotion:reception", args=[o.pk]),
        api_url=lambda o: reverse("api:promotion-reception-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "promotion.trip",
    ScopedCase(
        make=_trip,
        page_url=lambda o: reverse("promotion:trip", args=[o.pk]),
        api_url=lambda o: reverse("api:promotion-trip-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "promotion.taskforce",
    ScopedCase(
        make=_task_force,
        page_url=lambda o: reverse("promotion:taskforce", args=[o.pk]),
        api_url=lambda o: reverse("api:promotion-taskforce-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register("promotion.touch", ScopedCase(make=_touch, enterprise_visible=False))
register(
    "promotion.nextstep",
    ScopedCase(
        make=_step,
        api_url=lambda o: reverse("api:promotion-nextstep-detail", args=[o.pk]) + "?mine=0",
        enterprise_visible=False,
    ),
)
register("promotion.yearplan", ScopedCase(make=_plan, enterprise_visible=False))
