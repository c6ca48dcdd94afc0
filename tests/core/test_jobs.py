from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from qinqing.core import jobs


@pytest.fixture
def registry() -> Iterator[list[str]]:
    saved = dict(jobs.JOBS)
    jobs.JOBS.clear()
    calls: list[str] = []
    yield calls
    jobs.JOBS.clear()
    jobs.JOBS.update(saved)


def test_periodic_registers_and_beat_schedules_from_the_same_registry(registry: list[str]) -> None:
    @jobs.periodic(every_seconds=60, name="tick")
    def tick() -> int:
        registry.append("tick")
        return 1

    assert jobs.beat_schedule() == {"tick": {"task": "qinqing.run_job", "schedule": 60.0, "args": ("tick",)}}
    assert jobs.run_job("tick") == 1
    assert registry == ["tick"]


def test_embedded_runner_runs_due_jobs_and_survives_failures(registry: list[str]) -> None:
    stop = threading.Event()

    @jobs.periodic(every_seconds=3600, name="boom")
    def boom() -> None:
        registry.append("boom")
        raise RuntimeError("job failure must not stop the runner")

    @jobs.periodic(every_seconds=3600, name="ok")
    def ok() -> None:
        registry.append("ok")
        stop.set()

    jobs.run_forever(stop=stop, tick=0.01)
    assert registry == ["boom", "ok"]


def test_celery_task_is_registered_under_the_beat_name() -> None:
    from qinqing.celery import app
    from qinqing.core.tasks import run_job

    assert run_job.name == "qinqing.run_job"
    assert "qinqing.run_job" in app.tasks
