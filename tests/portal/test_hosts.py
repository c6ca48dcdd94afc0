"""The portal on its own host name (PORTAL_HOST): public paths only there, staff paths 404, no cookie."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from qinqing.accounts.models import User
from qinqing.portal.checks import portal_host_checks

pytestmark = pytest.mark.django_db

PORTAL = "invest.example.test"
STAFF = "staff.example.test"


@pytest.fixture
def hosts(settings: Any) -> None:
    settings.PORTAL_HOST = PORTAL
    settings.ALLOWED_HOSTS = [STAFF, PORTAL]


def _get(host: str, path: str, client: Client | None = None) -> Any:
    return (client or Client()).get(path, HTTP_HOST=host)


def test_portal_host_serves_the_public_paths_and_nothing_else(hosts: None, site: dict[str, Any]) -> None:
    p = site["project"].pk
    expected = {
        "/portal/": 200,
        "/portal/en/": 200,
        "/portal/policies/?q=制造业": 200,
        f"/portal/projects/{p}/": 200,
        f"/portal/projects/{p}/qr.svg": 200,
        "/api/public/v1/projects/": 200,
        f"/api/public/v1/projects/{p}/": 200,
        "/api/public/schema/": 200,
        "/healthz": 200,
        # the staff side does not exist on the public host
        "/portal/staff/": 404,
        "/portal/staff/inquiries/": 404,
        "/portal/staff/content/": 404,
        "/accounts/login/": 404,
        "/admin/": 404,
        "/api/v1/portal/inquiries/": 404,
        "/api/v1/investment/projects/": 404,
        "/api/schema/": 404,
        "/metrics": 404,
        "/readyz": 404,
        "/demands/": 404,
        "/investment/": 404,
    }
    got = {path: _get(PORTAL, path).status_code for path in expected}
    assert got == expected
    root = _get(PORTAL, "/")
    assert (root.status_code, root["Location"]) == (302, "/portal/")
    api_404 = _get(PORTAL, "/api/v1/portal/inquiries/")
    assert json.loads(api_404.content)["code"] == "not_found"


def test_portal_host_links_stay_on_the_same_paths(hosts: None, site: dict[str, Any]) -> None:
    html = _get(PORTAL, f"/portal/projects/{site['project'].pk}/").content.decode()
    assert f'href="/portal/inquiry/?project={site["project"].pk}"' in html
    assert 'href="/portal/en/projects/' in html  # the language switch keeps the page


def test_staff_session_never_reaches_the_portal_host(
    hosts: None, site: dict[str, Any], reviewer: User
) -> None:
    staff = Client()
    staff.force_login(reviewer)
    assert _get(STAFF, "/portal/staff/", staff).status_code == 200
    session = staff.cookies["sessionid"].value
    public = Client()
    public.cookies["sessionid"] = session
    public.cookies["csrftoken"] = "x" * 32
    staff_page = _get(PORTAL, "/portal/staff/", public)
    assert staff_page.status_code == 404
    for path in ("/portal/", "/portal/inquiry/", "/api/public/v1/projects/", "/portal/staff/"):
        response = _get(PORTAL, path, public)
        assert "Set-Cookie" not in response.headers, path
        assert not response.cookies, path
    # the inquiry posted on the portal host is anonymous even with a staff cookie sent along
    response = public.post(
        "/api/public/v1/inquiries/",
        data=json.dumps(
            {
                "company": "某某新材料有限公司",
                "contact": "王经理",
                "phone": "13912345678",
                "message": "希望了解园区用地和电价政策，计划投资5亿元。",
                "consent": True,
            }
        ),
        content_type="application/json",
        HTTP_HOST=PORTAL,
    )
    assert response.status_code == 201
    assert not response.cookies


def test_staff_host_redirects_public_paths_to_the_portal_host(hosts: None, site: dict[str, Any]) -> None:
    p = site["project"].pk
    page = _get(STAFF, f"/portal/projects/{p}/?src=qr")
    assert (page.status_code, page["Location"]) == (301, f"http://{PORTAL}/portal/projects/{p}/?src=qr")
    api = _get(STAFF, "/api/public/v1/projects/")
    assert (api.status_code, api["Location"]) == (301, f"http://{PORTAL}/api/public/v1/projects/")
    post = Client().post("/api/public/v1/inquiries/", data={}, HTTP_HOST=STAFF)
    assert (post.status_code, post["Location"]) == (308, f"http://{PORTAL}/api/public/v1/inquiries/")
    # the staff side stays where it is
    assert _get(STAFF, "/portal/staff/").status_code == 302  # to the login page
    assert _get(STAFF, "/accounts/login/").status_code == 200
    assert _get("unknown.example.test", "/portal/").status_code == 400


def test_without_portal_host_one_host_serves_everything(site: dict[str, Any], settings: Any) -> None:
    settings.PORTAL_HOST = ""
    assert _get("testserver", "/portal/").status_code == 200
    assert _get("testserver", "/portal/staff/").status_code == 302
    assert _get("testserver", "/api/public/v1/projects/").status_code == 200


def test_checks_refuse_a_cookie_domain_covering_the_portal_host(settings: Any) -> None:
    settings.PORTAL_HOST = PORTAL
    settings.ALLOWED_HOSTS = [STAFF, PORTAL]
    assert portal_host_checks() == []
    settings.SESSION_COOKIE_DOMAIN = ".example.test"
    assert [e.id for e in portal_host_checks()] == ["portal.E001"]
    settings.SESSION_COOKIE_DOMAIN = None
    settings.ALLOWED_HOSTS = [PORTAL]
    assert [e.id for e in portal_host_checks()] == ["portal.E003"]
    settings.ALLOWED_HOSTS = [STAFF]
    assert [e.id for e in portal_host_checks()] == ["portal.E002"]
    with pytest.raises(SystemCheckError, match=r"portal\.E002"):
        call_command("check")
