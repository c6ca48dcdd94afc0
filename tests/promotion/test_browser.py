"""In Chromium: an officer records a reception with two firms, one intention becomes a lead, the lead is
signed later, and the reception's page shows the signed project and its funds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.investment import services as inv
from qinqing.investment.models import Project
from qinqing.promotion.models import Reception, Touch
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reception_to_lead_to_signed_project_with_funds(
    live_server: Any, browser: Any, tree: None, screenshot_dir: Path
) -> None:
    base = live_server.url
    officer = make_user(
        "cj_promo", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER], password=DEMO_PASSWORD
    )
    today = timezone.localdate()
    visit = today - dt.timedelta(days=40)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "cj_promo")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")

    # 1. record the reception with two visiting firms
    page.goto(f"{base}/promotion/receptions/new/")
    form = page.get_by_test_id("reception-form")
    form.locator("#id_title").fill("江苏铝业集团考察昌吉高新区")
    form.locator("#id_start_date").fill(f"{visit:%Y-%m-%d}")
    form.locator("#id_end_date").fill(f"{visit:%Y-%m-%d}")
    form.locator("#id_origin").fill("江苏省")
    form.locator("#id_delegation_size").fill("6")
    form.locator("#id_hosts").fill("张三")
    form.locator("#id_meal_yuan").fill("800")
    form.locator("#id_firm0-name").fill("江苏某铝业集团有限公司")
    form.locator("#id_firm0-origin").fill("江苏省")
    form.locator("#id_firm1-name").fill("浙江某新材料股份有限公司")
    form.locator("#id_firm1-origin").fill("浙江省")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/promotion/receptions/*/")
    reception = Reception.objects.get()
    assert page.get_by_test_id("firms").locator("li").count() == 2

    # 2. one firm's intention becomes a lead in the project library
    intent = page.get_by_test_id("intention-form")
    intent.locator("#id_intention").fill("拟投资6亿元建设年产20万吨铝合金型材项目")
    intent.locator("#id_name").fill("年产20万吨铝合金型材项目")
    intent.locator("#id_investor_name").fill("江苏某铝业集团有限公司")
    intent.locator("#id_location_unit").select_option(label="昌吉市")
    intent.locator("#id_planned_investment_wan").fill("60000")
    intent.get_by_role("button", name="登记意向").click()
    page.wait_for_load_state()
    assert "已新建项目线索" in page.content()
    project = Project.objects.get()
    assert Touch.objects.get().reception_id == reception.pk
    row = page.locator(f"[data-project='{project.number}']")
    assert row.get_by_test_id("project-stage").inner_text() == "线索"

    # 3. later the lead is negotiated, signed and its first funds arrive (investment's own services)
    project = inv.change_stage(
        officer,
        project,
        expected_version=project.version,
        to_stage="negotiating",
        on=visit + dt.timedelta(days=5),
    )
    signed_on = today - dt.timedelta(days=3)
    project = inv.change_stage(
        officer,
        project,
        expected_version=project.version,
        to_stage="signed",
        on=signed_on,
        contract_type="formal",
        contract_amount_wan=Decimal("60000"),
    )
    inv.record_funds(
        officer, project, month=signed_on, amount_wan=Decimal("2500"), outside_amount_wan=Decimal("2000")
    )

    # 4. the reception's page shows the signed project and its funds; the project page shows its origin
    page.goto(f"{base}/promotion/receptions/{reception.pk}/")
    row = page.locator(f"[data-project='{project.number}']")
    assert row.get_by_test_id("project-stage").inner_text() == "签约"
    assert row.get_by_test_id("project-funds").inner_text() == "2500.00"
    assert f"{signed_on:%Y-%m-%d}" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "promotion_reception_signed.png"), full_page=True)
    page.goto(f"{base}/investment/projects/{project.pk}/")
    origins = page.get_by_test_id("project-origins")
    origins.wait_for()
    assert "江苏铝业集团考察昌吉高新区" in origins.inner_text() and "首次接触" in origins.inner_text()
    context.close()
