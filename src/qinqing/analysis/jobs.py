"""Periodic job of the analysis app: the monthly analysis report on the 3rd working day of each month."""

from __future__ import annotations

from qinqing.core.jobs import periodic


@periodic(3600, name="analysis.monthly_reports")
def monthly_reports() -> int:
    """Generate last month's report for the prefecture and each county once the 3rd working day has come."""
    from qinqing.analysis.services import scheduled_reports

    return scheduled_reports()
