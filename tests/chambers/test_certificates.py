"""Certificates: serials, the PDF and its QR code, batch printing with reprint counts, and the public
verification page that shows only number, name, kind, status and dates."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from qinqing.accounts.models import User
from qinqing.chambers import certificates, rules, services
from qinqing.chambers.models import Certificate, Organisation
from tests.chambers import builders

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def test_serials_are_sequential_per_year(staff: User, monkeypatch: pytest.MonkeyPatch) -> None:
    org, _ = builders.org_account(staff)
    serials = [certificates.issue(staff, org).serial for _ in range(3)]
    builders.pin(monkeypatch, builders.at(2027, 1, 4))
    serials.append(certificates.issue(staff, org).serial)
    assert serials == ["2026-0001", "2026-0002", "2026-0003", "2027-0001"]


def test_the_pdf_carries_the_particulars_and_a_qr_code_to_the_verification_page(
    staff: User, chamber: tuple[Organisation, User]
) -> None:
    org, user = chamber
    builders.registered(staff, user, org)
    cert = Certificate.objects.get(organisation=org)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("chambers:certificate_pdf", args=[cert.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (page,) = text_of(response.content)
    for expected in (
        "异地商会登记备案证书",
        "2026-0001",
        "乌鲁木齐浙江商会",
        "乌鲁木齐市招商服务局",
        "2026年04月15日",
        "陈会长",
    ):
        assert expected in page
    assert (
        certificates.verify_url(cert.serial, "http://testserver/")
        == "http://testserver/chambers/verify/2026-0001/"
    )
    qr = certificates.QRCode(certificates.verify_url(cert.serial, "http://testserver/"))
    assert len(qr.matrix) > 21  # a real QR symbol (version ≥ 2 for this URL)
    cert.refresh_from_db()
    assert (cert.print_count, cert.reprints) == (1, 0)
    client.get(reverse("chambers:certificate_pdf", args=[cert.pk]))
    cert.refresh_from_db()
    assert (cert.print_count, cert.reprints) == (2, 1)


def test_an_office_has_its_own_template(staff: User) -> None:
    org, user = builders.org_account(staff, name="喀什地区驻乌鲁木齐办事处", kind=rules.OrgKind.OFFICE)
    builders.registered(staff, user, org)
    cert = Certificate.objects.get(organisation=org)
    (page,) = text_of(certificates.render([cert], count=False))
    assert "驻乌办事机构登记证书" in page and "张主任" in page


def test_batch_print_of_the_year_is_one_pdf_and_counts_reprints(staff: User) -> None:
    orgs = []
    for i, origin in enumerate(("浙江省", "河南省", "四川省")):
        org, user = builders.org_account(staff, name=f"乌鲁木齐{origin[:2]}商会", origin=origin)
        builders.registered(staff, user, org)
        orgs.append(org)
        assert i + 1 == Certificate.objects.count()
    client = Client()
    client.force_login(staff)
    first = client.post(reverse("chambers:certificate_batch"), {"year": "2026"})
    assert first.status_code == 200
    pages = text_of(first.content)
    assert [p.split("证书编号")[1].split()[0] for p in pages] == ["2026-0001", "2026-0002", "2026-0003"]
    client.post(reverse("chambers:certificate_batch"), {"year": "2026"})
    assert list(Certificate.objects.order_by("seq").values_list("print_count", flat=True)) == [2, 2, 2]
    assert sum(c.reprints for c in Certificate.objects.all()) == 3
    _org, org_user = builders.org_account(staff, name="乌鲁木齐湖南商会", origin="湖南省")
    client.force_login(org_user)
    assert client.post(reverse("chambers:certificate_batch"), {"year": "2026"}).status_code == 403


PERSONAL = ("139", "13800001111", "陈会长", "林秘书长", "王秘书", "光明路", "5165010012345")


def test_verification_shows_only_public_fields(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    builders.registered(staff, user, org)
    client = Client()  # no login
    response = client.get(reverse("chambers:verify", args=["2026-0001"]))
    html = response.content.decode()
    assert response.status_code == 200
    for shown in ("2026-0001", "乌鲁木齐浙江商会", "异地商会", "有效", "2026-04-15", "该证书有效"):
        assert shown in html
    for hidden in (*PERSONAL, org.credit_code or "none-set"):
        assert hidden not in html
    api = client.get(reverse("api:chambers-verify", args=["2026-0001"]))
    assert api.json() == {
        "serial": "2026-0001",
        "organisation": "乌鲁木齐浙江商会",
        "kind": "异地商会",
        "status": "valid",
        "status_label": "有效",
        "issued_on": "2026-04-15",
        "ended_on": None,
    }


def test_unknown_superseded_and_void_numbers_say_so(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    builders.registered(staff, user, org)
    client = Client()
    unknown = client.get(reverse("chambers:verify", args=["2026-9999"])).content.decode()
    assert "未找到编号为“2026-9999”的证书" in unknown
    assert client.get(reverse("api:chambers-verify", args=["2026-9999"])).status_code == 404
    org.refresh_from_db()
    certificates.reissue(staff, org)
    assert "该证书已换发新证" in client.get(reverse("chambers:verify", args=["2026-0001"])).content.decode()
    org.refresh_from_db()
    services.revoke(staff, org, reason="违规", expected_version=org.version)
    void = client.get(reverse("chambers:verify", args=["2026-0002"])).content.decode()
    assert "该证书已作废" in void and "已作废" in void


def test_verification_is_rate_limited(settings: Any, staff: User) -> None:
    settings.CHAMBERS_VERIFY_LIMIT = 3
    client = Client()
    codes = [client.get(reverse("chambers:verify", args=["2026-0001"])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    blocked = client.get(reverse("api:chambers-verify", args=["2026-0001"]))
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) >= 1
    assert client.get(reverse("chambers:verify_form")).status_code == 200  # the empty form is not counted
