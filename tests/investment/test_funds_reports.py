from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEvent
from qinqing.investment import queries, services
from qinqing.investment.models import FundsEntry, InvestmentSettings, MonthlyReport, Project, ReportLine
from tests.factories import unit

D = dt.date
W = Decimal


def _funds(user: User, p: Project, month: dt.date, amount: str, outside: str) -> FundsEntry:
    return services.record_funds(user, p, month=month, amount_wan=W(amount), outside_amount_wan=W(outside))


def test_funds_cumulative_is_derived_and_warnings(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project(signed_on=D(2026, 2, 10), planned_investment_wan=W("1000"), industry_section="C")
    early = make_project(name="未签约项目")
    e = _funds(filer, early, D(2026, 3, 1), "10", "10")
    assert e.warnings == ["项目尚未签约即有到位资金"]
    _funds(filer, p, D(2026, 2, 1), "600", "500")
    e2 = _funds(filer, p, D(2026, 3, 15), "500", "100")
    assert e2.month == D(2026, 3, 1)
    assert e2.warnings == ["累计到位资金 1100.00 万元超过计划总投资 1000.00 万元"]
    with pytest.raises(ValidationError) as err:
        _funds(filer, p, D(2026, 3, 1), "1", "1")
    assert "该项目2026年3月已填报到位资金" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _funds(filer, p, D(2026, 4, 1), "1", "2")
    assert "区外到位资金不能大于本月到位资金" in str(err.value)
    assert FundsEntry.objects.filter(project=p).count() == 2


def test_counting_rules_first_signing_capital_increase_exclusions(
    filer: User, make_project: Callable[..., Project]
) -> None:
    settings = InvestmentSettings.current()
    # framework in Jan, formal contract in March: counted once, in January
    a = make_project(name="A", planned_investment_wan=W("20000"))
    for to, on, kw in [
        ("negotiating", D(2026, 1, 2), {}),
        ("signed", D(2026, 1, 20), {"contract_type": "framework", "contract_amount_wan": W("20000")}),
        ("signed", D(2026, 3, 5), {"contract_amount_wan": W("20000")}),
    ]:
        a.refresh_from_db()
        services.change_stage(filer, a, expected_version=a.version, to_stage=to, on=on, **kw)  # type: ignore[arg-type]
    # capital increase of a 2025 project: only the 8000 added counts (8000 ≥ industrial threshold 3000)
    base = make_project(
        name="B", signed_on=D(2025, 6, 1), opened_on=D(2025, 5, 1), planned_investment_wan=W("30000")
    )
    inc = make_project(
        name="B增资",
        signed_on=D(2026, 3, 10),
        planned_investment_wan=W("38000"),
        capital_increase_of=base,
        increase_amount_wan=W("8000"),
    )
    # excluded: local investor, fiscal funded, second phase; below threshold: non-industrial 5000 < 1亿
    make_project(name="L", signed_on=D(2026, 3, 1), source="local")
    make_project(name="F", signed_on=D(2026, 3, 1), is_fiscal_funded=True)
    make_project(name="S", signed_on=D(2026, 3, 1), is_second_phase=True)
    small = make_project(
        name="T",
        signed_on=D(2026, 3, 1),
        sector=3,
        industry_section="G",
        industry_division="58",
        planned_investment_wan=W("5000"),
        cluster=None,
    )
    lines = {ln["project_name"]: ln for ln in queries.report_lines(unit("昌吉市"), D(2026, 3, 1), settings)}
    assert set(lines) == {"A", "B", "B增资", "T"}
    assert (lines["A"]["new_signing_month"], lines["A"]["new_signing_ytd"]) == (False, True)
    assert lines["B增资"]["signed_amount_wan"] == W("8000") and lines["B增资"]["yi_plus"] is False
    assert lines["B"]["new_signing_ytd"] is False and lines["B"]["construction"] == "continuing"
    assert lines["T"]["new_signing_ytd"] is False and lines["T"]["in_execution"] is True
    counts = queries.project_counts(
        Project.objects.filter(pk__in=[a.pk, base.pk, inc.pk, small.pk]), 2026, 3, settings
    )
    assert counts == {
        "in_execution": 4,
        "in_execution_new": 3,
        "new_signings": 2,
        "new_signings_month": 1,
        "new_yi": 1,
        "started": 0,
        "produced": 0,
    }
    # rules are configurable: count every signing and full amounts
    settings.count_first_signing_only = False
    settings.count_increase_only = False
    settings.save()
    lines = {ln["project_name"]: ln for ln in queries.report_lines(unit("昌吉市"), D(2026, 3, 1), settings)}
    assert lines["A"]["new_signing_month"] is True
    assert lines["B增资"]["signed_amount_wan"] == W("38000") and lines["B增资"]["yi_plus"] is True


def _prepared(filer: User, month: dt.date | None = None) -> MonthlyReport:
    return services.prepare_report(
        filer, unit=unit("昌吉市"), month=month or D(2026, 3, 1), remarks="本月签约2个"
    )


def test_review_flow_lock_and_reopen(
    filer: User, head: User, reviewer: User, make_project: Callable[..., Project]
) -> None:
    p = make_project(signed_on=D(2026, 3, 2))
    entry = _funds(filer, p, D(2026, 3, 1), "1200", "1000")
    report = _prepared(filer)
    assert report.status == "draft" and report.deadline == D(
        2026, 4, 8
    )  # 5th working day after 31 March (清明)
    line = ReportLine.objects.get(report=report)
    assert (line.funds_month_wan, line.outside_ytd_wan, line.new_signing_month) == (
        W("1200"),
        W("1000"),
        True,
    )
    with pytest.raises(PermissionDenied):
        services.submit_report(filer, report, expected_version=report.version)
    report = services.submit_report(head, report, expected_version=report.version)
    with pytest.raises(ValidationError) as err:
        services.update_funds(
            filer, entry, expected_version=entry.version, amount_wan=W("1"), outside_amount_wan=W("1")
        )
    assert "2026年3月月报已报送待审核" in str(err.value)
    with pytest.raises(PermissionDenied):
        services.approve_report(
            head, report, expected_version=report.version
        )  # a county cannot review itself
    with pytest.raises(ValidationError):
        services.return_report(reviewer, report, expected_version=report.version, comment=" ")
    report = services.return_report(
        reviewer, report, expected_version=report.version, comment="区外资金凭证不全"
    )
    assert (report.status, report.review_comment) == ("returned", "区外资金凭证不全")
    entry = services.update_funds(
        filer, entry, expected_version=entry.version, amount_wan=W("1200"), outside_amount_wan=W("900")
    )
    report = _prepared(filer)
    report = services.submit_report(head, report, expected_version=report.version)
    stale = report.version
    report = services.approve_report(reviewer, report, expected_version=report.version)
    assert report.status == "approved" and report.is_locked
    with pytest.raises(ValidationError) as err:
        services.return_report(reviewer, report, expected_version=stale, comment="x")
    assert err.value.messages == ["该记录已被他人修改，请刷新后重试"]
    with pytest.raises(ValidationError) as err:
        services.update_funds(
            filer, entry, expected_version=entry.version, amount_wan=W("5"), outside_amount_wan=W("5")
        )
    assert "已审核锁定" in str(err.value)
    with pytest.raises(ValidationError):
        _prepared(filer)
    with pytest.raises(ValidationError):
        p.refresh_from_db()
        services.change_stage(filer, p, expected_version=p.version, to_stage="started", on=D(2026, 3, 20))
    with pytest.raises(ValidationError):
        services.reopen_report(reviewer, report, expected_version=report.version, reason="")
    report = services.reopen_report(
        reviewer, report, expected_version=report.version, reason="玛纳斯项目误报更正"
    )
    assert report.status == "reopened"
    assert (
        AuditEvent.objects.filter(object_type="investment.monthlyreport", detail__contains="重新开放").count()
        == 1
    )
    entry.refresh_from_db()
    services.update_funds(
        filer, entry, expected_version=entry.version, amount_wan=W("1100"), outside_amount_wan=W("900")
    )
    assert ReportLine.objects.get(report=report).outside_ytd_wan == W("900")


def test_report_needs_finished_month_and_reporting_unit(filer: User, reviewer: User) -> None:
    this_month = timezone.localdate().replace(day=1)  # the current month is not finished yet
    with pytest.raises(ValidationError):
        _prepared(filer, this_month)
    with pytest.raises(PermissionDenied):
        services.prepare_report(reviewer, unit=unit("昌吉市"), month=D(2026, 3, 1))


def test_report_flags_late_and_missing(filer: User, head: User, reviewer: User) -> None:
    report = _prepared(filer, D(2026, 1, 1))
    services.submit_report(head, report, expected_version=report.version)
    MonthlyReport.objects.filter(pk=report.pk).update(submitted_at=dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC))
    flags = queries.report_flags(reviewer, 2026, 2)
    changji = [f for f in flags if f["unit"] == "昌吉市"]
    assert [(f["month"], f["flag"]) for f in changji] == [(1, "late"), (2, "missing")]
    assert len([f for f in flags if f["month"] == 2]) == 9  # 7 counties + 2 parks, none reported
