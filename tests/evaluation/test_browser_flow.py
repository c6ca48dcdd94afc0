"""In Chromium: an evaluator enters one unit's values, the office reviews them, the ranking and the unit's
report update."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.evaluation import services
from qinqing.evaluation.models import UnitScore
from tests.evaluation.conftest import SMALL, enter_and_accept, urumqi_units
from tests.factories import make_user

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


def test_enter_review_rank_report(live_server: Any, browser: Any, tree: None, screenshot_dir: Path) -> None:
    base = live_server.url
    office = make_user(
        "ur_office", unit_name="乌鲁木齐市招商服务局", roles=[Role.DISPATCHER], password=DEMO_PASSWORD
    )
    evaluator = make_user(
        "ur_eval", unit_name="乌鲁木齐市招商服务局", roles=[Role.EVALUATOR], password=DEMO_PASSWORD
    )
    system = services.import_system(office, SMALL, year=2026)
    units = urumqi_units()
    rnd = services.create_round(
        office,
        services.RoundData(
            "2026年乌鲁木齐市评价",
            2026,
            system,
            office.scope_unit,
            units,  # type: ignore[arg-type]
            dt.date(2026, 9, 1),
            dt.date(2026, 12, 31),
        ),
    )
    services.add_member(office, rnd, evaluator)
    target = units[0]  # 天山区
    for other in units[1:]:
        enter_and_accept(office, rnd, other, {"T.A.P": "9.5", "T.A.D": "50.25", "T.B.R": "50", "T.B.S": "50"})

    # 1. the evaluator enters 天山区's column and submits it for review
    ev = login(browser, base, "ur_eval")
    ev.goto(f"{base}/evaluation/rounds/{rnd.pk}/")
    ev.get_by_test_id(f"enter-{target.pk}").click()
    for code, value in {"T.A.P": "1", "T.A.D": "0.5", "T.B.R": "90", "T.B.S": "80"}.items():
        ev.get_by_test_id(f"value-{code}").fill(value)
    ev.get_by_test_id("submit-values").click()
    ev.wait_for_load_state()
    assert "已保存并提交审核" in ev.content()
    assert UnitScore.objects.get(round=rnd, unit=target).overall is None  # not reviewed yet

    # 2. the office reviews them
    op = login(browser, base, "ur_office")
    op.goto(f"{base}/evaluation/rounds/{rnd.pk}/review/?unit={target.pk}")
    assert op.locator("input[name=value]").count() == 4
    op.get_by_test_id("accept").click()
    op.wait_for_load_state()
    assert "审核通过" in op.content()

    # 3. the ranking shows 天山区 first: T.A = 100, T.B = (90 + 3 × 80)/4 = 82.5, overall 91.25
    op.goto(f"{base}/evaluation/rounds/{rnd.pk}/ranking/")
    row = op.locator(f"tr[data-unit='{target.name}']")
    assert row.locator("td").nth(0).inner_text() == "1"
    assert row.locator("td").nth(2).inner_text() == "91.25"
    op.wait_for_selector("#ranking-chart canvas")
    op.screenshot(path=str(screenshot_dir / "evaluation-ranking.png"), full_page=True)

    # 4. and its report says so
    op.goto(f"{base}/evaluation/rounds/{rnd.pk}/units/{target.pk}/")
    assert "91.25" in op.get_by_test_id("card-overall").inner_text()
    with op.expect_download() as info:
        op.get_by_role("link", name="报告PDF", exact=True).click()
    data = Path(info.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "")
    assert "综合得分 91.25 分，第1名（共11个参评单位）" in text
