"""Platform metrics of system use (qinqing.core.metrics): units whose users signed in.

A successful sign-in is the audit event 登录成功 (``AuditAction.LOGIN``, written by
``accounts.services._complete_login`` in the login's transaction); the unit is the signed-in user's
unit at the time of the query. Definitions: docs/kpi.md "Metrics".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from qinqing.core.metrics import Period, register_metric
from qinqing.orgs.models import Tier, Unit, UnitKind

TZ = ZoneInfo("Asia/Shanghai")


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(period.start, dt.time.min, tzinfo=TZ),
        dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=TZ),
    )


def active_unit_ids(unit: Unit, period: Period) -> QuerySet[Unit]:
    """The units of UNIT's subtree with at least one successful sign-in of their users in PERIOD."""
    lo, hi = _bounds(period)
    actors = AuditEvent.objects.filter(
        action=AuditAction.LOGIN, result=AuditResult.SUCCESS, at__gte=lo, at__lt=hi
    ).values("actor_id")
    users = User.objects.filter(pk__in=actors, unit__isnull=False).values("unit_id")
    return Unit.objects.filter(path__startswith=unit.path, pk__in=users)


# 重点县市、部门: counties (县市区) and parks, and the departments of the prefecture and county tiers.
KEY_UNITS = Q(kind__in=(UnitKind.COUNTY, UnitKind.PARK)) | Q(
    kind=UnitKind.DEPARTMENT, tier__in=(Tier.PREFECTURE, Tier.COUNTY)
)


def _users_page(unit: Unit, period: Period) -> str:
    return reverse("accounts:users")


@register_metric(
    "accounts.active_units",
    "系统使用单位",
    unit="个",
    definition="本单位及下级中，期间内其用户至少成功登录一次的单位数",
    drilldown=_users_page,
)
def active_units(unit: Unit, period: Period) -> int:
    return active_unit_ids(unit, period).count()


@register_metric(
    "accounts.key_units",
    "重点县市、部门使用单位",
    unit="个",
    definition="使用单位中的县市区、园区，以及州级、县级部门",
    drilldown=_users_page,
)
def key_units(unit: Unit, period: Period) -> int:
    return active_unit_ids(unit, period).filter(KEY_UNITS).count()
