"""Separation of the administrators outside the accounts pages: audit rows and the Django admin."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.audit.models import AuditAction, AuditEvent
from tests.accounts.conftest import login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_system_administrator_cannot_list_audit_events(
    sysadmin: User, secadmin: User, auditadmin: User
) -> None:
    login(Client(), "nobody", "Wrong-Pass-1")
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1
    assert AuditEvent.objects.visible_to(sysadmin).count() == 0
    assert AuditEvent.objects.visible_to(secadmin).count() == 0
    assert AuditEvent.objects.visible_to(auditadmin).count() == 1
    assert not sysadmin.can("audit.view")


def test_admin_lists_users_read_only_for_the_system_administrator(sysadmin: User, dispatcher: User) -> None:
    client = Client()
    client.force_login(sysadmin)
    listing = client.get("/admin/accounts/user/", {"q": "changji"})
    assert listing.status_code == 200
    assert dispatcher.username in listing.content.decode()
    detail = client.get(f"/admin/accounts/user/{dispatcher.pk}/change/")
    assert detail.status_code == 200
    assert 'name="username"' not in detail.content.decode()  # read-only: no inputs
    response = client.post(f"/admin/accounts/user/{dispatcher.pk}/change/", {"username": "renamed"})
    assert response.status_code == 403
    assert client.get("/admin/accounts/user/add/").status_code == 403
    dispatcher.refresh_from_db()
    assert dispatcher.username == "changji_dispatcher"


def test_admin_is_closed_to_the_other_administrators(secadmin: User, auditadmin: User) -> None:
    for user in (secadmin, auditadmin):
        client = Client()
        client.force_login(user)
        response = client.get("/admin/accounts/user/")
        assert response["Location"] == "/admin/login/?next=/admin/accounts/user/"
        assert client.get(response["Location"]).status_code == 403  # not a login loop


def test_admin_has_no_login_form_of_its_own(dispatcher: User) -> None:
    client = Client()
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get(response["Location"])
    assert response["Location"] == "/accounts/login/?next=/admin/"
    # posting credentials to the admin login does not sign anyone in
    client.post("/admin/login/?next=/admin/", {"username": dispatcher.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
