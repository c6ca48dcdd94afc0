"""A demo user whose confirmation window has passed confirms the password, then the export downloads."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.accounts import reauth
from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from tests.browser.test_login_home import login
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_after_the_window_asks_for_the_password_then_downloads(
    live_server: Any, page: Any, tree: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(
        "changji_dispatcher",
        unit_name="昌吉市营商环境服务中心",
        roles=[Role.DISPATCHER],
        password=DEMO_PASSWORD,
    )
    login(page, live_server.url, "changji_dispatcher", DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    # The live server runs in this process: move re-authentication's clock past the window.
    start = reauth._clock()
    monkeypatch.setattr(reauth, "_clock", lambda: start + reauth.window_seconds() + 60)

    page.goto(f"{live_server.url}/demands/")
    page.get_by_test_id("export").click()
    page.wait_for_url(f"{live_server.url}/accounts/confirm/**")
    assert page.locator("h1").inner_text() == "确认身份"
    page.fill("input[name=password]", "wrong-password")
    page.get_by_role("button", name="确认并继续").click()
    assert "密码错误" in page.get_by_role("alert").first.inner_text()

    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_download() as info:
        page.get_by_role("button", name="确认并继续").click()
    assert info.value.suggested_filename.endswith(".xlsx")
