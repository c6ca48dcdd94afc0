"""Two Celery beats started by mistake: each periodic job still runs once per period."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.cache import cache

from qinqing.core import jobs, tasks


@pytest.fixture
def counted_job() -> Iterator[list[int]]:
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        return len(calls)

    jobs.JOBS["hardening.test_job"] = jobs.Job("hardening.test_job", job, 60)
    cache.clear()
    yield calls
    del jobs.JOBS["hardening.test_job"]
    cache.clear()


def test_two_beats_run_a_job_once_per_period(counted_job: list[int]) -> None:
    # Beat A fires at 10 s, 70 s, 130 s; beat B (started later) at 50 s, 110 s, 170 s.
    fired = sorted([(t, "A") for t in (10, 70, 130)] + [(t, "B") for t in (50, 110, 170)])
    outcomes = []
    for at, beat in fired:
        with mock.patch("qinqing.core.jobs.time.time", return_value=1_800_000_000 // 60 * 60 + at):
            outcomes.append((at, beat, tasks.run_job("hardening.test_job")))
    print(f"two beats: {len(fired)} messages, job ran {len(counted_job)} times in 3 periods")
    assert len(counted_job) == 3
    skipped = "skipped: already run in this period"
    assert [o[2] for o in outcomes] == ["1", skipped, "2", skipped, "3", skipped]
