"""The whole flow in Chromium: submit → accept → dispatch → sign → reply → rate, timeline checked at each step.

Run with `make test-browser` (marker ``browser``); Debian's /usr/bin/chromium, never a downloaded browser.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from qinqing.demands.models import Demand, Status
from tests.demands.conftest import People, category
from tests.factories import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium(browser: Any) -> Any:
    """The suite's one shared Chromium (tests/browser_support.py)."""
    return browser


class Session:
    def __init__(self, chromium: Any, base: str) -> None:
        self.chromium = chromium
        self.base = base
        self.context: Any = None
        self.page: Any = None

    def login(self, username: str) -> Any:
        if self.context is not None:
            self.context.close()
        self.context = self.chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.goto(f"{self.base}/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        return self.page

    def timeline(self) -> list[str]:
        return [e.get_attribute("data-action") for e in self.page.locator("[data-testid=event]").all()]

    def act(
        self, action: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None
    ) -> None:
        page = self.page
        # Let the page's lazy panels (the duplicates panel) finish first: the test live server shares one
        # SQLite connection between its threads, so overlapping requests can stall each other.
        page.wait_for_load_state("networkidle")
        page.click(f"[data-testid=open-{action}]")
        form = page.locator(f"[data-testid=form-{action}]")
        form.wait_for(state="visible")
        for name, value in (select or {}).items():
            form.locator(f"select[name={name}]").select_option(label=value)
        for name, value in (fill or {}).items():
            form.locator(f"[name={name}]").fill(value)
        with page.expect_response(lambda r: "/actions/" in r.url):
            form.locator(f"[data-testid=submit-{action}]").click()
        page.wait_for_selector("[data-testid=done]")

    def close(self) -> None:
        if self.context is not None:
            self.context.close()


def run_flow(people: People, chromium: Any, live_server: Any, rating_label: str) -> tuple[Demand, Session]:
    s = Session(chromium, live_server.url)
    page = s.login("ent_demo")
    page.goto(f"{live_server.url}/demands/new/")
    page.select_option("#id_demand_type", label="求助")
    page.select_option("#id_category", value=str(category("用电").pk))
    assert "报装" in page.inner_text("#category-help")
    page.fill("#id_title", "新生产线用电扩容")
    page.fill("#id_description", "新建生产线需要增容 2000kVA，申请已提交两个月。")
    page.fill("#id_contact_name", "李四")
    page.fill("#id_contact_phone", "13812341234")
    page.click("[data-testid=submit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=demand-status]")
    assert page.inner_text("[data-testid=demand-status]") == "待受理"
    assert s.timeline() == ["submit"]
    demand = Demand.objects.get(title="新生产线用电扩容", status=Status.SUBMITTED)
    url = f"{live_server.url}/demands/{demand.pk}/"

    s.login("changji_dispatcher").goto(url)
    s.act("accept")
    assert s.page.inner_text("[data-testid=demand-status]") == "待交办"
    s.act("dispatch", select={"lead_unit": "昌吉市自然资源局"})
    assert s.page.inner_text("[data-testid=lead-unit]").startswith("昌吉市自然资源局")
    assert s.timeline() == ["submit", "accept", "dispatch"]

    s.login("changji_nr_head").goto(url)
    s.act("sign")
    s.act("assign", select={"handler": "changji_handler"})
    assert s.timeline() == ["submit", "accept", "dispatch", "sign", "assign"]

    s.login("changji_handler").goto(url)
    assert s.page.locator("[data-testid=open-sign]").count() == 0
    s.act("reply", select={"outcome": "已解决"}, fill={"text": "已完成增容，新线路已送电。"})
    assert s.page.inner_text("[data-testid=demand-status]") == "待评价"

    s.login("ent_demo").goto(url)
    assert s.timeline() == ["submit", "accept", "dispatch", "sign", "reply"]  # 分派 is internal
    page = s.page
    page.wait_for_load_state("networkidle")
    page.click("[data-testid=open-rate]")
    page.get_by_label(rating_label, exact=True).check()
    with page.expect_response(lambda r: "/actions/" in r.url):
        page.click("[data-testid=submit-rate]")
    page.wait_for_selector("[data-testid=done]")
    demand.refresh_from_db()
    return demand, s


def test_enterprise_to_closed(people: People, chromium: Any, live_server: Any) -> None:
    demand, s = run_flow(people, chromium, live_server, "满意")
    assert s.page.inner_text("[data-testid=demand-status]") == "已办结"
    assert s.timeline() == ["submit", "accept", "dispatch", "sign", "reply", "rate"]
    assert (demand.status, demand.rating) == (Status.CLOSED, 4)
    s.close()


def test_unsatisfied_rating_is_redone(people: People, chromium: Any, live_server: Any) -> None:
    demand, s = run_flow(people, chromium, live_server, "不满意")
    assert s.page.inner_text("[data-testid=demand-status]") == "办理中"
    assert "重办1次" in s.page.inner_text("[data-testid=redo]")
    assert (demand.status, demand.redo_count) == (Status.HANDLING, 1)
    page = s.login("changji_handler")
    page.goto(f"{live_server.url}/demands/todo/")
    assert demand.number in page.inner_text("[data-testid=demand-table]")
    s.close()
