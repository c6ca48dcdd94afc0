from __future__ import annotations

from celery import shared_task

from qinqing.core import jobs


@shared_task(name="qinqing.run_job")
def run_job(name: str) -> str:
    return str(jobs.run_job(name))
