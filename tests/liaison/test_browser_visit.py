"""Playwright: a leader logs a visit with two problems; both become demands and appear in the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.demands.models import Category, Channel, Demand
from tests.factories import ContactFactory, EnterpriseFactory, make_user, unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_logs_a_visit_with_two_problems(
    live_server: Any, page: Any, tree: None, screenshot_dir: Path
) -> None:
    enterprise = EnterpriseFactory(registered_unit=unit("昌吉市"), name="昌吉市走访示范有限公司")
    ContactFactory(enterprise=enterprise, name="王经理", mobile="13900001111")
    make_user(
        "changji_leader", unit_name="昌吉市", roles=[Role.LEADER], password=DEMO_PASSWORD, full_name="张市长"
    )
    land = Category.objects.get(name="用地", parent__isnull=False)
    power = Category.objects.get(name="用电", parent__isnull=False)

    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "changji_leader")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    page.locator("#qq-sidebar").get_by_text("包联走访").click()
    page.get_by_role("link", name="登记走访").first.click()
    page.select_option("select[name=enterprise]", label="昌吉市走访示范有限公司")
    page.fill("input[name=visited_on]", "2026-01-05")
    page.select_option("select[name=form]", label="实地走访")
    page.fill("input[name=topics]", "二期项目建设和生产经营")
    page.fill("textarea[name=situation]", "企业订单饱满，二期项目正在建设。")
    page.fill("input[name=p1-title]", "二期用地指标未落实")
    page.fill("textarea[name=p1-description]", "二期项目需新增建设用地50亩，用地指标尚未落实。")
    page.select_option("select[name=p1-category]", value=str(land.pk))
    page.get_by_role("button", name="＋ 添加问题").click()
    page.fill("input[name=p2-title]", "电力增容申请未批复")
    page.fill("textarea[name=p2-description]", "新生产线需电力增容至2000千伏安，申请两个月未批复。")
    page.select_option("select[name=p2-category]", value=str(power.pk))
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_url(f"{base}/liaison/visits/*/")
    problems = page.get_by_test_id("problems")
    assert problems.get_by_text("二期用地指标未落实").is_visible()
    assert problems.get_by_text("电力增容申请未批复").is_visible()

    demands = list(Demand.objects.order_by("id"))
    assert [(d.title, d.channel, d.enterprise_id) for d in demands] == [
        ("二期用地指标未落实", Channel.VISIT, enterprise.pk),
        ("电力增容申请未批复", Channel.VISIT, enterprise.pk),
    ]
    page.goto(f"{base}/liaison/ledger/")
    ledger = page.get_by_test_id("ledger")
    for d in demands:
        assert ledger.get_by_text(d.number).is_visible()
    assert ledger.locator("tbody tr").count() == 2
    page.screenshot(path=str(screenshot_dir / "liaison-ledger.png"), full_page=True)
