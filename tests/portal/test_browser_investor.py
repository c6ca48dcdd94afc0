"""An investor on a phone (390 × 844): searches policies, matches them, opens a project, asks to talk, follows
the tracking link; the unit answers on the staff side; the investor sees the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.portal import inquiries, public, snapshot
from qinqing.portal.models import ContentKind, Inquiry
from tests.factories import make_user
from tests.portal.conftest import POLICY_DATA, make_project, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_investor_flow_on_a_phone(live_server: Any, browser: Any, tree: None, screenshot_dir: Path) -> None:
    public.clear_cache()
    snapshot._state.update(version=None, catalogue=None)
    inquiries.forget_config()
    base = live_server.url
    editor = make_user("wlmq_ed", unit_name="乌鲁木齐市招商服务局", roles=[Role.STATS_FILER])
    reviewer = make_user("wlmq_rev", unit_name="乌鲁木齐市招商服务局", roles=[Role.DISPATCHER])
    cj = make_user(
        "cj_answer", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER], password=DEMO_PASSWORD
    )
    publish(
        editor,
        reviewer,
        ContentKind.POLICY,
        title="支持制造业高质量发展的若干措施",
        summary="对新落地制造业项目给予奖补。",
        data=POLICY_DATA,
    )
    project = make_project(cj, "年产10万吨铝合金型材项目", published=True)
    snapshot.sync_projects()

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{base}/portal/policies/")
    page.get_by_test_id("policy-q").fill("制造业")
    page.get_by_role("button", name="搜索").click()
    assert page.get_by_test_id("policy-item").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{base}/portal/match/")
    page.get_by_test_id("match-industry").select_option("C")
    page.get_by_test_id("match-investment").fill("20000")
    page.get_by_role("button", name="开始匹配").click()
    result = page.get_by_test_id("match-result")
    assert result.count() == 1
    assert "计划投资不少于 10000 万元" in result.inner_text()
    assert "在本市注册并纳税" in result.inner_text()
    page.goto(f"{base}/portal/projects/")
    page.get_by_test_id("project-item").first.click()
    assert page.get_by_test_id("project-name").inner_text() == "年产10万吨铝合金型材项目"
    page.get_by_test_id("talk").click()
    assert page.get_by_test_id("inquiry-project").inner_text() == "年产10万吨铝合金型材项目"
    page.fill("input[name=company]", "江苏某新材料有限公司")
    page.fill("input[name=contact]", "王经理")
    page.fill("input[name=phone]", "13905160001")
    page.fill("textarea[name=message]", "我公司拟投资铝基新材料项目，希望了解用地与电价政策。")
    page.check("input[name=consent]")
    page.get_by_role("button", name="提交").click()
    track_url = page.get_by_test_id("track-url").inner_text().strip()
    assert page.get_by_test_id("track-status").inner_text() == "待答复"
    page.screenshot(path=str(screenshot_dir / "portal-track-mobile.png"), full_page=True)
    inquiry = Inquiry.objects.get()
    assert inquiry.project_id == project.pk and inquiry.unit.name == "昌吉市"
    assert context.cookies() == []  # the public side sets no cookie

    staff = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    sp = staff.new_page()
    sp.goto(f"{base}/accounts/login/")
    sp.fill("input[name=username]", "cj_answer")
    sp.fill("input[name=password]", DEMO_PASSWORD)
    sp.get_by_role("button", name="登录").click()
    sp.wait_for_url(f"{base}/")
    sp.goto(f"{base}/portal/staff/inquiries/")
    sp.get_by_role("link", name=inquiry.number).click()
    sp.get_by_test_id("reply-text").fill("欢迎来昌吉考察，我们将安排专人与您对接。")
    sp.get_by_test_id("reply-submit").click()
    assert sp.get_by_test_id("inquiry-status").inner_text().startswith("已答复")
    staff.close()

    page.goto(track_url)
    assert page.get_by_test_id("track-status").inner_text() == "已答复"
    assert "欢迎来昌吉考察" in page.get_by_test_id("track-reply").inner_text()
    context.close()
