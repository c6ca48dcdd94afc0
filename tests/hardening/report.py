"""Print what the hostile-input battery tried and how much of it was handled safely.

With pytest-xdist each worker counts its own; the workers send their counts to the controller (as
tests/scoping/report.py does). Loaded as a plugin from tests/conftest.py."""

from __future__ import annotations

from typing import Any

from tests.hardening.hostile import TALLY
from tests.worker_counts import WorkerCounts

_COUNTS = WorkerCounts("hostile_tally", TALLY)


def pytest_sessionfinish(session: Any) -> None:
    _COUNTS.sessionfinish(session)


def pytest_testnodedown(node: Any, error: Any) -> None:
    _COUNTS.nodedown(node, error)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = _COUNTS.total()
    if not total:
        return
    kinds = sorted({key.rsplit(" ", 1)[0] for key in total})
    tried = sum(total[f"{k} tried"] for k in kinds)
    safe = sum(total[f"{k} safe"] for k in kinds)
    terminalreporter.write_line(f"hostile inputs: {tried} tried, {safe} handled safely")
    for k in kinds:
        terminalreporter.write_line(f"  {k}: {total[f'{k} tried']} tried, {total[f'{k} safe']} safe")
