"""Periodic jobs of the analysis app: the text index and the dashboard's facts (queue drained every
10 seconds), and the monthly analysis report on the 3rd working day of each month."""

from __future__ import annotations

from qinqing.core.jobs import periodic


@periodic(10, name="analysis.process_queue")
def process_queue() -> int:
    """Index and count the demands queued since the last run (``analysis.facts``); at most 40 batches
    (20,000 demands) a run, so that a backlog never holds the scheduler for long."""
    from qinqing.analysis.facts import process_queue as run

    return run(max_batches=40)


@periodic(3600, name="analysis.monthly_reports")
def monthly_reports() -> int:
    """Generate last month's report for the prefecture and each county once the 3rd working day has come."""
    from qinqing.analysis.services import scheduled_reports

    return scheduled_reports()
