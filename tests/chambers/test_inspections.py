"""The annual inspection campaign: open, file (one late), return, conclude (基本合格 with rectification),
bulk actions, reminders, progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qinqing.accounts.models import User
from qinqing.chambers import inspections, queries
from qinqing.chambers.models import AnnualReport, Campaign, Organisation
from qinqing.chambers.rules import Conclusion, ReportStatus
from qinqing.demands.models import Outbox
from tests.chambers import builders

pytestmark = pytest.mark.django_db

FULL = {
    "basic": "会员由30家增至42家",
    "activities": "举办招商推介会3场，促成签约项目2个",
    "finance": "收支平衡",
    "governance": "召开会员大会1次、理事会4次",
    "party": "成立党支部",
    "plans": "筹办浙商大会",
    "income_yuan": "356000.00",
    "expense_yuan": "301000.50",
    "net_assets_yuan": "120000",
    "declared": True,
}


@pytest.fixture
def three(staff: User) -> list[tuple[Organisation, User]]:
    out = []
    for name, origin in (
        ("乌鲁木齐浙江商会", "浙江省"),
        ("乌鲁木齐河南商会", "河南省"),
        ("乌鲁木齐四川商会", "四川省"),
    ):
        org, user = builders.org_account(staff, name=name, origin=origin)
        builders.registered(staff, user, org)
        out.append((org, user))
    return out


def test_campaign_opens_with_one_report_per_registered_organisation(staff: User, three: Any) -> None:
    builders.org_account(staff, name="乌鲁木齐湖南商会", origin="湖南省")  # still preparing: not inspected
    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    assert campaign.deadline == dt.date(2027, 3, 31)
    assert AnnualReport.objects.filter(campaign=campaign).count() == 3
    with pytest.raises(ValidationError, match="年度年检已开启"):
        inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    _org, org_user = three[0]
    with pytest.raises(PermissionDenied):
        inspections.open_campaign(org_user, area=builders.unit("乌鲁木齐市"), year=2027)


def test_a_late_report_a_return_and_a_rectification(
    staff: User, three: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Organisation.objects.update(registered_on=dt.date(2025, 6, 1))  # registered during the inspected year
    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2025)
    assert campaign.deadline == dt.date(2026, 3, 31)
    (zj, zj_user), (_hn, hn_user), _sc = three
    report = AnnualReport.objects.get(campaign=campaign, organisation=zj)
    with pytest.raises(ValidationError) as exc:
        inspections.submit_report(zj_user, report, expected_version=report.version)
    assert exc.value.messages[0] == "请填写“基本情况（名称、住所、负责人、会员数变化）”"
    assert exc.value.messages[-1] == "请阅读并签署声明页（承诺所报内容真实、准确、完整）"
    with pytest.raises(PermissionDenied):
        inspections.save_report(hn_user, report, FULL, expected_version=report.version)  # not its report
    report = inspections.save_report(zj_user, report, FULL, expected_version=report.version)
    report = inspections.submit_report(zj_user, report, expected_version=report.version)
    assert (report.status, report.late, str(report.expense_yuan)) == (
        ReportStatus.SUBMITTED,
        True,
        "301000.50",
    )
    # today (15 April 2026) is past the 31 March deadline: the other two are overdue
    assert queries.progress(campaign, staff)["overdue"] == 2
    report = inspections.return_report(
        staff, report, expected_version=report.version, comment="财务数据与审计报告不符"
    )
    assert report.status == ReportStatus.RETURNED
    report = inspections.submit_report(zj_user, report, expected_version=report.version)
    with pytest.raises(ValidationError, match="须写明问题和整改要求"):
        inspections.conclude(staff, report, expected_version=report.version, conclusion=Conclusion.BASIC)
    with pytest.raises(PermissionDenied):
        inspections.conclude(zj_user, report, expected_version=report.version, conclusion=Conclusion.PASS)
    report = inspections.conclude(
        staff, report, expected_version=report.version, conclusion=Conclusion.BASIC, comment="未按期换届"
    )
    # 20 working days from 15 April 2026 (Labour Day holiday 1–5 May; 9 May worked)
    assert (report.status, report.conclusion, report.rectification_due) == (
        ReportStatus.CONCLUDED,
        Conclusion.BASIC,
        dt.date(2026, 5, 15),
    )
    with pytest.raises(ValidationError, match="当前状态（已结论）不能作出年检结论"):
        inspections.conclude(staff, report, expected_version=report.version, conclusion=Conclusion.PASS)
    report = inspections.submit_rectification(
        zj_user, report, expected_version=report.version, text="已于5月完成换届"
    )
    assert report.rectification_submitted_at is not None
    with pytest.raises(ValidationError, match="整改报告已提交"):
        inspections.submit_rectification(zj_user, report, expected_version=report.version, text="again")
    counts = queries.progress(campaign, staff)
    assert {
        k: counts[k] for k in ("total", "not_started", "concluded", "overdue", "late", "basic", "rectified")
    } == {
        "total": 3,
        "not_started": 2,
        "concluded": 1,
        "overdue": 2,
        "late": 1,
        "basic": 1,
        "rectified": 1,
    }


def test_pass_needs_no_rectification(staff: User, three: Any) -> None:
    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    org, user = three[1]
    report = AnnualReport.objects.get(campaign=campaign, organisation=org)
    report = inspections.save_report(user, report, FULL, expected_version=report.version)
    report = inspections.submit_report(user, report, expected_version=report.version)
    assert report.late is False
    report = inspections.conclude(staff, report, expected_version=report.version, conclusion=Conclusion.PASS)
    assert report.rectification_due is None
    with pytest.raises(ValidationError, match="只有年检结论为基本合格或不合格时"):
        inspections.submit_rectification(user, report, expected_version=report.version, text="x")


def test_bulk_conclusion_and_reminders(
    staff: User, three: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    filed = []
    for org, user in three[:2]:
        report = AnnualReport.objects.get(campaign=campaign, organisation=org)
        report = inspections.save_report(user, report, FULL, expected_version=report.version)
        filed.append(inspections.submit_report(user, report, expected_version=report.version))
    pending = AnnualReport.objects.get(campaign=campaign, organisation=three[2][0])
    done, skipped = inspections.bulk_conclude(
        staff, [r.pk for r in filed] + [pending.pk], conclusion=Conclusion.PASS
    )
    assert (done, skipped) == (1 + 1, ["乌鲁木齐四川商会：当前状态（未报送）不能作出年检结论"])
    with django_capture_on_commit_callbacks(execute=True):
        assert inspections.remind(staff, campaign) == 1
    subjects = list(
        Outbox.objects.filter(channel="inbox", subject__startswith="2026年度年检报告").values_list(
            "subject", "recipient_id"
        )
    )
    assert subjects == [("2026年度年检报告即将截止", three[2][1].pk)]
    # the periodic job does not remind the same organisation again within a week
    with django_capture_on_commit_callbacks(execute=True):
        assert inspections.remind(None, campaign) == 0


def test_organisation_sees_only_its_own_reports_and_campaigns(staff: User, three: Any) -> None:
    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    org, user = three[0]
    assert list(AnnualReport.objects.visible_to(user).values_list("organisation_id", flat=True)) == [org.pk]
    assert list(Campaign.objects.visible_to(user)) == [campaign]
    changji = builders.bureau("cj_staff", unit_name="昌吉州营商环境服务中心")
    assert AnnualReport.objects.visible_to(changji).count() == 0


def test_campaign_rows_are_in_name_order_whatever_their_status(staff: User, three: Any) -> None:
    """The register reads by organisation name; the status is a column and a filter (by status the
    rows came in the codes' alphabetical order: concluded, not_started, submitted)."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
    (zj, zj_user), (hn, hn_user), _sc = three
    for org, user in ((zj, zj_user), (hn, hn_user)):
        report = AnnualReport.objects.get(campaign=campaign, organisation=org)
        report = inspections.save_report(user, report, FULL, expected_version=report.version)
        report = inspections.submit_report(user, report, expected_version=report.version)
    hn_report = AnnualReport.objects.get(campaign=campaign, organisation=hn)
    inspections.conclude(staff, hn_report, expected_version=hn_report.version, conclusion=Conclusion.PASS)
    # 河南 concluded, 四川 not started, 浙江 submitted
    if connection.vendor == "postgresql":  # pinyin: he, si, zhe
        expected = ["乌鲁木齐河南商会", "乌鲁木齐四川商会", "乌鲁木齐浙江商会"]
    else:  # code point: 四 U+56DB, 河 U+6CB3, 浙 U+6D59
        expected = ["乌鲁木齐四川商会", "乌鲁木齐河南商会", "乌鲁木齐浙江商会"]
    rows = queries.campaign_rows(campaign, staff)
    assert [r.organisation.name for r in rows] == expected
    assert [r.organisation.name for r in queries.campaign_rows(campaign, staff, bucket="not_started")] == [
        n for n in expected if n.endswith("四川商会")
    ]
    c = Client()
    c.force_login(staff)
    page = c.get(reverse("chambers:campaign", args=[campaign.pk])).content.decode()
    assert [page.index(n) for n in expected] == sorted(page.index(n) for n in expected)
