"""The monthly review cycle in a real browser: prepare, submit, return, fix, resubmit, approve, locked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.investment import rules, services
from qinqing.investment.models import FundsEntry, IndustryCluster, MonthlyReport
from tests.factories import make_user, unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(browser: Any, base: str, username: str) -> Any:
    """A separate browser context (its own session) logged in as USERNAME."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    return page


def status_of(page: Any) -> str:
    return str(page.get_by_test_id("report-status").inner_text())


def test_monthly_report_return_fix_resubmit_approve_and_lock(
    live_server: Any, browser: Any, tree: None, screenshot_dir: Path
) -> None:
    base = live_server.url
    filer = make_user(
        "cj_filer", unit_name="昌吉市营商环境服务中心", roles=[Role.STATS_FILER], password=DEMO_PASSWORD
    )
    make_user("cj_head", unit_name="昌吉市营商环境服务中心", roles=[Role.UNIT_HEAD], password=DEMO_PASSWORD)
    make_user(
        "zhou_reviewer", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER], password=DEMO_PASSWORD
    )
    month = rules.previous_month(timezone.localdate())
    label = f"{month.year}年{month.month}月"
    project = services.create_project(
        filer,
        {
            "name": "年产5万吨工业硅项目",
            "investor_name": "江苏某硅业有限公司",
            "source": "province",
            "investor_type": "private",
            "sector": 2,
            "industry_section": "C",
            "industry_division": "32",
            "location_unit": unit("昌吉市"),
            "planned_investment_wan": Decimal("80000"),
            "cluster": IndustryCluster.objects.get(scheme="changji", name="硅基产业"),
        },
        initial={
            "stage": "signed",
            "signed_on": month,
            "contract_type": "formal",
            "contract_amount_wan": Decimal("80000"),
            "opened_on": month - dt.timedelta(days=20),
        },
    )
    entry = services.record_funds(
        filer, project, month=month, amount_wan=Decimal("1200"), outside_amount_wan=Decimal("1000")
    )

    # 1. the filer prepares the month's report
    fp = login(browser, base, "cj_filer")
    fp.goto(f"{base}/investment/reports/")
    fp.get_by_test_id("prepare-form").locator("input[name=month]").fill(f"{month:%Y-%m}")
    fp.get_by_test_id("prepare-form").locator("textarea[name=remarks]").fill("本月新签约工业硅项目1个")
    fp.get_by_role("button", name="生成月报").click()
    fp.wait_for_url(f"{base}/investment/reports/*/")
    assert status_of(fp) == "草稿"
    assert fp.get_by_role("button", name="报送").count() == 0  # the filer cannot submit
    report_url = fp.url
    report = MonthlyReport.objects.get()

    # 2. the unit head submits it
    hp = login(browser, base, "cj_head")
    hp.goto(report_url)
    hp.get_by_role("button", name="报送").click()
    hp.wait_for_load_state()
    assert status_of(hp) == "已报送"

    # 3. the prefecture returns it with a comment
    rp = login(browser, base, "zhou_reviewer")
    rp.goto(report_url)
    rp.get_by_label("审核意见").fill("区外到位资金与凭证不符，请核实")
    rp.get_by_role("button", name="退回").click()
    rp.wait_for_load_state()
    assert status_of(rp) == "已退回"

    # 4. the filer sees the comment, corrects the funds and regenerates; the head resubmits
    fp.goto(report_url)
    assert fp.get_by_test_id("review-comment").inner_text() == "审核意见：区外到位资金与凭证不符，请核实"
    fp.goto(f"{base}/investment/funds/{entry.pk}/")
    fp.fill("input[name=outside_amount_wan]", "800")
    fp.get_by_role("button", name="保存").click()
    fp.wait_for_url(f"{base}/investment/projects/{project.pk}/")
    fp.goto(report_url)
    fp.get_by_role("button", name="按项目库重新生成").click()
    fp.wait_for_load_state()
    assert "其中区外本月 800.00 万元" in fp.content()
    hp.goto(report_url)
    hp.get_by_role("button", name="报送").click()
    hp.wait_for_load_state()
    assert status_of(hp) == "已报送"

    # 5. the prefecture approves: the month is locked
    rp.goto(report_url)
    rp.get_by_role("button", name="审核通过").click()
    rp.wait_for_load_state()
    assert status_of(rp) == "已审核（锁定）"
    report.refresh_from_db()
    assert (report.status, report.lines.get().outside_month_wan) == ("approved", Decimal("800.00"))

    # 6. an edit after locking is refused, in Chinese, and nothing changes
    fp.goto(f"{base}/investment/funds/{entry.pk}/")
    fp.fill("input[name=outside_amount_wan]", "900")
    fp.get_by_role("button", name="保存").click()
    fp.wait_for_load_state()
    refusal = f"{label}月报已审核锁定，不能修改该月数据；如需更正，请州级重新开放该期"
    assert fp.get_by_role("alert").filter(has_text=refusal).count() == 1
    assert FundsEntry.objects.get(pk=entry.pk).outside_amount_wan == Decimal("800.00")
    fp.screenshot(path=str(screenshot_dir / "investment-locked-refusal.png"), full_page=True)
    assert (screenshot_dir / "investment-locked-refusal.png").stat().st_size > 10_000
    for p in (fp, hp, rp):
        p.context.close()
