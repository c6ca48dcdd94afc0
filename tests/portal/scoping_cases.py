"""Scoped portal models in the shared battery (tests/scoping): content, inquiries, editions by unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests.scoping.registry import ScopedCase, register


def _entry(unit: Any, enterprise: Any) -> Any:
    from qinqing.portal.models import Entry

    return Entry.objects.create(kind="news", unit=unit, title=f"新闻 {unit.pk}")


def _inquiry(unit: Any, enterprise: Any) -> Any:
    from qinqing.portal.models import Inquiry

    now = timezone.now()
    return Inquiry.objects.create(
        number=f"DJT{unit.pk}",
        token=f"tok{unit.pk}",
        unit=unit,
        company="某公司",
        contact="王",
        phone="13800000000",
        message="希望洽谈投资事宜",
        consent_at=now,
        consent_version="t",
        fingerprint=f"fp{unit.pk}",
        due_at=now + dt.timedelta(days=3),
        warn_at=now + dt.timedelta(days=2),
    )


def _edition(unit: Any, enterprise: Any) -> Any:
    from qinqing.portal.models import Edition

    return Edition.objects.create(
        kind="guide",
        unit=unit,
        title="投资指南",
        edition="2026年版",
        edition_date=dt.date(2026, 1, 1),
        unit_cost_yuan=Decimal("50"),
    )


register(
    "portal.entry",
    ScopedCase(
        make=_entry, page_url=lambda o: reverse("portal:content", args=[o.pk]), enterprise_visible=False
    ),
)
register(
    "portal.inquiry",
    ScopedCase(
        make=_inquiry, page_url=lambda o: reverse("portal:inquiry", args=[o.pk]), enterprise_visible=False
    ),
)
register(
    "portal.edition",
    ScopedCase(
        make=_edition, page_url=lambda o: reverse("portal:edition", args=[o.pk]), enterprise_visible=False
    ),
)
