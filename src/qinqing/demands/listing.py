"""The rows of the API list (``GET /api/v1/demands/``) as plain dicts, from one SELECT of plain values.

``rows(ids, user)`` answers exactly what ``api.DemandListSerializer`` renders for those demands (the
serializer stays the declaration of the schema; tests/demands/test_listing.py compares the two for staff
of several tiers, enterprise users, hidden identities, missing lead units and handlers). Building 25 model
instances with six related objects and running DRF's per-field machinery over them (a field object per
attribute, source resolution, the identity check three times a row) cost more than the list's SQL; here a
row is one tuple of the page's SELECT, the labels come from dicts and the category's name from the
configuration snapshot (``demands.cache``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qinqing.demands import cache
from qinqing.demands.models import Channel, Demand, DemandType, Light, Status, Urgency
from qinqing.enterprises.models import mask_mobile

HIDDEN = "（企业身份已隐藏）"  # as api.HIDDEN

COLUMNS = (
    "id",
    "number",
    "external_ref",
    "title",
    "status",
    "demand_type",
    "channel",
    "urgency",
    "category_id",
    "enterprise_id",
    "enterprise__name",
    "contact_name",
    "contact_phone",
    "hide_below_tier",
    "receiving_unit_id",
    "receiving_unit__name",
    "lead_unit_id",
    "lead_unit__name",
    "current_handler__full_name",
    "current_handler__username",
    "created_at",
    "due_at",
    "warn_at",
    "provisional",
    "redo_count",
    "rating",
    "version",
)

_STATUS = {str(k): str(v) for k, v in Status.choices}
_TYPE = {str(k): str(v) for k, v in DemandType.choices}
_CHANNEL = {str(k): str(v) for k, v in Channel.choices}
_URGENCY = {str(k): str(v) for k, v in Urgency.choices}


def iso(value: dt.datetime | None, tz: Any) -> str | None:
    """VALUE as DRF's DateTimeField renders it: in the current time zone, ISO 8601, UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def category_name(pk: int) -> str:
    found = cache.category(pk)
    return str(found) if found is not None else ""


def identity_check(user: Any) -> Any:
    """A function (enterprise_id, hide_below_tier) -> bool, as ``Demand.identity_visible_to(user)``."""
    own = getattr(user, "enterprise_id", None)
    if own:
        return lambda enterprise_id, hide: enterprise_id == own
    unit = getattr(user, "unit", None)
    tier = unit.tier if unit is not None else None
    return lambda enterprise_id, hide: hide is None or (tier is not None and tier <= hide)


def rows(ids: list[int], user: Any, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The demands IDS (in that order) as the list API answers them to USER."""
    if not ids:
        return []
    found = {r[0]: r for r in Demand.objects.filter(pk__in=ids).values_list(*COLUMNS)}
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    visible = identity_check(user)
    out: list[dict[str, Any]] = []
    for pk in ids:
        r = found.get(pk)
        if r is None:
            continue
        (
            _,
            number,
            external_ref,
            title,
            status,
            demand_type,
            channel,
            urgency,
            category_id,
            enterprise_id,
            enterprise_name,
            contact_name,
            contact_phone,
            hide,
            receiving_id,
            receiving_name,
            lead_id,
            lead_name,
            handler_full,
            handler_user,
            created_at,
            due_at,
            warn_at,
            provisional,
            redo_count,
            rating,
            version,
        ) = r
        shown = visible(enterprise_id, hide)
        if due_at is None:
            light = Light.NONE.value
        elif due_at < now:
            light = Light.RED.value
        elif warn_at is not None and warn_at <= now:
            light = Light.YELLOW.value
        else:
            light = Light.GREEN.value
        out.append(
            {
                "id": pk,
                "number": number,
                "external_ref": external_ref,
                "title": title,
                "status": status,
                "status_display": _STATUS.get(status, status),
                "demand_type": demand_type,
                "demand_type_display": _TYPE.get(demand_type, demand_type),
                "channel": channel,
                "channel_display": _CHANNEL.get(channel, channel),
                "urgency": urgency,
                "urgency_display": _URGENCY.get(urgency, urgency),
                "category": category_id,
                "category_name": category_name(category_id),
                "enterprise": enterprise_id if shown else None,
                "enterprise_name": enterprise_name if shown else HIDDEN,
                "contact_name": contact_name if shown else HIDDEN,
                "contact_phone": mask_mobile(contact_phone) if shown else HIDDEN,
                "receiving_unit": receiving_id,
                "receiving_unit_name": receiving_name,
                "lead_unit": lead_id,
                "lead_unit_name": lead_name if lead_id is not None else "",
                "handler_name": (handler_full or handler_user) if handler_user is not None else "",
                "created_at": iso(created_at, tz),
                "due_at": iso(due_at, tz),
                "light": light,
                "overdue": light == Light.RED.value,
                "provisional": bool(provisional),
                "redo_count": redo_count,
                "rating": rating,
                "version": version,
            }
        )
    return out
