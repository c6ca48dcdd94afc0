"""Makers for the scoping battery: one per scoped model (qinqing.core.scoping.scoped_models()).

A maker builds one row of the model attached to a given unit (staff scope) and enterprise (enterprise
scope), and says where it can be fetched by URL and by API. A new scoped model registers here; the
battery then proves, for each role, that in-scope rows answer 200 and out-of-scope rows 404.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse

from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit


@dataclass(frozen=True)
class ScopedCase:
    # make(unit, enterprise) -> a row visible to staff of UNIT's subtree and to ENTERPRISE's users.
    make: Callable[[Unit, Enterprise], models.Model]
    page_url: Callable[[models.Model], str] | None = None
    api_url: Callable[[models.Model], str] | None = None
    # Roles that may open the page/API at all (the battery uses the first for staff checks).
    staff_roles: tuple[str, ...] = ("dispatcher",)
    enterprise_visible: bool = True


REGISTRY: dict[str, ScopedCase] = {}
# Cells (object × role × action) the battery proved in this run, by surface; printed at the end (conftest).
PROVED: collections.Counter[str] = collections.Counter()
# Models whose scope is not unit/enterprise based and that have their own tests (with the reason).
EXEMPT: dict[str, str] = {
    "audit.auditevent": "visible to audit administrators only: tests/audit/test_audit.py",
}


def register(label: str, case: ScopedCase) -> None:
    REGISTRY[label] = case


def _enterprise(unit: Unit, enterprise: Enterprise) -> Any:
    return enterprise


def _contact(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.factories import ContactFactory

    return ContactFactory(enterprise=enterprise)


def _user(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.factories import make_user

    return make_user(f"scoped_{unit.pk}_{enterprise.pk}", unit_name=unit.name, roles=["handler"])


register(
    "enterprises.enterprise",
    ScopedCase(
        make=_enterprise,
        page_url=lambda o: reverse("enterprises:detail", args=[o.pk]),
        api_url=lambda o: reverse("api:enterprise-detail", args=[o.pk]),
    ),
)
register(
    "enterprises.contact",
    ScopedCase(make=_contact, api_url=lambda o: reverse("api:contact-detail", args=[o.pk])),
)
register(
    "accounts.user",
    ScopedCase(
        make=_user,
        api_url=lambda o: reverse("api:user-detail", args=[o.pk]),
        staff_roles=("sysadmin",),
        enterprise_visible=False,
    ),
)


def _inv_project(unit: Unit, enterprise: Enterprise) -> Any:
    from decimal import Decimal

    from qinqing.investment.models import Project

    return Project.objects.create(
        number=f"T{unit.pk}-{Project.objects.count()}",
        name="测试项目",
        investor_name="某集团",
        source="province",
        investor_type="private",
        sector=2,
        industry_section="C",
        location_unit=unit,
        planned_investment_wan=Decimal("10000"),
    )


def _inv_funds(unit: Unit, enterprise: Enterprise) -> Any:
    import datetime as dt
    from decimal import Decimal

    from qinqing.investment.models import FundsEntry

    project = _inv_project(unit, enterprise)
    return FundsEntry.objects.create(
        project=project,
        unit=unit,
        month=dt.date(2026, 1, 1),
        amount_wan=Decimal(1),
        outside_amount_wan=Decimal(1),
    )


def _inv_report(unit: Unit, enterprise: Enterprise) -> Any:
    import datetime as dt

    from qinqing.investment.models import MonthlyReport

    return MonthlyReport.objects.create(unit=unit, month=dt.date(2026, 1, 1), deadline=dt.date(2026, 2, 6))


def _inv_target(unit: Unit, enterprise: Enterprise) -> Any:
    from decimal import Decimal

    from qinqing.investment.models import Target

    return Target.objects.create(year=2026, unit=unit, indicator="new_signings", value=Decimal(3))


register(
    "investment.project",
    ScopedCase(
        make=_inv_project,
        page_url=lambda o: reverse("investment:detail", args=[o.pk]),
        api_url=lambda o: reverse("api:project-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "investment.fundsentry",
    ScopedCase(
        make=_inv_funds,
        page_url=lambda o: reverse("investment:funds_edit", args=[o.pk]),
        api_url=lambda o: reverse("api:funds-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "investment.monthlyreport",
    ScopedCase(
        make=_inv_report,
        page_url=lambda o: reverse("investment:report", args=[o.pk]),
        api_url=lambda o: reverse("api:investment-report-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "investment.target",
    ScopedCase(
        make=_inv_target,
        api_url=lambda o: reverse("api:target-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)


def _demand(unit: Unit, enterprise: Enterprise) -> Any:
    from tests.demands.builders import make_demand

    return make_demand(unit, enterprise)


register(
    "demands.demand",
    ScopedCase(
        make=_demand,
        page_url=lambda o: reverse("demands:detail", args=[o.pk]),
        api_url=lambda o: reverse("api:demand-detail", args=[o.pk]),
    ),
)


# --- liaison and analysis (makers in tests/liaison/scoping.py) ------------------------------------------
def _liaison(name: str) -> Callable[[Unit, Enterprise], models.Model]:
    def make(unit: Unit, enterprise: Enterprise) -> Any:
        from tests.liaison import scoping

        return getattr(scoping, name)(unit, enterprise)

    return make


register(
    "liaison.assignment",
    ScopedCase(
        make=_liaison("assignment"),
        page_url=lambda o: reverse("liaison:assignment", args=[o.pk]),
        api_url=lambda o: reverse("api:liaison-assignment-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "liaison.visit",
    ScopedCase(
        make=_liaison("visit"),
        page_url=lambda o: reverse("liaison:visit", args=[o.pk]),
        api_url=lambda o: reverse("api:liaison-visit-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register("liaison.difficultmark", ScopedCase(make=_liaison("difficult_mark"), enterprise_visible=False))
register(
    "liaison.escalationproposal",
    ScopedCase(
        make=_liaison("proposal"),
        api_url=lambda o: reverse("api:liaison-proposal-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "liaison.meeting",
    ScopedCase(
        make=_liaison("meeting"),
        page_url=lambda o: reverse("liaison:meeting", args=[o.pk]),
        api_url=lambda o: reverse("api:liaison-meeting-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register("analysis.duplicatelink", ScopedCase(make=_liaison("duplicate_link"), enterprise_visible=False))
register(
    "analysis.analysisreport",
    ScopedCase(
        make=_liaison("report"),
        page_url=lambda o: reverse("analysis:report-file", args=[o.pk, "pdf"]),
        enterprise_visible=False,
    ),
)


# --- later apps declare their cases in tests/<app>/scoping_cases.py, calling register() and, for a model
# with a rule of its own, setting EXEMPT[label] = "why, and where its own tests are" ---------------------
def _discover() -> None:
    import importlib
    import importlib.util

    for app in ("promotion", "portal", "chambers", "surveys", "evaluation", "kpi"):
        name = f"tests.{app}.scoping_cases"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


_discover()
