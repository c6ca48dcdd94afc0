"""Periodic jobs of the liaison app (qinqing.core.jobs): the escalation sweep (三级联动)."""

from __future__ import annotations

from qinqing.core.jobs import periodic
from qinqing.liaison.services import sweep_escalations


@periodic(3600, name="liaison.sweep_escalations")
def escalation_sweep() -> dict[str, int]:
    """Propose (or automatically carry out) the escalations the rules call for; idempotent."""
    return sweep_escalations()
