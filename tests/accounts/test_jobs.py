"""Housekeeping of the lockout and session tables."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts.jobs import prune_security_rows
from qinqing.accounts.models import LoginFailure, User, UserSession
from qinqing.core.jobs import JOBS
from tests.accounts.conftest import login

pytestmark = pytest.mark.django_db


def test_prune_keeps_what_still_counts(dispatcher: User) -> None:
    assert JOBS["accounts.prune_security_rows"].every_seconds == 3600
    now = timezone.now()
    LoginFailure.objects.create(username="old", ip="10.0.0.1", at=now - dt.timedelta(minutes=61))
    LoginFailure.objects.create(username="recent", ip="10.0.0.1", at=now - dt.timedelta(minutes=59))
    client = Client()
    login(client, dispatcher.username)
    live_key = client.cookies["sessionid"].value
    UserSession.objects.create(user=dispatcher, session_key="gone0000000000000000000000000000", ip="10.0.0.2")

    assert prune_security_rows() == {"login_failures": 1, "user_sessions": 1}
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["recent"]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live_key]
