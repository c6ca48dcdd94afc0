from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from tests.factories import PASSWORD

STAFF_UNIT = "昌吉州营商环境服务中心"


@dataclass
class Clock:
    """A controllable timezone.now(): tests move it forward instead of sleeping."""

    now: dt.datetime

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    c = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    yield c


@pytest.fixture
def dispatcher(make_user: Callable[..., User]) -> User:
    return make_user("changji_dispatcher", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])


@pytest.fixture
def sysadmin(make_user: Callable[..., User]) -> User:
    return make_user("zhou_sysadmin", unit_name=STAFF_UNIT, roles=[Role.SYSADMIN])


@pytest.fixture
def secadmin(make_user: Callable[..., User]) -> User:
    return make_user("zhou_secadmin", unit_name=STAFF_UNIT, roles=[Role.SECADMIN])


@pytest.fixture
def auditadmin(make_user: Callable[..., User]) -> User:
    return make_user("zhou_auditadmin", unit_name=STAFF_UNIT, roles=[Role.AUDITADMIN])


def login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def page_text(response: Any) -> str:
    return str(response.content.decode())
