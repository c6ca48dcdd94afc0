"""A demand row without the workflow, for the scoping battery (tests/scoping/registry.py)."""

from __future__ import annotations

from django.utils import timezone

from qinqing.demands.models import Category, Demand
from qinqing.demands.services import next_number, office_for
from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from tests.factories import make_user


def make_demand(unit: Unit, enterprise: Enterprise) -> Demand:
    """A 待受理 demand received by UNIT's office, raised by ENTERPRISE."""
    office = office_for(unit)
    assert office is not None
    submitter = make_user(
        f"ent_{enterprise.pk}_{Demand.objects.count()}", enterprise=enterprise, roles=["enterprise"]
    )
    now = timezone.now()
    return Demand.objects.create(
        number=next_number(now),
        enterprise=enterprise,
        contact_name="李四",
        contact_phone="13812341234",
        channel="self",
        demand_type="consult",
        category=Category.objects.filter(parent__isnull=False).first(),
        title="政策咨询",
        description="咨询奖补政策",
        receiving_unit=office,
        coordinating_unit=office,
        submitted_by=submitter,
        created_at=now,
        accept_days=1,
        sign_days=1,
        return_days=2,
        handle_days=3,
        max_handle_days=30,
        accept_due_at=now,
        accept_warn_at=now,
    )
