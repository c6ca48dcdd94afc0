from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.test import Client

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditEvent
from qinqing.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.SYSADMIN, 200), (Role.SECADMIN, 302), (Role.AUDITADMIN, 302), (Role.DISPATCHER, 302)],
)
def test_django_admin_is_for_the_system_administrator_only(
    make_user: Callable[..., User], settings: object, role: str, status: int
) -> None:
    settings.ADMIN_TOTP_REQUIRED = False  # type: ignore[attr-defined]
    user = make_user(f"u_{role}", unit_name="昌吉州营商环境服务中心", roles=[role])
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")


def test_audit_events_are_not_in_the_admin() -> None:
    assert AuditEvent not in admin.site._registry


def test_request_id_and_client_address_reach_audit_rows(make_user: Callable[..., User]) -> None:
    from django.http import HttpRequest, HttpResponse

    from qinqing.core.middleware import RequestContextMiddleware

    captured: list[AuditEvent] = []

    def view(request: HttpRequest) -> HttpResponse:
        captured.append(record("export", detail="test"))
        return HttpResponse("ok")

    request = HttpRequest()
    request.META.update({"HTTP_X_REQUEST_ID": "req-abc.123", "REMOTE_ADDR": "10.1.2.3"})
    response = RequestContextMiddleware(view)(request)
    assert response["X-Request-ID"] == "req-abc.123"
    assert (captured[0].request_id, captured[0].ip) == ("req-abc.123", "10.1.2.3")
    bad = HttpRequest()
    bad.META.update({"HTTP_X_REQUEST_ID": "<script>", "REMOTE_ADDR": "10.1.2.3"})
    generated = RequestContextMiddleware(view)(bad)["X-Request-ID"]
    assert len(generated) == 32 and generated.isalnum()


def test_forwarded_for_is_trusted_only_behind_configured_proxies(settings: object) -> None:
    from django.http import HttpRequest

    from qinqing.core.middleware import client_ip

    request = HttpRequest()
    request.META.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 10.9.8.7"})
    settings.TRUSTED_PROXY_COUNT = 0  # type: ignore[attr-defined]
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    assert client_ip(request) == "10.9.8.7"
