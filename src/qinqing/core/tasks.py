from __future__ import annotations

from celery import shared_task

from qinqing.core import jobs


@shared_task(name="qinqing.run_job")
def run_job(name: str) -> str:
    """Beat's periodic task: runs the job unless another beat's message already ran it this period."""
    if not jobs.claim_period(name):
        return "skipped: already run in this period"
    return str(jobs.run_job(name))
