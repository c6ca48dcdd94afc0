"""Data scoping, written once.

A scoped model declares ``scope = Scope(...)`` and uses a ``ScopedQuerySet``. ``visible_to(user)`` is the
only way views, API endpoints, form choices and exports narrow a queryset to what a user may see:

- staff see rows attached to their scope unit (``user.unit.scope_root``) or any unit below it;
- enterprise users see only rows of their own enterprise;
- anyone else (anonymous, inactive, no unit) sees nothing.

A model with a rule of its own overrides ``ScopedQuerySet.staff_filter`` / ``enterprise_filter``. The
shared test battery (tests/scoping/) iterates over ``scoped_models()``: a model joins by declaring
``scope`` and registering a maker in tests/scoping/registry.py (a test fails for a model without one).

Usage: ``objects = MyQuerySet.as_manager()`` with ``class MyQuerySet(ScopedQuerySet["MyModel"])``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from qinqing.orgs.models import Unit

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """How a model's rows attach to the org tree and to enterprises.

    unit: lookup path(s) from the model to an ``orgs.Unit`` (several are OR-ed), or None.
    enterprise: lookup path to an ``enterprises.Enterprise``; "pk" when the model *is* the enterprise;
    None when enterprise users never see this model.
    """

    unit: str | tuple[str, ...] | None
    enterprise: str | None = None

    @property
    def unit_paths(self) -> tuple[str, ...]:
        if self.unit is None:
            return ()
        return (self.unit,) if isinstance(self.unit, str) else self.unit


def subtree_unit_ids(unit: Unit) -> models.QuerySet[Any, Any]:
    """A subquery of the ids of UNIT and its descendants."""
    from qinqing.orgs.models import Unit

    return Unit.objects.filter(path__startswith=unit.path).values("pk")


class ScopedQuerySet(models.QuerySet[M]):
    def visible_to(self, user: Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if getattr(user, "enterprise_id", None):
            condition = self.enterprise_filter(user)
        elif getattr(user, "unit_id", None):
            condition = self.staff_filter(user)
        else:
            return self.none()
        if condition is None:
            return self.none()
        return self.filter(condition).distinct() if self.needs_distinct() else self.filter(condition)

    # --- the rules; override per model when the declaration is not enough ----------------------
    def staff_filter(self, user: Any) -> Q | None:
        paths = self._scope().unit_paths
        if not paths:
            return None
        ids = subtree_unit_ids(user.scope_unit)
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{path}__in": ids})
        return condition

    def enterprise_filter(self, user: Any) -> Q | None:
        path = self._scope().enterprise
        if path is None:
            return None
        if path == "pk":
            return Q(pk=user.enterprise_id)
        return Q(**{f"{path}_id" if "__" not in path else path: user.enterprise_id})

    def needs_distinct(self) -> bool:
        """Whether a scope path crosses a to-many relation (then rows could repeat)."""
        for path in self._scope().unit_paths:
            model: type[models.Model] = self.model
            for part in path.split("__"):
                field = model._meta.get_field(part)
                if field.many_to_many or field.one_to_many:
                    return True
                if field.related_model is None:
                    break
                model = field.related_model  # type: ignore[assignment]
        return False

    def _scope(self) -> Scope:
        scope = getattr(self.model, "scope", None)
        if not isinstance(scope, Scope):
            raise TypeError(f"{self.model.__name__} does not declare a Scope")
        return scope


def scoped_models() -> list[type[models.Model]]:
    """Every installed model that declares a Scope: the scoping battery covers each of them."""
    return [m for m in apps.get_models() if isinstance(getattr(m, "scope", None), Scope)]
