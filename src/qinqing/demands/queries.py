"""Reads that need care: 我的待办, the annotated list and the home-page cards. Statistics: stats.py."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from qinqing.accounts.roles import Role
from qinqing.core.queries import Card, register_home_cards
from qinqing.demands.models import Demand, DemandAssist, Status

LIST_RELATED = (
    "enterprise",
    "category",
    "category__parent",
    "receiving_unit",
    "lead_unit",
    "current_handler",
)
# What a row of the list pages shows (demands/_rows.html): the 30 rows of a page are loaded with these
# fields only; the category comes from the configuration snapshot (demands.cache).
ROW_RELATED = ("enterprise", "lead_unit")
ROW_FIELDS = (
    "number",
    "title",
    "status",
    "demand_type",
    "urgency",
    "redo_count",
    "due_at",
    "warn_at",
    "provisional",
    "created_at",
    "hide_below_tier",
    "category",
    "enterprise__name",
    "lead_unit__name",
)


def todo(user: Any) -> QuerySet[Demand]:
    """Demands waiting for USER's action, earliest deadline first (rows without a deadline last)."""
    base = Demand.objects.visible_to(user)
    if getattr(user, "enterprise_id", None):
        cond = Q(status__in=[Status.REPLIED, Status.SUSPENDED])
    else:
        unit_id = user.unit_id
        cond = Q(current_handler=user, status__in=[Status.HANDLING, Status.SUSPENDED])
        if user.has_role(Role.DISPATCHER) or user.has_role(Role.UNIT_HEAD):
            cond |= Q(coordinating_unit_id=unit_id, status__in=[Status.SUBMITTED, Status.ACCEPTED])
            cond |= Q(
                coordinating_unit_id=unit_id, status=Status.HANDLING, extension_requested_days__isnull=False
            )
            cond |= Q(coordinating_unit_id=unit_id, status=Status.REPLIED, rating_due_at__lt=timezone.now())
            cond |= Q(coordinating_unit_id=unit_id, follow_up_due=True)
            cond |= Q(lead_unit_id=unit_id, status=Status.DISPATCHED)
            cond |= Q(lead_unit_id=unit_id, status=Status.HANDLING, current_handler__isnull=True)
        if user.has_role(Role.UNIT_HEAD):
            cond |= Q(lead_unit_id=unit_id, status__in=[Status.HANDLING, Status.SUSPENDED])
        # The assisting unit's open requests as a short list of ids (not a subquery): every branch of
        # the OR then has an index, so PostgreSQL combines index scans instead of scanning the table.
        pending = list(
            DemandAssist.objects.filter(
                unit_id=unit_id, opinion_at__isnull=True, demand__status=Status.HANDLING
            ).values_list("demand_id", flat=True)
        )
        if pending:
            cond |= Q(pk__in=pending, status=Status.HANDLING)
    return base.filter(cond).order_by(F("due_at").asc(nulls_last=True), "created_at", "id")


@register_home_cards
def home_cards(user: Any) -> list[Card]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not (getattr(user, "enterprise_id", None) or user.can("demands.view")):
        return []
    items = todo(user)
    now = timezone.now()
    url = reverse("demands:todo")
    return [
        Card("诉求待办", items.count(), url),
        Card("待办中超期", items.filter(due_at__lt=now).count(), url + "?light=red"),
    ]
