"""Read-replica routing (``DATABASE_REPLICA_URL``): lag-tolerant reads to the replica, the rest to the primary.

Active only when settings.py finds ``DATABASE_REPLICA_URL`` (or ``DATABASE_REPLICA_URL_FILE``): it then adds
the ``replica`` alias, ``ReplicaRouter`` and ``ReplicaMiddleware``. Without it nothing changes.

A read goes to the replica only when all of these hold (otherwise the primary, ``default``):

1. it happens inside a lag-tolerant scope: a GET/HEAD request to one of ``REPLICA_VIEWS`` (list pages,
   dashboards, statistics, exports, the public portal and the public API's read-only pages), or code wrapped
   in ``use_replica()``;
2. the model is not one of ``PRIMARY_ONLY_APPS`` (sessions, users, roles, tokens, audit: reading a just
   written session or role from a lagging copy would log the user out or apply stale permissions);
3. no transaction is open on the primary (``atomic()`` blocks read on the primary, so a service sees
   its own writes and its locks mean something);
4. the request has not written yet (read-your-writes inside a request), and the user has not written in
   the last ``DATABASE_REPLICA_PIN_SECONDS`` (read-your-writes across requests, see ``pin``);
5. the replica is up and its lag is at most ``DATABASE_REPLICA_MAX_LAG_SECONDS`` (``replica_state``,
   measured at most every ``DATABASE_REPLICA_CHECK_SECONDS`` per process).

Every write goes to the primary; migrations run only there (``allow_migrate``).
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "qq_primary"

# Views whose GET/HEAD may read up to DATABASE_REPLICA_MAX_LAG_SECONDS old data (fnmatch on view_name).
REPLICA_VIEWS: tuple[str, ...] = (
    # list pages
    "demands:list",
    "enterprises:list",
    "investment:list",
    "investment:kanban",
    "investment:reports",
    "liaison:assignments",
    "liaison:visits",
    "liaison:ledger",
    "liaison:meetings",
    "promotion:receptions",
    "promotion:trips",
    "promotion:taskforces",
    "chambers:orgs",
    "chambers:applications",
    "chambers:certificates",
    "kpi:incidents",
    "kpi:requests",
    # dashboards and statistics
    "demands:stats",
    "analysis:dashboard",
    "analysis:drill",
    "analysis:terms",
    "analysis:repeated",
    "investment:dashboard",
    "investment:targets",
    "liaison:coverage",
    "promotion:stats",
    "promotion:calendar",
    "chambers:figures",
    "portal:figures",
    "kpi:home",
    "kpi:summary",
    "kpi:trend",
    "surveys:results",
    "surveys:strata",
    "surveys:questions",
    "surveys:crosstab",
    "evaluation:ranking",
    "evaluation:benchmarks",
    # exports
    "demands:export",
    "demands:stats_export",
    "enterprises:export",
    "liaison:ledger_export",
    "investment:region_xlsx",
    "investment:region_pdf",
    "kpi:targets_export",
    "evaluation:values_export",
    # the public portal and the public API (anonymous, read-only pages)
    "portal:pub_*",
    "portal:en_pub_*",
    "public_api:*",
    # the staff API: every list (GET) and the statistics and dashboards
    "api:*-list",
    "api:demand-stats",
    "api:analysis-dashboard",
    "api:analysis-breakdown",
    "api:analysis-top-terms",
    "api:analysis-repeated",
    "api:investment-dashboard",
    "api:target-progress",
    "api:liaison-ledger",
    "api:liaison-coverage",
    "api:portal-figures",
    "api:chambers-figures",
    "api:promotion-year",
    "api:kpi-metrics",
)
# Read right after the visitor's own write (the inquiry form, its tracking page and rating): primary.
PRIMARY_VIEWS: tuple[str, ...] = (
    "portal:pub_inquiry",
    "portal:en_pub_inquiry",
    "portal:pub_track",
    "portal:en_pub_track",
    "public_api:inquiries",
    "public_api:inquiry",
    "public_api:inquiry_rating",
)
# Always read from the primary; their writes do not pin the user (nothing of them is read from the replica).
PRIMARY_ONLY_APPS = frozenset({"sessions", "contenttypes", "auth", "admin", "accounts", "audit"})
# Counters bumped by a read-only page (the portal's visit counts): their writes do not pin the visitor.
UNPINNED_MODELS = frozenset({"portal.visit"})


def enabled() -> bool:
    return REPLICA in settings.DATABASES


def max_lag() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_MAX_LAG_SECONDS", 5))


def check_interval() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_CHECK_SECONDS", 1))


def pin_seconds() -> int:
    return int(getattr(settings, "DATABASE_REPLICA_PIN_SECONDS", 10))


def replica_view(view_name: str) -> bool:
    if any(fnmatch.fnmatchcase(view_name, p) for p in PRIMARY_VIEWS):
        return False
    return any(fnmatch.fnmatchcase(view_name, p) for p in REPLICA_VIEWS)


# --- the scope of the current request or job --------------------------------------------------------
@dataclass
class Scope:
    tolerant: bool = False  # reads may lag
    wrote: bool = False  # a replicated model was written: later reads of this scope go to the primary
    used_replica: bool = False  # a read was routed to the replica


_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("qinqing_replica_scope", default=None)


@contextlib.contextmanager
def use_replica(tolerant: bool = True) -> Iterator[Scope]:
    """Run the block as a lag-tolerant scope (e.g. a report job); ``tolerant=False`` forces the primary."""
    scope = Scope(tolerant=tolerant)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> Scope | None:
    return _scope.get()


# --- the replica's health -------------------------------------------------------------------------------
@dataclass
class ReplicaState:
    ok: bool
    lag: float | None  # seconds behind the primary; None when unknown (down)
    reason: str
    checked_at: float


_state_lock = threading.Lock()
_state: ReplicaState | None = None


def measure_lag() -> float:
    """Seconds the replica is behind the primary (0 when it has replayed all the primary had written).

    Primary: ``pg_current_wal_lsn()``, then on the replica ``pg_last_wal_replay_lsn()``: if the replica has
    replayed that position, it has every commit made before the check. Otherwise the lag is the age of
    the last replayed transaction (``pg_last_xact_replay_timestamp()``), an upper bound. A replica that
    is not in recovery, or not PostgreSQL, is taken as current (the test mirror)."""
    replica = connections[REPLICA]
    if replica.vendor != "postgresql":
        return 0.0
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
            " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())",
            [primary_lsn],
        )
        in_recovery, caught_up, age = cursor.fetchone()
    if not in_recovery or caught_up:
        return 0.0
    return float("inf") if age is None else max(0.0, float(age))


def replica_state(force: bool = False) -> ReplicaState:
    """The replica's cached health (re-measured after DATABASE_REPLICA_CHECK_SECONDS)."""
    global _state
    now = time.monotonic()
    state = _state
    if not force and state is not None and now - state.checked_at < check_interval():
        return state
    with _state_lock:
        try:
            lag = measure_lag()
        except DatabaseError as exc:
            with contextlib.suppress(DatabaseError):
                connections[REPLICA].close()
            state = ReplicaState(False, None, f"down: {exc}".strip()[:200], now)
        else:
            bound = max_lag()
            ok = lag <= bound
            state = ReplicaState(ok, lag, "ok" if ok else f"lag {lag:.1f}s > {bound:g}s", now)
        if (_state is None or _state.ok != state.ok) and not state.ok:
            logger.warning("read replica bypassed: %s", state.reason)
        _state = state
    return state


