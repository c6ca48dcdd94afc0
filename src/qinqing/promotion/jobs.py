"""Periodic jobs of the promotion app (qinqing.core.jobs)."""

from __future__ import annotations

from qinqing.core.jobs import periodic
from qinqing.promotion.services import remind_due_steps


@periodic(3600, name="promotion.remind_next_steps")
def next_step_reminders() -> int:
    """Remind owners once of next steps coming due (recorded on the step, so a rerun sends nothing)."""
    return remind_due_steps()
