from __future__ import annotations

import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.core.demo import APP_ACCOUNTS, DEMO_PASSWORD, DEMO_USERS, load_all
from qinqing.orgs.models import Unit

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_every_account_logs_in(settings: object) -> None:
    settings.ADMIN_TOTP_REQUIRED = False  # type: ignore[attr-defined]  # as in the demo
    first = load_all()
    assert Unit.objects.count() == 210  # loaded once per test database (tests/conftest.py)
    assert first["users"] == len(DEMO_USERS)
    second = load_all()
    assert set(second.values()) == {0}, second
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert set(user.role_codes) == set(spec.roles), spec.username
        client = Client()
        response = client.post("/accounts/login/", {"username": spec.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, spec.username
        assert client.get("/").status_code == 200, spec.username
    for account in APP_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert set(user.role_codes) == {account.role}, account.username
        client = Client()
        response = client.post("/accounts/login/", {"username": account.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.username
        assert client.get("/").status_code == 200, account.username