def mark_down(reason: str) -> None:
    global _state
    _state = ReplicaState(False, None, reason[:200], time.monotonic())


def reset_state() -> None:
    global _state
    _state = None


# --- the router -------------------------------------------------------------------------------------
def _in_transaction() -> bool:
    """A transaction is open on the primary (the test case's own atomic blocks do not count)."""
    conn = connections[DEFAULT_DB_ALIAS]
    return any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


class ReplicaRouter:
    """Django database router: see the module docstring for when a read goes to the replica."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        scope = _scope.get()
        if (
            scope is None
            or not scope.tolerant
            or scope.wrote
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or _in_transaction()
            or not replica_state().ok
        ):
            return DEFAULT_DB_ALIAS
        scope.used_replica = True
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        scope = _scope.get()
        meta = model._meta
        if (
            scope is not None
            and meta.app_label not in PRIMARY_ONLY_APPS
            and meta.label_lower not in UNPINNED_MODELS
        ):
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # both aliases hold the same data

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- read-your-writes across requests ---------------------------------------------------------------
def _pin_key(user_id: object) -> str:
    return f"replica-pin:{user_id}"


def pinned(request: HttpRequest) -> bool:
    """The visitor wrote within DATABASE_REPLICA_PIN_SECONDS: the cookie (any visitor) or the cache key of
    the user (every worker and host sees it, and API clients keep no cookies). A cache failure pins."""
    raw = request.COOKIES.get(PIN_COOKIE, "")
    if raw.isdigit() and int(raw) > time.time():
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from django.core.cache import cache

        try:
            return cache.get(_pin_key(user.pk)) is not None
        except Exception:
            return True
    return False


def pin(request: HttpRequest, response: HttpResponse) -> None:
    seconds = pin_seconds()
    response.set_cookie(
        PIN_COOKIE,
        str(int(time.time()) + seconds),
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from django.core.cache import cache

        try:
            cache.set(_pin_key(user.pk), 1, timeout=seconds)
        except Exception:
            logger.warning("replica pin: cache unavailable for user %s", user.pk)


class ReplicaMiddleware:
    """Opens a routing scope per request; marks lag-tolerant views; pins the visitor after a write; on a
    replica failure during a lag-tolerant GET, marks the replica down and answers from the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with use_replica(tolerant=False) as scope:
            response = self.get_response(request)
            if scope.wrote:
                pin(request, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        scope = _scope.get()
        match = request.resolver_match
        if (
            scope is not None
            and request.method in ("GET", "HEAD")
            and match is not None
            and replica_view(match.view_name)
            and not pinned(request)
        ):
            scope.tolerant = True
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        scope = _scope.get()
        if (
            scope is None
            or not scope.used_replica
            or not isinstance(exception, OperationalError | InterfaceError)
        ):
            return None
        mark_down(f"down: {exception}")
        with contextlib.suppress(DatabaseError):
            connections[REPLICA].close()
        logger.warning("read replica failed during %s; answered from the primary", request.path)
        scope.tolerant = False
        scope.used_replica = False
        match = request.resolver_match
        assert match is not None
        response = match.func(request, *match.args, **match.kwargs)
        render = getattr(response, "render", None)
        if callable(render):
            response = render()
        return response
