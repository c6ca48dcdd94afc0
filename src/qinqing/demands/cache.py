"""The per-process snapshot of what a submission reads but hardly ever changes.

A submission needs the warning settings (``DemandSettings``), the time limits (``SlaPolicy``), the
category it names and the receiving office of the submitting unit's area. They change a few times a
year, so each process keeps one snapshot, loaded with three queries, and serves them from memory:

- ``settings()``: the ``DemandSettings`` row (or its defaults when there is none);
- ``policy(demand_type, urgency)``: the ``SlaPolicy`` row, or the built-in default limits;
- ``category(pk)``: the category with its parent attached (inactive ones too: callers check
  ``is_active``); an id the snapshot does not know reloads it once (a category just created in another
  process is found at once);
- ``office_for(unit)``: the receiving office of UNIT's area (``services.office_for``), computed once per
  unit and snapshot;
- ``memo(key, compute)``: anything else derived from these rows or the org tree (the list filter's unit
  and category options, ``filters.py``), computed once per snapshot;
- ``recipients(unit_id, compute)``: the users a new demand of the office UNIT_ID notifies (its active
  dispatchers and heads, ``services.office_recipients``), computed once per office and snapshot.

The objects are shared between requests: read them, never change or save them (the configuration page
edits fresh rows from the database).

Invalidation:

- in this process, every save or delete of ``DemandSettings``, ``SlaPolicy``, ``Category`` or
  ``orgs.Unit`` (services, admin site, shell: model signals, connected in ``apps.py``) and every
  ``migrate``/``flush`` (post_migrate) drops the snapshot at once, and again when the transaction commits;
  until that transaction ends, the process that made the change reads fresh rows without caching them
  (so a rolled-back change never lingers in the snapshot);
- users and roles (``accounts``: a user saved other than its login time or password, deleted, roles
  granted or taken ― ``apps.py`` connects the signals) drop the remembered recipients the same way, and
  the transaction that changes them computes recipients afresh without remembering them; its commit
  bumps the generation too, so other processes reload their snapshot;
- other processes (gunicorn workers, Celery): the commit also bumps a generation number in Django's
  shared cache (Redis in production); each process compares it at most once every ``CHECK_SECONDS``
  and reloads when it moved;
- whatever happens outside Django (SQL typed into psql, no shared cache configured), every snapshot is
  reloaded once it is ``TTL_SECONDS`` old.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache as shared_cache
from django.db import connection, transaction

from qinqing.demands.models import Category, DemandSettings, SlaPolicy, Urgency

logger = logging.getLogger(__name__)

T = TypeVar("T")
CHECK_SECONDS = 1.0
TTL_SECONDS = 60.0
GENERATION_KEY = "qinqing:demands:config-generation"
DEFAULT_HANDLE_DAYS = {"consult": 3, "help": 10, "suggestion": 10, "complaint": 15, "report": 15}


@dataclass
class Snapshot:
    settings: DemandSettings
    policies: dict[tuple[str, str], SlaPolicy]
    categories: dict[int, Category]
    generation: Any
    loaded_at: float
    checked_at: float
    memo: dict[Hashable, Any] = field(default_factory=dict)  # derived values (office_for, options …)
    recipients: dict[int, Any] = field(default_factory=dict)  # office id -> the users a submission notifies


_snapshot: Snapshot | None = None
_lock = threading.Lock()
_DIRTY = "qinqing_demands_config_dirty"  # attribute on the connection: the changing transaction
_USERS_DIRTY = "qinqing_demands_users_dirty"  # likewise for users and roles (the recipients)


def _generation() -> Any:
    try:
        return shared_cache.get(GENERATION_KEY)
    except Exception:  # the shared cache being down must not stop submissions
        logger.warning("demands config: shared cache unreachable", exc_info=True)
        return None


def _load(generation: Any) -> Snapshot:
    row = DemandSettings.objects.filter(pk=1).first()
    settings = row if row is not None else DemandSettings(pk=1)
    policies = {(p.demand_type, p.urgency): p for p in SlaPolicy.objects.all()}
    categories = {c.pk: c for c in Category.objects.all()}
    for c in categories.values():
        if c.parent_id is not None and c.parent_id in categories:
            c.parent = categories[c.parent_id]  # attach: str(category) needs no query
    now = time.monotonic()
    return Snapshot(settings, policies, categories, generation, now, now)


def _changing_transaction(marker: str = _DIRTY) -> bool:
    """Whether this connection is inside the transaction that changed the configuration (MARKER: or the
    users and roles).

    Once that transaction has ended (committed or rolled back), the marker is dropped together with what
    it concerns: a rolled-back change then cannot outlive its transaction in the snapshot.
    """
    owner = getattr(connection, marker, None)
    if owner is None:
        return False
    blocks = connection.atomic_blocks
    if blocks and blocks[0] is owner:
        return True
    setattr(connection, marker, None)
    if marker == _DIRTY:
        invalidate()
    else:
        _forget_recipients()
    return False


def current() -> Snapshot:
    """The snapshot, reloaded when it is stale (see the module docstring)."""
    global _snapshot
    if _changing_transaction():
        return _load(None)
    snap = _snapshot
    now = time.monotonic()
    if snap is not None and now - snap.loaded_at < TTL_SECONDS:
        if now - snap.checked_at < CHECK_SECONDS:
            return snap
        generation = _generation()
        if generation == snap.generation:
            snap.checked_at = now
            return snap
    else:
        generation = _generation()
    # The generation is read before the rows: a change committed in between is seen at the next check.
    with _lock:
        if _snapshot is snap or _snapshot is None:  # no other thread reloaded it meanwhile
            _snapshot = _load(generation)
        return _snapshot


def invalidate() -> None:
    """Drop this process's snapshot; the next read reloads it."""
    global _snapshot
    _snapshot = None


