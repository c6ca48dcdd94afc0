from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录").click()


def test_demo_user_logs_in_and_sees_chinese_home(
    live_server: Any, page: Any, tree: None, screenshot_dir: Path
) -> None:
    make_user(
        "changji_dispatcher",
        unit_name="昌吉市营商环境服务中心",
        roles=[Role.DISPATCHER],
        password=DEMO_PASSWORD,
        full_name="李调度",
    )
    login(page, live_server.url, "changji_dispatcher", DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "工作台"
    assert page.get_by_test_id("user-unit").inner_text() == "昌吉市营商环境服务中心"
    assert page.get_by_test_id("user-roles").inner_text() == "调度员"
    assert "数据范围：昌吉市全辖" in page.get_by_test_id("home-unit").inner_text()
    # The CJK font is installed and used: the glyphs render with real width, not tofu boxes.
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '工作台')") is True
    width = page.evaluate(
        "(() => { const s = document.createElement('span'); s.style.fontSize = '20px';"
        " s.textContent = '营商环境'; document.body.appendChild(s); return s.getBoundingClientRect().width; })()"
    )
    assert 70 <= width <= 90  # four full-width glyphs at 20px
    page.screenshot(path=str(screenshot_dir / "home.png"), full_page=True)
    assert (screenshot_dir / "home.png").stat().st_size > 10_000


def test_phone_layout_hides_sidebar_behind_menu(live_server: Any, browser: Any, tree: None) -> None:
    make_user(
        "phone_user", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER], password=DEMO_PASSWORD
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    page = context.new_page()
    login(page, live_server.url, "phone_user", DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#qq-sidebar").is_visible() is False
    page.get_by_role("button", name="菜单").click()
    page.locator("#qq-sidebar").get_by_text("企业库").wait_for(state="visible")
    context.close()
