"""Pages and API: the organisation user's view of the platform, the bureau's lists (query counts),
exports (masked), and 404 for another organisation's records."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.chambers import inspections, services
from qinqing.chambers.models import Application, Organisation
from qinqing.chambers.rules import AppKind
from qinqing.core.context_processors import navigation
from tests.chambers import builders
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_an_organisation_user_logs_in_and_the_shared_pages_work(staff: User) -> None:
    org, user = builders.org_account(staff, username="zj_chamber")
    user.set_password(PASSWORD)
    user.save()
    c = Client()
    response = c.post(reverse("accounts:login"), {"username": "zj_chamber", "password": PASSWORD})
    assert response.status_code == 302
    home = c.get(reverse("core:home"))
    assert home.status_code == 200
    request: Any = type("R", (), {"user": User.objects.get(pk=user.pk)})()
    labels = [label for label, _name in navigation(request)["nav_items"]]
    assert labels == ["首页", "消息", "商会管理"]  # no demand pages for an organisation's account
    assert "乌鲁木齐浙江商会：登记状态" in home.content.decode()
    for label, name in navigation(request)["nav_items"]:
        assert c.get(reverse(name), follow=True).status_code == 200, label
    landing = c.get(reverse("chambers:home"))
    assert landing.status_code == 302 and landing["Location"] == reverse("chambers:org", args=[org.pk])
    page = c.get(landing["Location"]).content.decode()
    assert "乌鲁木齐浙江商会" in page and "申请登记备案" in page and 'data-testid="chambers-tabs"' not in page


def test_another_organisations_records_answer_404(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    other, other_user = builders.org_account(staff, name="乌鲁木齐河南商会", origin="河南省")
    app = services.start_application(other_user, other, AppKind.REGISTRATION)
    c = client_for(user)
    assert c.get(reverse("chambers:org", args=[other.pk])).status_code == 404
    assert c.get(reverse("chambers:application", args=[app.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(user)
    assert api.get(reverse("api:chambers-organisation-detail", args=[other.pk])).status_code == 404
    assert api.get(reverse("api:chambers-application-detail", args=[app.pk])).status_code == 404
    listed = api.get(reverse("api:chambers-organisation-list")).json()
    assert [r["id"] for r in listed["results"]] == [org.pk]
    created = api.post(
        reverse("api:chambers-application-list"),
        {"organisation": other.pk, "kind": "registration"},
        format="json",
    )
    assert created.status_code == 404
    assert api.get(reverse("api:chambers-figures")).status_code == 403


def test_the_api_runs_an_application_for_the_organisation(
    staff: User, chamber: tuple[Organisation, User]
) -> None:
    org, user = chamber
    builders.make_ready(org)
    api = APIClient()
    api.force_authenticate(user)
    created = api.post(
        reverse("api:chambers-application-list"),
        {"organisation": org.pk, "kind": "registration"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    refused = api.post(
        reverse("api:chambers-application-submit", args=[body["id"]]),
        {"version": body["version"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"]["non_field_errors"][0].startswith("缺少申请材料：")
    app = Application.objects.get(pk=body["id"])
    builders.upload_all(user, app)
    app.refresh_from_db()
    ok = api.post(
        reverse("api:chambers-application-submit", args=[app.pk]), {"version": app.version}, format="json"
    )
    assert ok.json()["status"] == "submitted" and ok.json()["light"] == "green"
    stale = api.post(
        reverse("api:chambers-application-withdraw", args=[app.pk]), {"version": app.version}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    bureau = APIClient()
    bureau.force_authenticate(staff)
    approved = bureau.post(
        reverse("api:chambers-application-approve", args=[app.pk]),
        {"version": app.version + 1},
        format="json",
    )
    assert approved.json()["status"] == "approved"
    certs = api.get(reverse("api:chambers-certificate-list")).json()["results"]
    assert [c["serial"] for c in certs] == ["2026-0001"]


def test_bureau_lists_have_constant_query_counts(
    staff: User, django_assert_max_num_queries: Any, django_assert_num_queries: Any
) -> None:
    for origin in ("浙江省", "河南省", "四川省"):
        org, user = builders.org_account(staff, name=f"乌鲁木齐{origin[:2]}商会", origin=origin)
        builders.registered(staff, user, org)
    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    c = client_for(staff)
    c.get(reverse("chambers:orgs"))  # warm the session and the calendar cache
    counts = {}
    for name, args in (("chambers:orgs", []), ("chambers:applications", []), ("chambers:campaign", [campaign.pk]),
                       ("chambers:certificates", []), ("chambers:figures", [])):  # fmt: skip
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse(name, args=args)).status_code == 200
        counts[name] = len(ctx)
    # three more organisations and their records do not add queries
    for origin in ("湖南省", "湖北省", "江苏省"):
        org, user = builders.org_account(staff, name=f"乌鲁木齐{origin[:2]}商会", origin=origin)
        builders.registered(staff, user, org)
    for name, args in (("chambers:orgs", []), ("chambers:applications", []), ("chambers:campaign", [campaign.pk]),
                       ("chambers:certificates", [])):  # fmt: skip
        with django_assert_num_queries(counts[name]):
            c.get(reverse(name, args=args))
    api = APIClient()
    api.force_authenticate(staff)
    with django_assert_max_num_queries(8):
        assert len(api.get(reverse("api:chambers-application-list")).json()["results"]) == 6
    with django_assert_max_num_queries(8):
        assert len(api.get(reverse("api:chambers-report-list")).json()["results"]) == 3


def test_export_is_masked_and_neutralised(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, _user = chamber
    builders.make_ready(org)
    Organisation.objects.filter(pk=org.pk).update(contact_name='=HYPERLINK("x")')
    response = client_for(staff).get(reverse("chambers:orgs") + "?format=xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None
    row = [c.value for c in ws[2]]
    assert row[0] == "乌鲁木齐浙江商会"
    assert row[10] == '\'=HYPERLINK("x")' and row[11] == "139****5678"
    assert "13912345678" not in str(list(ws.values))


def test_filters_by_kind_status_origin_and_conclusion(staff: User) -> None:
    zj, zj_user = builders.org_account(staff, name="乌鲁木齐浙江商会", origin="浙江省")
    builders.registered(staff, zj_user, zj)
    builders.org_account(staff, name="喀什地区驻乌办事处", kind="office")
    c = client_for(staff)
    page = c.get(reverse("chambers:orgs") + "?kind=office").content.decode()
    assert "喀什地区驻乌办事处" in page and "乌鲁木齐浙江商会" not in page
    page = c.get(reverse("chambers:orgs") + "?status=active&place_of_origin=浙江省").content.decode()
    assert "乌鲁木齐浙江商会" in page and "喀什地区驻乌办事处" not in page
    page = c.get(reverse("chambers:orgs") + "?conclusion=basic&inspection_year=2026").content.decode()
    assert "没有符合条件的组织" in page


def test_staff_pages_render(staff: User) -> None:
    c = client_for(staff)
    for name in ("chambers:home", "chambers:org_new", "chambers:campaigns", "chambers:targets",
                 "chambers:complaints", "chambers:settings", "chambers:verify_form"):  # fmt: skip
        assert c.get(reverse(name)).status_code == 200, name
    saved = c.post(reverse("chambers:targets"), {"year": "2022", "inspections": 600, "revocations": 25, "changes": 10,
                   "registrations": 30, "certificates": 1000, "error_rate_max": "5", "ontime_rate_min": "95",
                   "complaints_max": 5})  # fmt: skip
    assert saved.status_code == 302
    handler = builders.bureau("handler", role="handler")
    assert client_for(handler).get(reverse("chambers:targets")).status_code == 403
