"""In a real browser: a staff member opens the 2021 营商环境管理系统开发 project, sees the live 办理完成率,
its monthly trend, and drills down to the open demands behind it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qinqing.core.demo import DEMO_PASSWORD
from qinqing.demands.models import Demand
from qinqing.kpi import services
from tests.demands.conftest import People, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_completion_rate_with_drilldown(
    live_server: Any, page: Any, people: People, flow: Callable[..., Demand], clock: Any, screenshot_dir: Path
) -> None:
    clock.set(at(2021, 6, 1, 9))
    closed, handling, accepted = flow("closed"), flow("handling"), flow("accepted")
    clock.set(at(2021, 6, 10, 9))
    services.load_seed()
    people.pref.set_password(DEMO_PASSWORD)
    people.pref.save()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", people.pref.username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="绩效目标").first.click()
    page.select_option("select[name=year]", "2021")
    page.get_by_role("button", name="查看").click()
    page.get_by_role("link", name="昌吉州营商环境管理系统开发").click()
    row = page.locator('tr[data-indicator="企业困难诉求办理完成率"]')
    assert row.get_by_test_id("actual").inner_text().strip() == "33.3%"
    assert row.locator("[data-light]").inner_text() == "红灯"
    row.get_by_role("button", name="趋势").click()
    page.locator("#kpi-trend canvas").wait_for()
    assert "企业困难诉求办理完成率" in page.locator("#kpi-trend-title").inner_text()
    page.screenshot(path=str(screenshot_dir / "kpi_project.png"), full_page=True)
    row.get_by_test_id("drilldown").click()
    page.wait_for_url(f"{base}/demands/**")
    body = page.locator("main").inner_text()
    assert handling.number in body and accepted.number in body
    assert closed.number not in body
    page.screenshot(path=str(screenshot_dir / "kpi_drilldown.png"), full_page=True)
