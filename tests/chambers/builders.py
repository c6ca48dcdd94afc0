"""Builders for the chambers tests: bureau staff, an organisation with its own account, a chamber that
meets every registration condition, applications taken through their steps."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.accounts.models import User
from qinqing.chambers import rules, services
from qinqing.chambers.models import Application, Member, Officer, Organisation
from qinqing.enterprises import creditcode
from tests.factories import make_user, unit

PDF = b"%PDF-1.4\n% test material\n"
_rng = random.Random(13)
_seq = iter(range(1, 10**6))


def bureau(
    name: str = "urumqi_bureau", role: str = "dispatcher", unit_name: str = "乌鲁木齐市招商服务局"
) -> User:
    return make_user(name, unit_name=unit_name, roles=[role])


def org_account(
    staff: User,
    *,
    name: str = "乌鲁木齐浙江商会",
    origin: str = "浙江省",
    kind: str = rules.OrgKind.CHAMBER,
    area: str = "乌鲁木齐市",
    username: str | None = None,
) -> tuple[Organisation, User]:
    org, user = services.open_account(
        staff,
        kind=kind,
        name=name,
        area=unit(area),
        username=username or f"org{next(_seq)}",
        password="Org-Pass-2026",
        place_of_origin=origin if kind == rules.OrgKind.CHAMBER else "",
    )
    User.objects.filter(pk=user.pk).update(must_change_password=False)  # as after the first login
    return org, User.objects.get(pk=user.pk)


def code(division: str = "650102") -> str:
    return creditcode.generate(_rng, division)


def make_ready(org: Organisation, *, members: int = 30, founders: int = 5) -> Organisation:
    """Fill in everything a chamber needs to be registered (DOMAIN.md §4)."""
    Organisation.objects.filter(pk=org.pk).update(
        address="乌鲁木齐市天山区光明路1号",
        premises_owned=True,
        capital_wan=Decimal("10"),
        contact_name="王秘书",
        contact_mobile="13912345678",
        head_name="" if org.kind == rules.OrgKind.CHAMBER else "张主任",
        tasks_scope="" if org.kind == rules.OrgKind.CHAMBER else "联络服务、招商引资",
    )
    Member.objects.bulk_create(
        [
            Member(
                organisation=org,
                name=f"浙江会员企业{i:03d}有限公司",
                credit_code=code(),
                is_founder=i < founders,
            )
            for i in range(members)
        ]
    )
    if org.kind == rules.OrgKind.CHAMBER:
        Officer.objects.bulk_create(
            [
                Officer(
                    organisation=org,
                    name="陈会长",
                    position="会长",
                    mobile="13800001111",
                    term_start=dt.date(2026, 1, 1),
                    term_end=dt.date(2030, 12, 31),
                ),
                Officer(
                    organisation=org,
                    name="林秘书长",
                    position="秘书长",
                    mobile="13800002222",
                    term_start=dt.date(2026, 1, 1),
                    term_end=dt.date(2030, 12, 31),
                ),
            ]
        )
    org.refresh_from_db()
    return org


def upload_all(user: User, app: Application, *, skip: tuple[str, ...] = ()) -> None:
    for item, _label in rules.required_materials(app.organisation.kind, app.kind):
        if item not in skip:
            services.upload_material(user, app, item=item, file=SimpleUploadedFile(f"{item}.pdf", PDF))


def registered(staff: User, org_user: User, org: Organisation) -> Application:
    """ORG taken from preparation to registered (application approved, certificate issued)."""
    make_ready(org)
    app = services.start_application(org_user, org, rules.AppKind.REGISTRATION)
    upload_all(org_user, app)
    app = services.submit_application(org_user, app, expected_version=app.version)
    return services.approve_application(
        staff, app, expected_version=app.version, registration_number="5165010012345"
    )


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(y, m, d, h, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def pin(monkeypatch: Any, when: dt.datetime) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: when)
