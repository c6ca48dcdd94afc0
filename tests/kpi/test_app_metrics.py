"""accounts.*, analysis.* and investment.* platform metrics over hand-built data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.analysis.models import AnalysisReport
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from qinqing.core.metrics import Period, compute
from qinqing.investment import queries, services
from qinqing.investment.models import InvestmentSettings, MonthlyReport, Project, ReportStatus
from tests.demands.conftest import TZ
from tests.factories import unit

W = Decimal
D = dt.date
YEAR = Period.year(2026)


def _login(user: User, when: dt.datetime, result: str = AuditResult.SUCCESS) -> None:
    AuditEvent.objects.create(
        at=when, actor=user, actor_name=user.username, action=AuditAction.LOGIN, result=result
    )


def test_active_and_key_units(make_user: Callable[..., User]) -> None:
    when = dt.datetime(2026, 5, 6, 9, tzinfo=TZ)
    a = make_user("u_a", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])  # county-tier dept
    b = make_user("u_b", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER])  # same unit again
    c = make_user("u_c", unit_name="榆树沟镇", roles=[Role.UNIT_HEAD])  # township: active, not key
    d = make_user("u_d", unit_name="玛纳斯县自然资源局", roles=[Role.HANDLER])
    e = make_user("u_e", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER])  # prefecture dept
    f = make_user("u_f", unit_name="昌吉市自然资源局", roles=[Role.HANDLER])
    for u in (a, b, c, d, e):
        _login(u, when)
    _login(f, when, result=AuditResult.FAILURE)  # a failed sign-in does not count
    _login(f, dt.datetime(2025, 12, 31, 23, 59, tzinfo=TZ))  # before the period (Asia/Shanghai)
    pref, city = unit("昌吉回族自治州"), unit("昌吉市")
    assert compute("accounts.active_units", pref, YEAR) == 4
    assert compute("accounts.key_units", pref, YEAR) == 3  # 两个部门 of county tier + 州 dept
    assert compute("accounts.active_units", city, YEAR) == 2
    assert compute("accounts.key_units", city, YEAR) == 1
    assert compute("accounts.active_units", pref, Period.month(2026, 4)) == 0


def _report(u: str, month: D) -> None:
    AnalysisReport.objects.create(unit=unit(u), month=month, pdf="x.pdf", docx="x.docx")


def test_analysis_completion_rate(tree: None, monkeypatch: pytest.MonkeyPatch) -> None:
    now = dt.datetime(2026, 4, 15, 10, tzinfo=TZ)
    monkeypatch.setattr(timezone, "now", lambda: now)
    # Due months in 2026: Jan–Mar (April has not ended). 昌吉市 is one report unit: 3 expected.
    _report("昌吉市", D(2026, 1, 1))
    _report("昌吉市", D(2026, 3, 1))
    assert compute("analysis.completion_rate", unit("昌吉市"), YEAR) == W("66.67")
    assert compute("analysis.completion_rate", unit("昌吉市"), Period.month(2026, 4)) is None
    assert compute("analysis.completion_rate", unit("昌吉市"), Period.month(2026, 1)) == W("100.00")


def test_investment_metrics_agree_with_progress(
    reviewer: User, filer: User, make_project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    services.set_targets(reviewer, year=2026, values={(unit("昌吉市").pk, "in_execution"): W("4")})
    p = make_project(signed_on=D(2026, 2, 1))
    make_project(signed_on=D(2026, 5, 1), name="第二个项目")
    services.record_funds(filer, p, month=D(2026, 2, 1), amount_wan=W("9000"), outside_amount_wan=W("6000"))
    services.record_funds(filer, p, month=D(2026, 5, 1), amount_wan=W("2000"), outside_amount_wan=W("1500"))
    city = unit("昌吉市")
    h1 = Period(D(2026, 1, 1), D(2026, 6, 30))
    assert compute("investment.funds_in_place_yi", city, h1) == W("0.7500")
    assert compute("investment.funds_in_place_yi", city, Period(D(2026, 3, 1), D(2026, 6, 30))) == W("0.1500")
    assert compute("investment.projects", city, h1) == W(2)
    assert compute("investment.projects", city, Period.month(2026, 3)) == W(1)
    assert compute("investment.project_completion_rate", city, h1) == W("50.0")
    assert compute("investment.project_completion_rate", unit("玛纳斯县"), h1) is None  # no target
    row = next(r for r in queries.progress(unit("昌吉回族自治州"), 2026, 6) if r["unit"] == "昌吉市")
    assert row["indicators"]["in_execution"]["completion_pct"] == W("50.0")
    assert row["indicators"]["outside_funds"]["actual"] == W("0.7500")
    assert InvestmentSettings.current().pk == 1


def test_monthly_operations_counts_months(tree: None, make_user: Callable[..., Any]) -> None:
    def rep(u: str, month: D, status: str) -> None:
        MonthlyReport.objects.create(unit=unit(u), month=month, status=status, deadline=month)

    rep("昌吉市", D(2026, 1, 1), ReportStatus.APPROVED)
    rep("玛纳斯县", D(2026, 1, 1), ReportStatus.SUBMITTED)  # same month: one operation
    rep("昌吉市", D(2026, 2, 1), ReportStatus.SUBMITTED)
    rep("昌吉市", D(2026, 3, 1), ReportStatus.DRAFT)  # not submitted
    assert compute("investment.monthly_operations", unit("昌吉回族自治州"), YEAR) == 2
    assert compute("investment.monthly_operations", unit("玛纳斯县"), YEAR) == 1


def test_reporting_units(tree: None) -> None:
    for u, m, st in [
        ("昌吉市", D(2026, 1, 1), ReportStatus.APPROVED),
        ("昌吉市", D(2026, 2, 1), ReportStatus.SUBMITTED),
        ("玛纳斯县", D(2026, 1, 1), ReportStatus.DRAFT),
        ("准东经济技术开发区", D(2026, 3, 1), ReportStatus.SUBMITTED),
    ]:
        MonthlyReport.objects.create(unit=unit(u), month=m, status=st, deadline=m)
    assert compute("investment.reporting_units", unit("昌吉回族自治州"), YEAR) == 2
    assert compute("investment.reporting_units", unit("昌吉回族自治州"), Period.month(2026, 2)) == 1
