"""The chambers models in the shared scoping battery: each row hangs off an organisation registered in
the given unit (staff scope); organisation users have their own rule, tested in test_scoping.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from tests.scoping.registry import ScopedCase, register


def _org(unit: Unit, _ent: Enterprise | None = None) -> Any:
    from qinqing.chambers.models import Organisation

    n = Organisation.objects.count()
    return Organisation.objects.create(
        kind="chamber", name=f"测试商会{unit.pk}-{n}", area=unit, place_of_origin=f"原籍{n}"
    )


def _account(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.accounts.models import User
    from qinqing.chambers.models import OrganisationAccount

    org = _org(unit)
    user = User.objects.create(username=f"orgacct_{org.pk}")
    return OrganisationAccount.objects.create(user=user, organisation=org)


def _officer(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Officer

    return Officer.objects.create(
        organisation=_org(unit),
        name="陈",
        position="会长",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2030, 1, 1),
    )


def _member(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Member

    return Member.objects.create(organisation=_org(unit), name=ent.name, credit_code=ent.credit_code)


def _application(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Application

    return Application.objects.create(organisation=_org(unit), kind="registration")


def _material(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Material

    app = _application(unit, ent)
    from tests.factories import make_user

    uploader = make_user(f"uploader_{app.pk}")
    return Material.objects.create(
        application=app, item="charter", file="chambers/x.pdf", original_name="章程.pdf", uploaded_by=uploader
    )


def _event(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Event

    return Event.objects.create(organisation=_org(unit), action="create")


def _error(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import RegistrationError
    from tests.factories import make_user

    app = _application(unit, ent)
    return RegistrationError.objects.create(
        application=app, found_on=dt.date(2026, 4, 1), description="x", recorded_by=make_user(f"rec_{app.pk}")
    )


def _certificate(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Certificate

    org = _org(unit)
    return Certificate.objects.create(
        organisation=org, year=2026, seq=org.pk, serial=f"T-{org.pk}", kind="chamber", org_name=org.name,
        issued_on=dt.date(2026, 4, 1), issuer_name="测试局",
    )  # fmt: skip


def _campaign(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Campaign
    from tests.factories import make_user

    n = Campaign.objects.count()
    return Campaign.objects.create(
        area=unit,
        year=2000 + n,
        deadline=dt.date(2001 + n, 3, 31),
        opened_by=make_user(f"opener_{unit.pk}_{n}"),
    )


def _report(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import AnnualReport

    return AnnualReport.objects.create(campaign=_campaign(unit, ent), organisation=_org(unit))


def _target(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import YearTarget

    return YearTarget.objects.create(area=unit, year=2026)


def _complaint(unit: Unit, ent: Enterprise) -> Any:
    from qinqing.chambers.models import Complaint
    from tests.factories import make_user

    return Complaint.objects.create(
        area=unit, received_on=dt.date(2026, 4, 1), summary="办理慢", recorded_by=make_user(f"cpl_{unit.pk}")
    )


CASES = {
    "chambers.organisation": ScopedCase(
        make=_org,
        page_url=lambda o: reverse("chambers:org", args=[o.pk]),
        api_url=lambda o: reverse("api:chambers-organisation-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
    "chambers.organisationaccount": ScopedCase(make=_account, enterprise_visible=False),
    "chambers.officer": ScopedCase(make=_officer, enterprise_visible=False),
    "chambers.member": ScopedCase(make=_member, enterprise_visible=False),
    "chambers.application": ScopedCase(
        make=_application,
        page_url=lambda o: reverse("chambers:application", args=[o.pk]),
        api_url=lambda o: reverse("api:chambers-application-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
    "chambers.material": ScopedCase(make=_material, enterprise_visible=False),
    "chambers.event": ScopedCase(make=_event, enterprise_visible=False),
    "chambers.registrationerror": ScopedCase(make=_error, enterprise_visible=False),
    "chambers.certificate": ScopedCase(
        make=_certificate,
        api_url=lambda o: reverse("api:chambers-certificate-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
    "chambers.campaign": ScopedCase(
        make=_campaign,
        page_url=lambda o: reverse("chambers:campaign", args=[o.pk]),
        api_url=lambda o: reverse("api:chambers-campaign-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
    "chambers.annualreport": ScopedCase(
        make=_report,
        page_url=lambda o: reverse("chambers:report", args=[o.pk]),
        api_url=lambda o: reverse("api:chambers-report-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
    "chambers.yeartarget": ScopedCase(make=_target, enterprise_visible=False),
    "chambers.complaint": ScopedCase(make=_complaint, enterprise_visible=False),
}
for _label, _case in CASES.items():
    register(_label, _case)
