"""On a phone (390×844, Chromium): a respondent opens an invitation, answers with a condition branch, leaves,
resumes, submits; the token cannot be used again; the unit report shows the response in its figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.surveys import services
from qinqing.surveys.models import Response, SealedResponse, SurveyReport
from tests.factories import make_user, unit
from tests.surveys.conftest import DEFINITION, invite, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_invitation_branch_resume_submit_and_report(
    live_server: Any, browser: Any, tree: None, screenshot_dir: Path
) -> None:
    base = live_server.url
    staff = make_user(
        "sv_staff", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER], password=DEMO_PASSWORD
    )
    q = services.publish(staff, services.create_questionnaire(staff, "问卷", DEFINITION))
    survey = make_survey(staff, q)
    (_, token), *_ = invite(survey, staff, "昌吉市", 2)
    for level in (4, 4, 3, 5):  # four earlier respondents, sealed until the fifth arrives
        SealedResponse.objects.create(
            survey=survey,
            unit=unit("昌吉市"),
            stratum="small",
            mode="open",
            answers={"q1": level, "q2": "no", "q4": {"q4_1": level, "q4_2": level}, "q8": 4},
        )

    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    url = f"{base}/surveys/t/{token}/"
    page.goto(url)
    assert "匿名" in page.get_by_test_id("anonymity-notice").inner_text()
    assert page.locator("#q-q3").is_hidden()  # the branch question waits for q2
    page.locator("label[for=q1-5]").click()
    page.locator("label[for=q2-yes]").click()
    assert page.locator("#q-q3").is_visible()  # condition met: 办理渠道 shown
    page.locator("label[for=q3-b]").click()
    page.locator("label[for=q4-q4_1-4]").click()
    page.locator("label[for=q4-q4_2-3]").click()
    page.get_by_test_id("next").click()
    page.wait_for_load_state()
    assert "第 2 / 3 页" in page.content()  # 开办企业 section, shown because of q2
    page.screenshot(path=str(screenshot_dir / "surveys-phone-page2.png"), full_page=True)
    # leaves …
    page.goto("about:blank")
    # … and comes back on the same phone: the draft resumes at page 2
    page.goto(url)
    assert "第 2 / 3 页" in page.content()
    page.locator("label[for=q5-2]").click()
    page.fill("input[name=q6]", "3")
    page.get_by_test_id("next").click()
    page.wait_for_load_state()
    page.fill("textarea[name=q7]", "窗口排队时间长，电话13912345678")
    page.locator("label[for=q8-4]").click()
    page.get_by_test_id("submit").click()
    page.get_by_test_id("survey-done").wait_for()
    # the token cannot be used again
    page.goto(url)
    assert "此邀请已提交过答卷" in page.get_by_test_id("public-message").inner_text()
    phone.close()
    assert SealedResponse.objects.count() == 0 and Response.objects.count() == 5

    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    staff_page = desk.new_page()
    staff_page.goto(f"{base}/accounts/login/")
    staff_page.fill("input[name=username]", "sv_staff")
    staff_page.fill("input[name=password]", DEMO_PASSWORD)
    staff_page.get_by_role("button", name="登录").click()
    staff_page.wait_for_url(f"{base}/")
    staff_page.goto(f"{base}/surveys/{survey.pk}/reports/")
    staff_page.get_by_test_id("generate-all").click()
    staff_page.wait_for_load_state()
    row = staff_page.get_by_test_id("report-table").locator("tr", has_text="昌吉市")
    assert "5" in row.locator("td").nth(2).inner_text()
    staff_page.goto(f"{base}/surveys/{survey.pk}/results/")
    cj = staff_page.get_by_test_id(f"unit-row-{unit('昌吉市').pk}")
    assert cj.get_by_test_id("responses").inner_text() == "5"
    # (2×100 + 80 + 60 + 30) ÷ 5 = 74 for the phone's answers; the four others 80, 80, 60, 100
    assert cj.get_by_test_id("index").first.inner_text() == f"{(74 + 80 + 80 + 60 + 100) / 5:.1f}"
    desk.close()
    report = SurveyReport.objects.get(survey=survey, unit=unit("昌吉市"))
    assert report.responses == 5
