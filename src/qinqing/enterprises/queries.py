"""Reads for the enterprises app: scoped units, the annotated list, the home card."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from qinqing.core.queries import Card
from qinqing.enterprises.models import Contact, Enterprise
from qinqing.orgs.models import Unit, UnitKind


def scope_units(user: Any) -> QuerySet[Unit]:
    """Every unit in the user's data scope (their scope unit and below); none for enterprise users."""
    scope = getattr(user, "scope_unit", None) if getattr(user, "is_authenticated", False) else None
    if scope is None or getattr(user, "enterprise_id", None):
        return Unit.objects.none()
    return Unit.objects.subtree(scope).order_by("path")


def registrable_units(user: Any) -> QuerySet[Unit]:
    """Units an enterprise may be registered to (属地单位): active, in scope, not departments."""
    return scope_units(user).filter(is_active=True).exclude(kind=UnitKind.DEPARTMENT)


def enterprise_list(user: Any) -> QuerySet[Enterprise]:
    """The scoped list with its unit and primary contact loaded (a constant number of queries)."""
    return (
        Enterprise.objects.visible_to(user)
        .select_related("registered_unit")
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts")
        )
        .order_by("name", "pk")
    )


def primary_contact(enterprise: Enterprise) -> Contact | None:
    """The primary contact prefetched by enterprise_list (falls back to a query otherwise)."""
    rows = getattr(enterprise, "primary_contacts", None)
    if rows is None:
        return enterprise.contacts.filter(is_primary=True).first()
    return rows[0] if rows else None


def home_cards(user: Any) -> list[Card]:
    if not getattr(user, "is_authenticated", False) or not user.can("enterprises.view"):
        return []
    count = Enterprise.objects.visible_to(user).count()
    return [Card("辖区企业", count, reverse("enterprises:list"))]
