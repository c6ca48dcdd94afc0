"""Print how many scoping cells (object × role × action, in and out of scope) the battery proved.

With pytest-xdist each worker counts its own; the workers send their counts to the controller. Loaded
as a plugin from tests/conftest.py (the xdist controller collects no test modules)."""

from __future__ import annotations

import collections
from typing import Any

from tests.scoping.registry import PROVED

_FROM_WORKERS: collections.Counter[str] = collections.Counter()


def pytest_sessionfinish(session: Any) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker
        output["scoping_proved"] = dict(PROVED)


def pytest_testnodedown(node: Any, error: Any) -> None:
    _FROM_WORKERS.update(getattr(node, "workeroutput", {}).get("scoping_proved", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = PROVED + _FROM_WORKERS
    if total:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
        terminalreporter.write_line(f"scoping battery: {sum(total.values())} cells proved ({parts})")
