"""Writing audit events. Call inside the service's transaction: the row commits or rolls back with it."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from qinqing.core import context

Snapshot = dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, FieldFile):  # a file field: its storage name (the file itself is no JSON)
        return value.name or ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> Snapshot:
    """The concrete field values of OBJ (foreign keys as ids), for a before/after diff."""
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if not f.primary_key and f.name not in {"updated_at"}
    ]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    result: str = AuditResult.SUCCESS,
    detail: str = "",
    actor_name: str = "",
    object_type: str = "",
) -> AuditEvent:
    ctx = context.current()
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=user,
        actor_name=actor_name or (user.get_username() if user is not None else ""),
        action=action,
        result=result,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        detail=detail[:500],
        request_id=ctx.request_id,
        ip=ctx.ip,
    )


def record_create(actor: Any, obj: models.Model, detail: str = "") -> AuditEvent:
    return record(AuditAction.CREATE, actor=actor, obj=obj, changes=diff({}, snapshot(obj)), detail=detail)


def record_update(actor: Any, obj: models.Model, before: Snapshot, detail: str = "") -> AuditEvent | None:
    changes = diff(before, snapshot(obj, before.keys()))
    if not changes:
        return None
    return record(AuditAction.UPDATE, actor=actor, obj=obj, changes=changes, detail=detail)


def record_outside_transaction(action: str, **kwargs: Any) -> AuditEvent:
    """For security events that must persist even when the surrounding request fails (login failures)."""
    with transaction.atomic():
        return record(action, **kwargs)


# --- retention ------------------------------------------------------------------------------------
class RetentionError(ValueError):
    """A purge that would cut into the minimum retention (AUDIT_RETENTION_DAYS, 等保: ≥ 6 months)."""


@dataclass(frozen=True)
class PurgeResult:
    cutoff: dt.datetime
    count: int
    dry_run: bool


@transaction.atomic
def purge(older_than_days: int, *, dry_run: bool = False, operator: str = "") -> PurgeResult:
    """Delete the events older than OLDER_THAN_DAYS and record a PURGE event with the count.

    The only sanctioned way past the append-only guard: run from the console (`qinqing purge_audit`) by
    whoever operates the server, so there is no signed-in user to check; OPERATOR (the OS account) goes
    into the PURGE event. The delete is a raw DELETE (QuerySet._raw_delete: no signals, no per-row
    delete()), and the PURGE event is written after it in the same transaction, so it always survives.
    """
    minimum = settings.AUDIT_RETENTION_DAYS
    if older_than_days < minimum:
        raise RetentionError(f"审计日志至少保留{minimum}天")
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    doomed = AuditEvent.objects.filter(at__lt=cutoff)
    if dry_run:
        return PurgeResult(cutoff, doomed.count(), True)
    count = doomed._raw_delete(doomed.db)
    local = timezone.localtime(cutoff)
    record(
        AuditAction.PURGE,
        actor_name="purge_audit",
        object_type=AuditEvent._meta.label_lower,
        changes={"deleted": count, "cutoff": cutoff.isoformat(), "older_than_days": older_than_days},
        detail=(
            f"清理 {local:%Y-%m-%d %H:%M:%S} 之前的审计事件 {count} 条"
            f"（保留 {older_than_days} 天{f'，操作系统用户 {operator}' if operator else ''}）"
        ),
    )
    return PurgeResult(cutoff, count, False)
