"""Reads that need care: 我的待办, the annotated list and the home-page cards. Statistics: stats.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
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


TODO_ORDER = (F("due_at").asc(nulls_last=True), "created_at", "id")
# 我的待办 counts its rows up to this many ("超过 1000 件" beyond, and the first 34 pages): an office with a
# backlog of tens of thousands would otherwise count them all on every visit.
TODO_COUNT_CAP = 1000


def todo_branches(user: Any) -> list[Q]:
    """The conditions under which a demand waits for USER, one index range each (one status each)."""
    if getattr(user, "enterprise_id", None):
        return [Q(status=Status.REPLIED), Q(status=Status.SUSPENDED)]
    unit_id = user.unit_id
    branches = [
        Q(current_handler=user, status=Status.HANDLING),
        Q(current_handler=user, status=Status.SUSPENDED),
    ]
    if user.has_role(Role.DISPATCHER) or user.has_role(Role.UNIT_HEAD):
        branches += [
            Q(coordinating_unit_id=unit_id, status=Status.SUBMITTED),
            Q(coordinating_unit_id=unit_id, status=Status.ACCEPTED),
            Q(coordinating_unit_id=unit_id, status=Status.HANDLING, extension_requested_days__isnull=False),
            Q(coordinating_unit_id=unit_id, status=Status.REPLIED, rating_due_at__lt=timezone.now()),
            Q(coordinating_unit_id=unit_id, follow_up_due=True),
            Q(lead_unit_id=unit_id, status=Status.DISPATCHED),
            Q(lead_unit_id=unit_id, status=Status.HANDLING, current_handler__isnull=True),
        ]
    if user.has_role(Role.UNIT_HEAD):
        branches += [
            Q(lead_unit_id=unit_id, status=Status.HANDLING),
            Q(lead_unit_id=unit_id, status=Status.SUSPENDED),
        ]
    # The assisting unit's open requests as a short list of ids (not a subquery): every branch of the OR
    # then has an index, so PostgreSQL combines index scans instead of scanning the table.
    pending = list(
        DemandAssist.objects.filter(
            unit_id=unit_id, opinion_at__isnull=True, demand__status=Status.HANDLING
        ).values_list("demand_id", flat=True)
    )
    if pending:
        branches.append(Q(pk__in=pending, status=Status.HANDLING))
    return branches


def todo(user: Any, branches: list[Q] | None = None) -> QuerySet[Demand]:
    """Demands waiting for USER's action, earliest deadline first (rows without a deadline last)."""
    cond = Q()
    for branch in branches if branches is not None else todo_branches(user):
        cond |= branch
    return Demand.objects.visible_to(user).filter(cond).order_by(*TODO_ORDER)


def todo_window(
    user: Any, branches: list[Q], limit: int, narrow: Callable[[QuerySet[Demand]], QuerySet[Demand]]
) -> QuerySet[Demand]:
    """The first LIMIT demands of ``todo`` (NARROW applied, e.g. the light filter), in its order.

    Each branch gives its own first LIMIT rows — an ordered range of its (unit or handler, status,
    due_at) index — and the page is taken from their union: the cost follows the page, not the backlog
    (an office with 17,000 demands waiting sorted all of them for every page).
    """
    if connection.vendor != "postgresql":  # SQLite cannot LIMIT the parts of a UNION: the plain query
        return narrow(todo(user, branches))
    base = narrow(Demand.objects.visible_to(user))
    parts = [base.filter(b).order_by(*TODO_ORDER).values("pk")[:limit] for b in branches]
    first = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return Demand.objects.filter(pk__in=first).order_by(*TODO_ORDER)


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
