from __future__ import annotations

from collections.abc import Callable

import pytest

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role


@pytest.fixture
def county_handler(make_user: Callable[..., User]) -> User:
    """昌吉市 staff who may read enterprises but not change, export or see full numbers."""
    return make_user("changji_handler", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER])


@pytest.fixture
def county_leader(make_user: Callable[..., User]) -> User:
    return make_user("changji_leader", unit_name="昌吉市营商环境服务中心", roles=[Role.LEADER])
