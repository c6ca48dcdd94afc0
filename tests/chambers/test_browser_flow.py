"""The whole path in Chromium: a chamber applies, is returned for a missing document, re-submits, is
approved, downloads its certificate; the QR code's URL verifies it; the next year it files its annual
report and is concluded 基本合格 with a rectification due."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from qinqing.accounts.models import User
from qinqing.chambers import certificates, rules
from qinqing.core.demo import DEMO_PASSWORD
from tests.chambers import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    return page


def upload(page: Any, item: str, path: Path) -> None:
    page.select_option("#id_item", item)
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state()


def test_chamber_registration_certificate_and_inspection(
    live_server: Any,
    browser: Any,
    tree: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screenshot_dir: Path,
) -> None:
    base = live_server.url
    staff = builders.bureau("urumqi_reviewer")
    staff.set_password(DEMO_PASSWORD)
    staff.save()
    org, org_user = builders.org_account(staff, username="zj_chamber")
    org_user.set_password(DEMO_PASSWORD)
    org_user.save()
    builders.make_ready(org)
    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(builders.PDF)

    chamber = login(browser, base, "zj_chamber")
    assert "乌鲁木齐浙江商会：登记状态" in chamber.content()
    chamber.goto(f"{base}/chambers/")
    chamber.get_by_role("button", name="申请登记备案").click()
    chamber.wait_for_url("**/chambers/applications/*/")
    app_url = chamber.url
    for item, _label in rules.MATERIALS[("chamber", "registration")]:
        upload(chamber, item, pdf)
    chamber.get_by_role("button", name="提交申请").click()
    assert chamber.get_by_test_id("app-status").inner_text() == "待审核"

    bureau = login(browser, base, "urumqi_reviewer")
    bureau.goto(f"{base}/chambers/")
    bureau.get_by_role("link", name="乌鲁木齐浙江商会").click()
    bureau.get_by_label("住所使用权证明的审核意见").fill("缺少房屋租赁合同，请补传")
    bureau.get_by_role("button", name="退回补正").click()
    assert bureau.get_by_test_id("app-status").inner_text() == "退回补正"

    chamber.goto(app_url)
    assert (
        "住所使用权证明：缺少房屋租赁合同，请补传" in chamber.get_by_test_id("decision-comment").inner_text()
    )
    upload(chamber, "premises", pdf)
    chamber.get_by_role("button", name="提交申请").click()
    assert chamber.get_by_test_id("app-status").inner_text() == "待审核"

    bureau.goto(app_url)
    bureau.get_by_label("民政登记证号").fill("5165010012345")
    bureau.get_by_role("button", name="核准", exact=True).click()
    assert bureau.get_by_test_id("app-status").inner_text() == "已核准"

    chamber.goto(f"{base}/chambers/")
    assert chamber.get_by_test_id("org-status").inner_text() == "已登记"
    with chamber.expect_download() as download:
        chamber.get_by_test_id("cert-download").click()
    text = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages[0].extract_text()
    assert "2026-0001" in text and "乌鲁木齐浙江商会" in text
    url = certificates.verify_url("2026-0001", base + "/")
    assert certificates.QRCode(url).matrix  # the URL the certificate's QR code encodes
    public = browser.new_context(locale="zh-CN").new_page()  # no login
    public.goto(url)
    assert public.get_by_test_id("verify-status").inner_text() == "有效"
    assert "139" not in public.content() and "陈会长" not in public.content()
    public.screenshot(path=str(screenshot_dir / "chambers-verify.png"))

    # the next year: the bureau opens the 2026 campaign, the chamber files, the bureau concludes 基本合格
    builders.pin(monkeypatch, builders.at(2027, 2, 10))
    bureau = login(browser, base, "urumqi_reviewer")
    bureau.goto(f"{base}/chambers/campaigns/")
    bureau.fill("#id_year", "2026")
    bureau.get_by_role("button", name="开启").click()
    bureau.wait_for_url("**/chambers/campaigns/*/")
    campaign_url = bureau.url
    assert "2027年03月31日" in bureau.content()

    chamber = login(browser, base, "zj_chamber")
    assert "2026年度报告（03月31日截止）" in chamber.content()
    chamber.get_by_role("link", name="未报送").click()
    for key, _label in rules.REPORT_SECTIONS:
        chamber.fill(f"#id_{key}", f"{_label}：已按要求开展")
    chamber.fill("#id_income_yuan", "356000")
    chamber.fill("#id_expense_yuan", "301000")
    chamber.fill("#id_net_assets_yuan", "120000")
    chamber.check("#id_declared")
    chamber.get_by_role("button", name="报送").click()
    assert chamber.get_by_test_id("report-status").inner_text() == "已报送"
    report_url = chamber.url

    bureau.goto(campaign_url)
    assert "已报送待审 1" in bureau.get_by_test_id("progress").inner_text()
    bureau.goto(report_url)
    bureau.select_option("#c-conclusion", "basic")
    bureau.fill("#c-comment", "未按章程按期召开理事会")
    bureau.get_by_role("button", name="作出结论").click()
    assert "基本合格" in bureau.get_by_test_id("conclusion").inner_text()

    chamber.goto(report_url)
    # 20 working days after Wednesday 10 February 2027 (2027's holidays are not entered in the shipped
    # calendar: weekends only, provisionally)
    assert chamber.get_by_test_id("rectification-due").inner_text() == "2027-03-10"
    chamber.screenshot(path=str(screenshot_dir / "chambers-rectification.png"))
    assert User.objects.get(username="zj_chamber").chambers_account.organisation_id == org.pk