def _committed() -> None:
    setattr(connection, _DIRTY, None)
    invalidate()
    _publish()


def _publish() -> None:
    """Bump the shared generation: every other process reloads its snapshot at its next check."""
    try:
        if not shared_cache.add(GENERATION_KEY, 1, timeout=None):
            shared_cache.incr(GENERATION_KEY)
    except Exception:  # other processes then reload after TTL_SECONDS
        logger.warning("demands config: could not publish a change to the shared cache", exc_info=True)


def changed(**kwargs: Any) -> None:
    """A configuration row changed (signal receiver): drop the snapshot now and when the change commits."""
    invalidate()
    if connection.in_atomic_block and connection.atomic_blocks:
        if getattr(connection, _DIRTY, None) is None:
            setattr(connection, _DIRTY, connection.atomic_blocks[0])
        transaction.on_commit(_committed)
    else:
        _committed()


def _forget_recipients() -> None:
    snap = _snapshot
    if snap is not None:
        snap.recipients = {}


def _users_committed() -> None:
    setattr(connection, _USERS_DIRTY, None)
    _forget_recipients()
    _publish()


def users_changed(**kwargs: Any) -> None:
    """A user or their roles changed (signal receiver): drop the remembered recipients now and when the
    change commits (other processes: through the shared generation); the configuration stays cached."""
    _forget_recipients()
    if connection.in_atomic_block and connection.atomic_blocks:
        if getattr(connection, _USERS_DIRTY, None) is None:
            setattr(connection, _USERS_DIRTY, connection.atomic_blocks[0])
        transaction.on_commit(_users_committed)
    else:
        _users_committed()


# --- reading ------------------------------------------------------------------------------------------
def settings() -> DemandSettings:
    return current().settings


def policy(demand_type: str, urgency: str) -> SlaPolicy:
    found = current().policies.get((demand_type, urgency))
    if found is not None:
        return found
    base = DEFAULT_HANDLE_DAYS.get(demand_type, 10)
    days = -(-base // 2) if urgency == Urgency.URGENT else base
    return SlaPolicy(demand_type=demand_type, urgency=urgency, handle_days=days)


def category(pk: Any) -> Category | None:
    """The category PK (with its parent), or None when there is none."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    found = current().categories.get(key)
    if found is None:
        invalidate()  # perhaps created since the snapshot was loaded
        found = current().categories.get(key)
    return found


def memo(key: Hashable, compute: Callable[[], T]) -> T:
    """COMPUTE(), remembered under KEY until the snapshot is reloaded (any configuration or unit change)."""
    snap = current()
    if key in snap.memo:
        value: T = snap.memo[key]
        return value
    value = compute()
    if snap is _snapshot:  # not the private snapshot of a changing transaction
        snap.memo[key] = value
    return value


def office_for(unit_id: int, compute: Callable[[int], Any]) -> Any:
    """The receiving office of the unit UNIT_ID, computed by COMPUTE(unit_id) once per unit and snapshot."""
    return memo(("office", unit_id), lambda: compute(unit_id))


def recipients(unit_id: int, compute: Callable[[int], T]) -> T:
    """COMPUTE(unit_id): the users a submission to the office UNIT_ID notifies, remembered per office
    until a user, a role or the configuration changes (see the module docstring)."""
    if _changing_transaction(_USERS_DIRTY):
        return compute(unit_id)
    snap = current()
    if unit_id in snap.recipients:
        found: T = snap.recipients[unit_id]
        return found
    value = compute(unit_id)
    if snap is _snapshot:  # not the private snapshot of a changing transaction
        snap.recipients[unit_id] = value
    return value
