"""Counters that tests fill in xdist workers, summed on the controller for the terminal summary.

A report plugin makes one ``WorkerCounts(key, local)`` and exposes its two hooks; ``total()`` is the
controller's own counts (a run without xdist) plus every worker's (tests/scoping/report.py,
tests/hardening/report.py)."""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any


class WorkerCounts:
    def __init__(self, key: str, local: Mapping[str, int]) -> None:
        self.key = key
        self.local = local
        self.received: collections.Counter[str] = collections.Counter()

    def sessionfinish(self, session: Any) -> None:
        output = getattr(session.config, "workeroutput", None)
        if output is not None:  # an xdist worker: send its counts to the controller
            output[self.key] = dict(self.local)

    def nodedown(self, node: Any, error: Any) -> None:
        self.received.update(getattr(node, "workeroutput", {}).get(self.key, {}))

    def total(self) -> collections.Counter[str]:
        return collections.Counter(self.local) + self.received
