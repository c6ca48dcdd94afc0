from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult

SH = ZoneInfo("Asia/Shanghai")


def _user(make_user: Callable[..., User], name: str, role: str) -> User:
    return make_user(
        name, unit_name="昌吉州营商环境服务中心", roles=[role], password_changed_at=timezone.now()
    )


@pytest.fixture
def auditadmin(make_user: Callable[..., User]) -> User:
    return _user(make_user, "audit_admin", Role.AUDITADMIN)


@pytest.fixture
def sysadmin(make_user: Callable[..., User]) -> User:
    return _user(make_user, "sys_admin", Role.SYSADMIN)


@pytest.fixture
def secadmin(make_user: Callable[..., User]) -> User:
    return _user(make_user, "sec_admin", Role.SECADMIN)


def event(at: dt.datetime, **fields: object) -> AuditEvent:
    return AuditEvent.objects.create(at=at, **fields)


@pytest.fixture
def march_events(db: None) -> list[AuditEvent]:
    """Five events in Feb/Mar 2026 (Shanghai times), far from the logins the tests make today."""
    return [
        event(
            dt.datetime(2026, 2, 28, 12, 0, tzinfo=SH),
            actor_name="alice",
            action=AuditAction.DELETE,
            object_type="calendar.calendarday",
            object_id="17",
            object_repr="2026-05-09 调休上班日 劳动节",
        ),
        event(
            dt.datetime(2026, 3, 1, 9, 0, tzinfo=SH),
            actor_name="alice",
            action=AuditAction.CREATE,
            object_type="enterprises.enterprise",
            object_id="5",
            object_repr="昌吉市天山建材有限公司",
        ),
        event(
            dt.datetime(2026, 3, 1, 23, 30, tzinfo=SH),
            actor_name="bob",
            action=AuditAction.LOGIN_FAILED,
            result=AuditResult.FAILURE,
            detail="密码错误",
        ),
        event(
            dt.datetime(2026, 3, 2, 0, 10, tzinfo=SH),
            actor_name="alice",
            action=AuditAction.UPDATE,
            object_type="calendar.calendarday",
            object_id="21",
            object_repr="2026-10-11 调休上班日 国庆节",
            changes={"date": ["2026-10-10", "2026-10-11"], "source": ["package", "admin"]},
        ),
        event(
            dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH),
            actor_name="carol",
            action=AuditAction.EXPORT,
            object_type="enterprises.enterprise",
            detail="导出企业 25 家",
        ),
    ]
