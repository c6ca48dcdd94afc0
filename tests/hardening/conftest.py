"""The hostile-input battery prints what it tried and how much of it was handled safely."""

from __future__ import annotations

from typing import Any

from tests.hardening.hostile import TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY:
        return
    kinds = sorted({key.rsplit(" ", 1)[0] for key in TALLY})
    tried = sum(TALLY[f"{k} tried"] for k in kinds)
    safe = sum(TALLY[f"{k} safe"] for k in kinds)
    terminalreporter.write_line(f"hostile inputs: {tried} tried, {safe} handled safely")
    for k in kinds:
        terminalreporter.write_line(f"  {k}: {TALLY[f'{k} tried']} tried, {TALLY[f'{k} safe']} safe")
