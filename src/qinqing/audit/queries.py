"""Reads for the audit pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from qinqing.audit.models import AuditEvent


@dataclass(frozen=True)
class ChangeRow:
    field: str
    label: str
    before: Any
    after: Any
    diff: bool  # a before/after pair (False: a single recorded value, shown as "after")


def _label(event: AuditEvent, name: str) -> str:
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return name
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return str(field.verbose_name)
    try:
        return str(model._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return name


def change_rows(event: AuditEvent) -> list[ChangeRow]:
    """EVENT's recorded changes as table rows: ``{"field": [before, after]}`` or a plain value."""
    changes = event.changes if isinstance(event.changes, dict) else {"": event.changes}
    rows = []
    for name, value in changes.items():
        pair = isinstance(value, list) and len(value) == 2
        rows.append(
            ChangeRow(
                field=name,
                label=_label(event, name),
                before=value[0] if pair else None,
                after=value[1] if pair else value,
                diff=pair,
            )
        )
    return rows


def object_types() -> list[tuple[str, str]]:
    """(label_lower, verbose name) of every installed model, for the filter's suggestions."""
    return sorted((m._meta.label_lower, str(m._meta.verbose_name)) for m in apps.get_models())
