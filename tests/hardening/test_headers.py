"""Security headers and cookies on real responses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qinqing.core.middleware import DEFAULT_CSP


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
def test_login_page_carries_the_security_headers(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response  # plain HTTP: no HSTS
    body = response.content.decode()
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in body
    )
    assert "/static/qinqing/site.js" in body


@pytest.mark.django_db
def test_api_responses_carry_the_policy_too(client: Client) -> None:
    response = client.get("/api/v1/demands/")
    assert response.status_code in {401, 403}
    assert response["Content-Security-Policy"] == DEFAULT_CSP


@pytest.mark.django_db
def test_hsts_only_over_tls(client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_behind_the_proxy_tls_is_read_from_x_forwarded_proto(client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=600"


@pytest.mark.django_db
def test_production_cookies_are_secure_httponly_samesite(
    client: Client, settings: Any, make_user: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    make_user("cookie_user", unit_name="昌吉州营商环境服务中心", roles=[])
    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")
    token = csrf.value
    response = client.post(
        "/accounts/login/",
        {"username": "cookie_user", "password": "Test-Pass-2026", "csrfmiddlewaretoken": token},
        secure=True,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    session = response.cookies["sessionid"]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")


def test_swagger_ui_loads_its_script_from_a_file(admin_client: Client) -> None:
    page = admin_client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script=' in page or "/api/docs/?script" in page
    assert "<script>" not in page
    script = admin_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
