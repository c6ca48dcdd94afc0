"""Print how many scoping cells (object × role × action, in and out of scope) the battery proved.

With pytest-xdist each worker counts its own; the workers send their counts to the controller. Loaded
as a plugin from tests/conftest.py (the xdist controller collects no test modules)."""

from __future__ import annotations

from typing import Any

from tests.scoping.registry import PROVED
from tests.worker_counts import WorkerCounts

_COUNTS = WorkerCounts("scoping_proved", PROVED)


def pytest_sessionfinish(session: Any) -> None:
    _COUNTS.sessionfinish(session)


def pytest_testnodedown(node: Any, error: Any) -> None:
    _COUNTS.nodedown(node, error)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = _COUNTS.total()
    if total:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
        terminalreporter.write_line(f"scoping battery: {sum(total.values())} cells proved ({parts})")
