"""Periodic jobs of the demands app (registered with qinqing.core.jobs; Celery beat or `qinqing runjobs`).

- ``demands.deliver_outbox``: deliver pending notifications (notifications.deliver_pending).
- ``demands.sweep_deadlines``: due-soon and overdue reminders, exactly once per demand, clock, threshold
  and deadline (a ``Reminder`` row with a unique constraint, written with the outbox rows in one
  transaction); follow-up reminders when the enterprise's rating window has passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qinqing.core.jobs import periodic
from qinqing.demands import notifications
from qinqing.demands.models import Demand, Reminder, Status
from qinqing.demands.services import handler_users, lead_users, office_users

BATCH = 2000


@dataclass(frozen=True)
class ClockSpec:
    name: str
    label: str
    due: str
    warn: str
    statuses: tuple[str, ...]


CLOCKS = [
    ClockSpec("accept", "受理", "accept_due_at", "accept_warn_at", (Status.SUBMITTED,)),
    ClockSpec("sign", "签收", "sign_due_at", "sign_warn_at", (Status.DISPATCHED,)),
    ClockSpec(
        "handle",
        "办结",
        "handle_due_at",
        "handle_warn_at",
        (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING),
    ),
]


@periodic(15, name="demands.deliver_outbox")
def deliver_outbox() -> int:
    return notifications.deliver_pending()


def _recipients(demand: Demand) -> list[object]:
    users: list[object] = []
    if demand.lead_unit_id:
        users += handler_users(demand) + lead_users(demand)
    users += office_users(demand)
    return users


def _remind(
    demand: Demand, clock: str, threshold: str, deadline: dt.datetime, subject: str, body: str
) -> bool:
    try:
        with transaction.atomic():
            row = Reminder.objects.create(demand=demand, clock=clock, threshold=threshold, deadline=deadline)
            notifications.enqueue(_recipients(demand), subject, body, key=f"rem{row.pk}", demand=demand)
    except IntegrityError:
        return False
    return True


@periodic(300, name="demands.sweep_deadlines")
def sweep_deadlines(now: dt.datetime | None = None) -> int:
    """Queue reminders for clocks that turned yellow (临期) or red (超期) since the last sweep."""
    now = now or timezone.now()
    sent = 0
    for spec in CLOCKS:
        for threshold in ("due_soon", "overdue"):
            if threshold == "overdue":
                cond = Q(**{f"{spec.due}__lt": now})
            else:
                cond = Q(**{f"{spec.warn}__lte": now, f"{spec.due}__gte": now})
            already = Reminder.objects.filter(
                demand=OuterRef("pk"), clock=spec.name, threshold=threshold, deadline=OuterRef(spec.due)
            )
            rows = (
                Demand.objects.filter(cond, status__in=spec.statuses)
                .exclude(Exists(already))
                .select_related("current_handler")
                .order_by(spec.due)[:BATCH]
            )
            for demand in rows:
                deadline = getattr(demand, spec.due)
                word = "即将到期" if threshold == "due_soon" else "已超期"
                subject = f"诉求{demand.number}{spec.label}{word}"
                body = (
                    f"诉求 {demand.number}「{demand.title}」{spec.label}期限"
                    f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}，{word}，请及时办理。"
                )
                sent += _remind(demand, spec.name, threshold, deadline, subject, body)
    already = Reminder.objects.filter(
        demand=OuterRef("pk"), clock="rating", threshold="expired", deadline=OuterRef("rating_due_at")
    )
    for demand in Demand.objects.filter(status=Status.REPLIED, rating_due_at__lt=now).exclude(
        Exists(already)
    )[:BATCH]:
        assert demand.rating_due_at is not None
        sent += _remind(
            demand,
            "rating",
            "expired",
            demand.rating_due_at,
            f"诉求{demand.number}待回访",
            f"诉求 {demand.number}「{demand.title}」企业逾期未评价，请回访并代为评价。",
        )
    return sent
