from __future__ import annotations

from collections.abc import Callable

from qinqing.accounts.models import User
from qinqing.investment import demo, queries
from qinqing.investment.models import MonthlyReport, Project


def test_demo_is_idempotent_and_believable(reviewer: User, make_user: Callable[..., User]) -> None:
    assert demo.load() > 100
    n = Project.objects.count()
    assert demo.load() == 0 and Project.objects.count() == n
    assert MonthlyReport.objects.filter(status="approved").count() == 9 * 9 - 1
    d = queries.dashboard(reviewer, 2026, 9)
    assert d.totals["funds_ytd_wan"] > 0 and d.totals["in_execution"] > 50
    flags = {(f["unit"], f["month"], f["flag"]) for f in d.report_flags}
    assert ("昌吉高新区", 9, "missing") in flags
    assert any(f[1] == 8 and f[2] == "late" for f in flags)
