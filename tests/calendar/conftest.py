from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.calendar import services


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """Each test starts and ends with an empty working-day cache (edits roll back with the test)."""
    services.invalidate()
    services._warned_years.clear()
    yield
    services.invalidate()


@pytest.fixture
def sysadmin(make_user: Callable[..., User]) -> User:
    return make_user(
        "cal_sysadmin",
        unit_name="昌吉州营商环境服务中心",
        roles=[Role.SYSADMIN],
        password_changed_at=timezone.now(),
    )


@pytest.fixture
def handler(make_user: Callable[..., User]) -> User:
    return make_user(
        "cal_handler",
        unit_name="昌吉市营商环境服务中心",
        roles=[Role.HANDLER],
        password_changed_at=timezone.now(),
    )
