"""The body of ``POST /api/v1/demands/`` for a demand it has just created, built as a plain dict.

The answer is exactly what ``api.DemandDetailSerializer`` gives for that demand (tests/demands/
test_responses.py compares the two for enterprise and staff submitters, hidden identities and every
channel), without DRF's per-field machinery (a field object per attribute, source resolution, callable
checks), which cost about as much as the insert statements. A new demand has no lead unit, handler,
assisting units, attachments, reply or rating yet; a repeated external reference (an existing demand)
still answers through the serializer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from qinqing.demands import services
from qinqing.demands.models import Demand
from qinqing.enterprises.models import mask_mobile

HIDDEN = "（企业身份已隐藏）"  # as api.HIDDEN
_datetime = serializers.DateTimeField()  # DRF's own formatting (time zone, ISO 8601, "Z")


def _when(value: dt.datetime | None) -> str | None:
    return _datetime.to_representation(value) if value is not None else None


def new_demand_body(demand: Demand, user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """DEMAND (just submitted by USER, not yet accepted) as ``DemandDetailSerializer`` renders it."""
    assert demand.lead_unit_id is None and demand.current_handler_id is None and demand.replied_at is None
    visible = demand.identity_visible_to(user)
    light = demand.light_at(now)
    return {
        "id": demand.pk,
        "number": demand.number,
        "external_ref": demand.external_ref,
        "title": demand.title,
        "status": str(demand.status),
        "status_display": demand.get_status_display(),
        "demand_type": str(demand.demand_type),
        "demand_type_display": demand.get_demand_type_display(),
        "channel": str(demand.channel),
        "channel_display": demand.get_channel_display(),
        "urgency": str(demand.urgency),
        "urgency_display": demand.get_urgency_display(),
        "category": demand.category_id,
        "category_name": str(demand.category),
        "enterprise": demand.enterprise_id if visible else None,
        "enterprise_name": demand.enterprise.name if visible else HIDDEN,
        "contact_name": demand.contact_name if visible else HIDDEN,
        "contact_phone": mask_mobile(demand.contact_phone) if visible else HIDDEN,
        "receiving_unit": demand.receiving_unit_id,
        "receiving_unit_name": demand.receiving_unit.name,
        "lead_unit": None,
        "lead_unit_name": "",
        "handler_name": "",
        "created_at": _when(demand.created_at),
        "due_at": _when(demand.due_at),
        "light": light,
        "overdue": light == "red",
        "provisional": bool(demand.provisional),
        "redo_count": demand.redo_count,
        "rating": demand.rating,
        "version": demand.version,
        "description": demand.description,
        "hide_below_tier": demand.hide_below_tier,
        "accept_due_at": _when(demand.accept_due_at),
        "sign_due_at": _when(demand.sign_due_at),
        "handle_due_at": _when(demand.handle_due_at),
        "extension_days": demand.extension_days,
        "extension_requested_days": demand.extension_requested_days,
        "reply_outcome": demand.reply_outcome,
        "reply_outcome_display": demand.get_reply_outcome_display(),
        "reply_text": demand.reply_text,
        "replied_at": None,
        "closed_at": _when(demand.closed_at),
        "assisting_units": [],
        "attachments": [],
        "allowed_actions": services.available_actions(user, demand, now),
    }
