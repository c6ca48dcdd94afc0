"""Makers for the scoping battery (tests/scoping/registry.py): one row of each liaison/analysis model
attached to UNIT (a county) and ENTERPRISE (registered there)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands import services as demand_services
from qinqing.demands.models import Category, Demand
from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from tests.factories import make_user


def _leader(unit: Unit) -> User:
    name = f"scoped_leader_{unit.pk}"
    return User.objects.filter(username=name).first() or make_user(
        name, unit_name=unit.name, roles=[Role.LEADER]
    )


def _office_user(unit: Unit) -> User:
    office = demand_services.office_for(unit)
    assert office is not None
    name = f"scoped_office_{office.pk}"
    return User.objects.filter(username=name).first() or make_user(
        name, unit_name=office.name, roles=[Role.DISPATCHER]
    )


def _demand(unit: Unit, enterprise: Enterprise) -> Demand:
    data = demand_services.SubmitData(
        category=Category.objects.filter(parent__isnull=False).first(),
        demand_type="help",
        title="厂区用地手续办理缓慢",
        description="扩建项目用地手续已提交三个月。",
        enterprise=enterprise,
        contact_name="李四",
        contact_phone="13812341234",
    )
    return demand_services.submit(_office_user(unit), data)


def assignment(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.liaison.models import Assignment

    leader = _leader(unit)
    return Assignment.objects.create(
        leader=leader,
        unit=unit,
        level=unit.tier,
        enterprise=enterprise,
        start_date=dt.date(2026, 1, 1),
        created_by=leader,
    )


def visit(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.liaison.models import Visit

    leader = _leader(unit)
    return Visit.objects.create(
        leader=leader,
        unit=unit,
        level=unit.tier,
        enterprise=enterprise,
        visited_on=dt.date(2026, 3, 1),
        form="on_site",
        topics="生产经营",
        created_by=leader,
    )


def difficult_mark(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.liaison.models import DifficultMark

    return DifficultMark.objects.create(
        demand=_demand(unit, enterprise), unit=unit, reason="需上级协调", marked_by=_office_user(unit)
    )


def proposal(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.liaison.models import EscalationProposal

    demand = _demand(unit, enterprise)
    return EscalationProposal.objects.create(
        demand=demand,
        from_unit=unit,
        to_unit=demand.receiving_unit,
        level=unit.tier,
        reasons=["overdue"],
        detail="超期",
    )


def meeting(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.liaison.models import Meeting

    return Meeting.objects.create(
        kind="coordination",
        unit=unit,
        level=unit.tier,
        title="协调会",
        held_on=dt.date(2026, 3, 1),
        decisions="议定事项",
        created_by=_office_user(unit),
    )


def duplicate_link(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.analysis.models import DuplicateLink

    original = _demand(unit, enterprise)
    return DuplicateLink.objects.create(
        demand=_demand(unit, enterprise), original=original, score=0.9, merged_by=_office_user(unit)
    )


def report(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.analysis.models import AnalysisReport

    row = AnalysisReport(unit=unit, month=dt.date(2026, 3, 1))
    row.pdf.save(f"r{unit.pk}.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    row.docx.save(f"r{unit.pk}.docx", ContentFile(b"PK test"), save=False)
    row.save()
    return row
