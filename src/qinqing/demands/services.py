"""Every state change of a demand: one function per workflow action.

Each action is atomic: it locks the demand row, checks the version the user was shown (a stale
action changes nothing), checks the transition table (workflow.TRANSITIONS) and its guard, then
writes the demand, its event row, the audit row (action WORKFLOW) and the outbox rows together.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.http import Http404
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.audit import services as audit
from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.calendar.services import deadline_end
from qinqing.core import context, uploads
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.core.rows import JsonInsert
from qinqing.demands import cache, clocks, notifications
from qinqing.demands.models import (
    DESCRIPTION_MAX,
    SATISFIED_MIN,
    Attachment,
    Category,
    Channel,
    Demand,
    DemandAssist,
    DemandCounter,
    DemandEvent,
    DemandSettings,
    DemandType,
    Light,
    Outbox,
    Outcome,
    Rating,
    RejectReason,
    ReturnReason,
    SlaPolicy,
    SlipColour,
    Status,
    Supervision,
    SupervisionKind,
    Urgency,
)
from qinqing.demands.workflow import ACTION_LABELS, Action, Party, parties_of, transition
from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Tier, Unit, UnitKind

STALE_MESSAGE = "该诉求已被他人处理，请刷新后重试"
MAX_ATTACHMENTS = 10


class ActionRefused(Exception):
    """The action cannot be taken in the demand's current state (HTTP 409)."""

    code = "invalid_state"
    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleVersion(ActionRefused):
    code = "stale"


class NotAllowed(ActionRefused, PermissionDenied):
    """The user is not a party allowed to take the action (HTTP 403)."""

    code = "permission_denied"
    status_code = 403


# --- org routing ---------------------------------------------------------------------------------------
AREA_KINDS = (UnitKind.REGION, UnitKind.PREFECTURE, UnitKind.COUNTY, UnitKind.PARK)


def area_of(unit: Unit) -> Unit:
    """The nearest area (region, prefecture, county, park) at or above UNIT."""
    node: Unit | None = unit
    while node is not None and node.kind not in AREA_KINDS:
        node = node.parent
    return node or unit


def office_of_area(area: Unit) -> Unit | None:
    """The lead office (coordinates_parent) of an area, e.g. 昌吉市营商环境服务中心 for 昌吉市."""
    return (
        Unit.objects.filter(parent=area, coordinates_parent=True, is_active=True)
        .order_by("ordering", "id")
        .first()
    )


def office_for(unit: Unit) -> Unit | None:
    """The office that receives demands from UNIT's area, walking up when an area has none."""
    node: Unit | None = area_of(unit)
    while node is not None:
        office = office_of_area(node)
        if office is not None:
            return office
        node = node.parent
    return None


def escalation_target(demand: Demand, party: Party) -> Unit | None:
    """提级: a lead unit goes to its own area's office (乡镇/部门 → 县市/园区), an office to the office
    of the area above (县市/园区 → 州)."""
    if party == Party.LEAD and demand.lead_unit is not None:
        target = office_of_area(area_of(demand.lead_unit))
        if target is not None and target.pk != demand.lead_unit_id:
            return target
        base = area_of(demand.lead_unit)
    else:
        base = area_of(demand.coordinating_unit)
    parent = base.parent
    while parent is not None:
        office = office_of_area(area_of(parent))
        if office is not None:
            return office
        parent = area_of(parent).parent
    return None


def dispatch_choices(demand: Demand) -> Any:
    """Units the coordinating office may dispatch to: active units in its scope."""
    return Unit.objects.active().subtree(demand.coordinating_unit.scope_root).exclude(kind=UnitKind.REGION)


def transfer_choices(demand: Demand) -> Any:
    """Subordinate units for 转办: units below the lead unit, or lower-tier units of its area."""
    lead = demand.lead_unit
    if lead is None:
        return Unit.objects.none()
    area = area_of(lead)
    return (
        Unit.objects.active()
        .filter(Q(path__startswith=lead.path) | Q(path__startswith=area.path, tier__gt=lead.tier))
        .exclude(pk=lead.pk)
        .exclude(coordinates_parent=True)
    )


def handler_choices(demand: Demand) -> Any:
    if demand.lead_unit_id is None:
        return User.objects.none()
    return User.objects.filter(
        unit_id=demand.lead_unit_id, is_active=True, role_rows__role__in=[Role.HANDLER, Role.UNIT_HEAD]
    ).distinct()


# --- recipients ----------------------------------------------------------------------------------------
def _unit_users(unit_id: int | None, roles: Sequence[str]) -> list[User]:
    if unit_id is None:
        return []
    return list(User.objects.filter(unit_id=unit_id, is_active=True, role_rows__role__in=roles).distinct())


SUBMISSION_RECIPIENTS = (Role.DISPATCHER, Role.UNIT_HEAD)


def _office_recipients_now(unit_id: int) -> list[User]:
    return list(
        User.objects.filter(unit_id=unit_id, is_active=True, role_rows__role__in=SUBMISSION_RECIPIENTS)
        .distinct()
        .order_by("pk")
    )


def office_recipients(unit_id: int) -> list[User]:
    """Who a new demand of the office UNIT_ID notifies: its active dispatchers and heads, remembered in the
    configuration snapshot (demands.cache) until a user or a role changes. Shared objects: read only."""
    found: list[User] = cache.recipients(unit_id, _office_recipients_now)
    return found


def office_users(demand: Demand) -> list[User]:
    return _unit_users(demand.coordinating_unit_id, [Role.DISPATCHER, Role.UNIT_HEAD])


def lead_users(demand: Demand) -> list[User]:
    return _unit_users(demand.lead_unit_id, [Role.UNIT_HEAD, Role.DISPATCHER])


def enterprise_users(demand: Demand) -> list[User]:
    return list(
        User.objects.filter(
            enterprise_id=demand.enterprise_id, is_active=True, role_rows__role=Role.ENTERPRISE
        )
    )


def handler_users(demand: Demand) -> list[User]:
    users = [demand.current_handler] if demand.current_handler_id and demand.current_handler else []
    return users + _unit_users(demand.lead_unit_id, [Role.UNIT_HEAD])


def actor_name(user: Any) -> str:
    return str(user)[:50] if user is not None else "系统"


def actor_unit(user: Any) -> str:
    if user is None:
        return ""
    if getattr(user, "unit", None) is not None:
        return str(user.unit.name)
    return str(user.enterprise.name) if getattr(user, "enterprise_id", None) else ""


# --- the frame every action runs in ---------------------------------------------------------------------
@dataclass
class Step:
    user: Any
    demand: Demand
    action: str
    party: set[Party]
    from_status: str
    now: dt.datetime
    config: DemandSettings


def _begin(user: Any, demand_id: int, action: str, version: int | None) -> Step:
    if not Demand.objects.visible_to(user).filter(pk=demand_id).exists():
        raise Http404("未找到该诉求")
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("coordinating_unit", "lead_unit")
        .get(pk=demand_id)
    )
    if version is None or int(version) != demand.version:
        raise StaleVersion(STALE_MESSAGE)
    t = transition(demand.status, action)
    parties = parties_of(user, demand)
    label = ACTION_LABELS.get(action, action)
    if t is None:
        raise ActionRefused(f"诉求当前状态为“{demand.get_status_display()}”，不能{label}")
    if not parties & t.parties:
        raise NotAllowed(f"无权对该诉求执行“{label}”")
    return Step(user, demand, action, parties & t.parties, demand.status, timezone.now(), cache.settings())


def _finish(
    step: Step,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    notify: Iterable[Any] = (),
    subject: str = "",
    public: bool | None = None,
) -> DemandEvent:
    demand, user = step.demand, step.user
    t = transition(step.from_status, step.action)
    demand.version += 1
    clocks.refresh_running(demand)
    demand.save()
    event = DemandEvent.objects.create(
        demand=demand,
        at=step.now,
        actor=user,
        actor_name=actor_name(user),
        actor_unit=actor_unit(user),
        action=step.action,
        from_status=step.from_status,
        to_status=demand.status,
        note=note,
        public=(t.public if t is not None else True) if public is None else public,
        data=data or {},
    )
    _audit(user, demand, step.action, step.from_status, data)
    label = ACTION_LABELS.get(step.action, step.action)
    notifications.enqueue(
        notify,
        subject or f"诉求{demand.number}已{label}",
        f"诉求 {demand.number}「{demand.title}」：{label}。{note}".strip(),
        key=f"ev{event.pk}",
        demand=demand,
    )
    if demand.status != step.from_status:
        notifications.enqueue_webhook(
            demand,
            event.pk,
            {
                "external_ref": demand.external_ref,
                "number": demand.number,
                "status": demand.status,
                "status_display": demand.get_status_display(),
                "action": step.action,
                "at": step.now.isoformat(),
                "note": note if event.public else "",
            },
        )
    return event


def _audit(user: Any, demand: Demand, action: str, from_status: str, data: dict[str, Any] | None) -> None:
    changes: dict[str, Any] = {"status": [from_status, demand.status]}
    if data:
        changes["data"] = data
    audit.record(
        AuditAction.WORKFLOW,
        actor=user,
        actor_name="" if user is not None else actor_name(user),
        obj=demand,
        changes=changes,
        detail=f"{ACTION_LABELS.get(action, action)} {demand.number}",
    )


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _choice(value: Any, choices: Any, field: str, message: str) -> Any:
    if value not in choices.values:
        raise ValidationError({field: message})
    return value


# --- submission -------------------------------------------------------------------------------------------
def sla_for(demand_type: str, urgency: str) -> SlaPolicy:
    """The time limits for a new demand (from the configuration snapshot, demands.cache)."""
    return cache.policy(demand_type, urgency)


def _office_of_unit_id(unit_id: int) -> Unit | None:
    unit = Unit.objects.select_related("parent").filter(pk=unit_id).first()
    return office_for(unit) if unit is not None else None


def receiving_office(unit_id: int) -> Unit | None:
    """``office_for`` the unit UNIT_ID, remembered in the configuration snapshot (demands.cache)."""
    office: Unit | None = cache.office_for(unit_id, _office_of_unit_id)
    return office


def _format_number(day: dt.date, last: int) -> str:
    return f"SQ{day:%Y%m%d}{last:04d}"


def next_number(now: dt.datetime, count: int = 1) -> str:
    """SQ + local date + a per-day sequence (4 digits, more when needed); safe under concurrency.

    Takes COUNT consecutive numbers and returns the first. The day's counter row stays locked until the
    transaction commits (on PostgreSQL submissions take their numbers in ``_insert_numbered`` instead).
    """
    day = now.astimezone(clocks.TZ).date()
    q = connection.ops.quote_name
    table, day_col, last_col = q(DemandCounter._meta.db_table), q("day"), q("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({day_col}, {last_col}) VALUES (%s, %s) "  # noqa: S608 - quoted names
            f"ON CONFLICT ({day_col}) DO UPDATE SET {last_col} = {table}.{last_col} + %s RETURNING {last_col}",
            [day.isoformat(), count, count],
        )
        last = int(cursor.fetchone()[0])
    return _format_number(day, last - count + 1)


def _allocate_ids(count: int) -> list[tuple[int, int]]:
    """COUNT new (demand id, event id) pairs from the tables' sequences (PostgreSQL), before the rows are
    inserted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')), nextval(pg_get_serial_sequence(%s, 'id'))"
            " FROM generate_series(1, %s)",
            [Demand._meta.db_table, DemandEvent._meta.db_table, count],
        )
        return [(int(row[0]), int(row[1])) for row in cursor.fetchall()]


def _insert_numbered(demands: Sequence[Demand], events: Sequence[DemandEvent], now: dt.datetime) -> None:
    """INSERT DEMANDS (ids allocated, numbers unset) numbered consecutively for NOW's day, with their
    EVENTS (ids allocated), in one statement (PostgreSQL).

    The statement inserts the events, bumps the day's counter and inserts the demands with their
    numbers; the rows travel as JSON parameters typed by the tables' own row types
    (``jsonb_populate_recordset``), so the statement text is the same for any number of rows. The counter
    row stays locked from this statement until the commit, so the submission runs it as late as it can:
    only the audit and outbox rows, which quote the numbers, follow it.
    """
    day = now.astimezone(clocks.TZ).date()
    fields = [f for f in Demand._meta.concrete_fields if f.name != "number"]
    rows = [{f.column: f.get_db_prep_save(f.pre_save(d, True), connection) for f in fields} for d in demands]
    with connection.cursor() as cursor:
        cursor.execute(
            _numbered_insert_sql(),
            [
                _EVENTS.param(events),
                day,
                len(demands),
                f"SQ{day:%Y%m%d}",
                len(demands),
                json.dumps(rows, default=_json_value),
            ],
        )
        numbers = dict(cursor.fetchall())
    for event in events:
        event._state.adding = False
        event._state.db = connection.alias
    for demand in demands:
        demand.number = numbers[demand.pk]
        demand._state.adding = False
        demand._state.db = connection.alias


def _json_value(value: Any) -> str:
    """Values for the JSON rows of ``_insert_numbered``: full precision (DjangoJSONEncoder would cut
    microseconds)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


class _LazyInsert:
    """A ``JsonInsert`` built at first use (it reads the connection's quoting)."""

    def __init__(self, model: Any, **kw: Any) -> None:
        self.model, self.kw = model, kw

    @functools.cached_property
    def _insert(self) -> JsonInsert:
        return JsonInsert(self.model, **self.kw)

    @property
    def sql(self) -> str:
        return self._insert.sql

    def param(self, objs: Sequence[Any]) -> str:
        return self._insert.param(objs)


_EVENTS = _LazyInsert(DemandEvent, with_pk=True)
_AUDIT = _LazyInsert(AuditEvent, with_pk=False)
_OUTBOX = _LazyInsert(Outbox, with_pk=False, ignore_conflicts=True)


@functools.cache
def _numbered_insert_sql() -> str:
    q = connection.ops.quote_name
    counter, table = q(DemandCounter._meta.db_table), q(Demand._meta.db_table)
    columns = [q(f.column) for f in Demand._meta.concrete_fields if f.name != "number"]
    seq = "(b.base + r.ordinality)::text"
    return (
        f"WITH ev AS ({_EVENTS.sql}),"  # noqa: S608 - quoted names only
        f" n AS (INSERT INTO {counter} (day, last) VALUES (%s, %s)"
        f" ON CONFLICT (day) DO UPDATE SET last = {counter}.last + EXCLUDED.last RETURNING last)"
        f" INSERT INTO {table} ({', '.join(columns)}, {q('number')})"
        f" SELECT {', '.join('r.' + c for c in columns)},"
        f" %s || lpad({seq}, greatest(4, length({seq})), '0')"
        " FROM (SELECT last - %s AS base FROM n) AS b,"
        f" jsonb_populate_recordset(NULL::{table}, %s::jsonb) WITH ORDINALITY AS r"
        f" RETURNING {q('id')}, {q('number')}"
    )


@dataclass
class SubmitData:
    category: Category | None
    demand_type: str
    title: str
    description: str
    urgency: str = Urgency.NORMAL
    channel: str = Channel.SELF
    enterprise: Enterprise | None = None
    contact_name: str = ""
    contact_phone: str = ""
    hide_below_tier: int | None = None
    external_ref: str | None = None
    files: Sequence[UploadedFile] = ()
    # Staff may name the enterprise by id instead (the API): loaded and scope-checked in one query.
    enterprise_id: int | None = None


def _may_submit(user: Any) -> None:
    if user.enterprise_id:
        if not user.has_role(Role.ENTERPRISE):
            raise NotAllowed("无权提交诉求")
    else:
        require(user, "demands.submit")


def _check_fields(user: Any, data: SubmitData) -> dict[str, str]:
    """Field errors of DATA (normalising it in place); no query."""
    errors: dict[str, str] = {}
    if user.enterprise_id and data.channel != Channel.SELF:
        data.channel = Channel.SELF
    if data.category is None or not data.category.is_active:
        errors["category"] = "请选择诉求分类"
    if data.demand_type not in DemandType.values:
        errors["demand_type"] = "请选择诉求类型"
    if data.urgency not in Urgency.values:
        errors["urgency"] = "请选择紧急程度"
    if data.channel not in Channel.values:
        errors["channel"] = "请选择来源渠道"
    data.title = (data.title or "").strip()
    data.description = (data.description or "").strip()
    if not data.title:
        errors["title"] = "请填写标题"
    elif len(data.title) > 100:
        errors["title"] = "标题不能超过100个字"
    if not data.description:
        errors["description"] = "请填写诉求内容"
    elif len(data.description) > DESCRIPTION_MAX:
        errors["description"] = f"诉求内容不能超过{DESCRIPTION_MAX}个字（现为{len(data.description)}个字）"
    data.contact_name = (data.contact_name or "").strip()
    data.contact_phone = (data.contact_phone or "").strip()
    if not data.contact_name:
        errors["contact_name"] = "请填写联系人"
    if not (data.contact_phone.isdigit() and 7 <= len(data.contact_phone) <= 12):
        errors["contact_phone"] = "请填写正确的联系电话（手机号或固定电话，数字）"
    if data.hide_below_tier is not None and data.hide_below_tier not in (Tier.PREFECTURE, Tier.COUNTY):
        errors["hide_below_tier"] = "请选择州级或县级"
    if len(data.files) > MAX_ATTACHMENTS:
        errors["files"] = f"附件最多{MAX_ATTACHMENTS}个"
    ref = (data.external_ref or "").strip()
    data.external_ref = ref or None
    if len(ref) > 64:
        errors["external_ref"] = "外部编号不能超过64个字符"
    return errors


ENTERPRISE_OUT_OF_SCOPE = "请选择本辖区内的企业"


def _validate_submit(user: Any, data: SubmitData) -> Enterprise:
    errors = _check_fields(user, data)
    enterprise: Enterprise | None
    if user.enterprise_id:
        enterprise = user.enterprise
    else:
        key = _enterprise_key(data)
        enterprise = _visible_enterprises(user, data).get(key) if key is not None else None
        if enterprise is None:
            errors["enterprise"] = ENTERPRISE_OUT_OF_SCOPE
    if errors:
        raise ValidationError(errors)
    assert enterprise is not None
    return enterprise


def _enterprise_key(data: SubmitData) -> int | None:
    return data.enterprise.pk if data.enterprise is not None else data.enterprise_id


def _visible_enterprises(user: Any, *items: SubmitData) -> dict[int, Enterprise]:
    """The enterprises named by ITEMS that USER may submit for, by id: one query for all of them."""
    given = {d.enterprise.pk: d.enterprise for d in items if d.enterprise is not None}
    wanted = {k for k in (_enterprise_key(d) for d in items) if k is not None}
    if not wanted:
        return {}
    if not given and len(wanted) == 1 and user.unit_id and not user.enterprise_id and user.is_active:
        (pk,) = wanted
        found = _enterprise_in_scope(user, pk)
        return {pk: found} if found is not None else {}
    visible = Enterprise.objects.visible_to(user).filter(pk__in=wanted)
    if given and set(given) == wanted:  # already loaded: only check the scope
        ok = set(visible.values_list("pk", flat=True))
        return {pk: e for pk, e in given.items() if pk in ok}
    # A submission reads the name (event, message, response) and the registered unit (office) only.
    return {e.pk: e for e in visible.only("id", "name", "registered_unit_id")}


@functools.cache
def _enterprise_in_scope_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    ent, unit = q(Enterprise._meta.db_table), q(Unit._meta.db_table)
    return (
        f"SELECT e.{q('id')}, e.{q('name')}, e.{q('registered_unit_id')} FROM {ent} e"  # noqa: S608 - quoted names
        f" JOIN {unit} u ON u.{q('id')} = e.{q('registered_unit_id')}"
        f" WHERE e.{q('id')} = %s AND u.{q('path')} LIKE %s"
    )


def _enterprise_in_scope(user: Any, pk: int) -> Enterprise | None:
    """``Enterprise.objects.visible_to(user).filter(pk=pk)`` for a staff USER (the declared rule: registered
    in the subtree of the user's scope unit) as one prepared statement: the single submission's check,
    whose queryset cost more to build than to run. Loads the id, name and registered unit only."""
    path = user.scope_unit.path
    assert path.isdigit()  # zero-padded ids: nothing to escape in the LIKE pattern
    with connection.cursor() as cursor:
        cursor.execute(_enterprise_in_scope_sql(connection.vendor), [pk, f"{path}%"])
        row = cursor.fetchone()
    if row is None:
        return None
    return Enterprise.from_db(connection.alias, ["id", "name", "registered_unit_id"], list(row))


def _office_for_submission(user: Any, enterprise: Enterprise) -> Unit:
    unit_id = enterprise.registered_unit_id if user.enterprise_id else user.unit_id
    office = receiving_office(unit_id)
    if office is None:
        raise ValidationError({"enterprise": "该企业所在地区尚未设置受理机构"})
    return office


def _new_demand(
    user: Any, data: SubmitData, enterprise: Enterprise, office: Unit, now: dt.datetime
) -> Demand:
    """The unsaved demand for DATA (numbered when written), its clocks set from the snapshot."""
    config = cache.settings()
    policy = sla_for(data.demand_type, data.urgency)
    accept = clocks.compute_deadline(now, policy.accept_days, config.warn_share)
    demand = Demand(
        number="",  # given with the insert (next_number / _insert_numbered)
        external_ref=data.external_ref or None,
        enterprise=enterprise,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        channel=data.channel,
        demand_type=data.demand_type,
        category=data.category,
        title=data.title,
        description=data.description,
        urgency=data.urgency,
        hide_below_tier=data.hide_below_tier,
        status=Status.SUBMITTED,
        receiving_unit=office,
        coordinating_unit=office,
        submitted_by=user,
        created_at=now,
        accept_days=policy.accept_days,
        sign_days=policy.sign_days,
        return_days=policy.return_days,
        handle_days=policy.handle_days,
        max_handle_days=policy.max_handle_days,
        accept_due_at=accept.due_at,
        accept_warn_at=accept.warn_at,
        provisional=accept.provisional,
    )
    clocks.refresh_running(demand)
    return demand


def _submit_event(user: Any, demand: Demand, enterprise: Enterprise) -> DemandEvent:
    unit = getattr(user, "unit", None)
    return DemandEvent(
        demand=demand,
        at=demand.created_at,
        actor=user,
        actor_name=str(user)[:50],
        actor_unit=unit.name if unit is not None else enterprise.name,
        action=Action.SUBMIT,
        from_status="",
        to_status=Status.SUBMITTED,
        note="",
        public=True,
        data={"channel": demand.channel},
    )


def _submit_audit(user: Any, demand: Demand) -> AuditEvent:
    """The audit row ``audit.record`` writes for a submission, unsaved (to insert many at once)."""
    ctx = context.current()
    return AuditEvent(
        at=timezone.now(),
        actor=user,
        actor_name=user.get_username(),
        action=AuditAction.WORKFLOW,
        object_type=Demand._meta.label_lower,
        object_id=str(demand.pk),
        object_repr=str(demand)[:200],
        changes={"status": ["", Status.SUBMITTED]},
        detail=f"提交 {demand.number}",
        request_id=ctx.request_id,
        ip=ctx.ip,
    )


def _submit_message(demand: Demand, enterprise: Enterprise) -> tuple[str, str]:
    who = enterprise.name if demand.hide_below_tier is None else "企业"
    return f"新诉求{demand.number}待受理", f"{who}提交诉求「{demand.title}」，请及时受理。"


@dataclass
class _Submission:
    """One demand about to be written, with its event, attachments and the office users to notify."""

    demand: Demand
    event: DemandEvent
    enterprise: Enterprise
    recipients: list[User]
    files: Sequence[UploadedFile] = ()
    checked: Sequence[tuple[str, str]] = ()


def _write(user: Any, items: Sequence[_Submission], now: dt.datetime) -> None:
    """Write ITEMS (validated, unsaved): demands, events, attachments, numbers, audit and outbox rows.

    PostgreSQL: the demands' and events' ids are allocated first (foreign keys are checked at commit),
    attachments are stored, then one statement inserts the events, takes the numbers and inserts the
    demands, and one more the audit and outbox rows, which quote the numbers (``core.rows.JsonInsert``).
    The demands' pre_save/post_save signals are sent as ``Model.save`` would send them. Elsewhere (SQLite, whose writers are serialised anyway) the
    numbers are taken first and the rows saved one by one.
    """
    demands = [i.demand for i in items]
    for item in items:
        item.event.demand = item.demand
    if connection.vendor == "postgresql":
        for item, (pk, event_pk) in zip(items, _allocate_ids(len(items)), strict=True):
            item.demand.pk = pk
            item.event.pk = event_pk
            pre_save.send(
                sender=Demand, instance=item.demand, raw=False, using=connection.alias, update_fields=None
            )
        _store_attachments(user, items)
        _insert_numbered(demands, [i.event for i in items], now)
        for demand in demands:
            post_save.send(
                sender=Demand,
                instance=demand,
                created=True,
                update_fields=None,
                raw=False,
                using=connection.alias,
            )
    else:
        day = now.astimezone(clocks.TZ).date()
        first = int(next_number(now, len(items))[10:])
        for position, demand in enumerate(demands):
            demand.number = _format_number(day, first + position)
            demand.save()
        DemandEvent.objects.bulk_create([i.event for i in items])
        _store_attachments(user, items)
    audits = [_submit_audit(user, d) for d in demands]
    rows: list[Outbox] = []
    for item in items:
        subject, body = _submit_message(item.demand, item.enterprise)
        rows += notifications.outbox_rows(
            item.recipients, subject, body, key=f"ev{item.event.pk}", demand=item.demand
        )
    if connection.vendor == "postgresql":  # both in one statement (the rows' ids are not needed)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH a AS ({_AUDIT.sql}) {_OUTBOX.sql}", [_AUDIT.param(audits), _OUTBOX.param(rows)]
            )
    else:
        AuditEvent.objects.bulk_create(audits)
        notifications.write(rows)


def _store_attachments(user: Any, items: Sequence[_Submission]) -> None:
    for item in items:
        for upload, (ext, ctype) in zip(item.files, item.checked, strict=True):
            _store_attachment(user, item.demand, upload, ext, ctype, public=True)


@transaction.atomic
def submit(user: Any, data: SubmitData) -> Demand:
    """提交: by an enterprise user (its own enterprise) or by staff on an enterprise's behalf → 待受理.

    Writes the demand with its number, its event, the audit row and the office's outbox rows
    (``_write``: the number is taken as late as possible, the day's counter row stays locked from there
    to the commit).
    """
    _may_submit(user)
    enterprise = _validate_submit(user, data)
    office = _office_for_submission(user, enterprise)
    checked = [check_upload(f) for f in data.files]
    now = timezone.now()
    demand = _new_demand(user, data, enterprise, office, now)
    recipients = office_recipients(office.pk)
    item = _Submission(
        demand, _submit_event(user, demand, enterprise), enterprise, recipients, data.files, checked
    )
    _write(user, [item], now)
    return demand


def _existing_by_ref(user: Any, ref: str) -> Demand:
    existing = Demand.objects.visible_to(user).filter(external_ref=ref).first()
    if existing is None:
        raise ValidationError({"external_ref": "该外部编号已被其他机构使用"})
    return existing


def submit_external(user: Any, data: SubmitData) -> tuple[Demand, bool]:
    """12345 intake: the same external reference always answers the same demand (created: False).

    A repeated reference is found by the unique constraint at the insert (no look-up before it): the
    submission rolls back and the existing demand is returned, or refused when it is outside the
    caller's scope.
    """
    ref = (data.external_ref or "").strip()
    data.external_ref = ref or None
    try:
        return submit(user, data), True
    except IntegrityError:
        if not ref or not Demand.objects.filter(external_ref=ref).exists():
            raise
        return _existing_by_ref(user, ref), False


BATCH_MAX = 100


class BatchInvalid(Exception):
    """Items of a batch are invalid, so nothing was written. ``errors``: item index → field → message."""

    def __init__(self, errors: dict[int, dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


@dataclass
class BatchItem:
    demand: Demand
    created: bool


def submit_batch(user: Any, items: Sequence[SubmitData]) -> list[BatchItem]:
    """12345 intake of up to ``BATCH_MAX`` demands in one transaction, all or nothing.

    Every item needs its external reference and is idempotent by it: a reference already submitted
    answers its demand (``created`` False), a new one is submitted as ``submit`` would (demand, event,
    number, audit row, the office's outbox rows), with a few statements for the whole batch. Any invalid
    item (fields, enterprise out of scope, a reference repeated in the batch or used by another office)
    raises ``BatchInvalid`` with every item's errors and writes nothing. A concurrent intake of the same
    reference is caught by the unique constraint: the batch is retried once and then finds it.
    """
    for attempt in range(2):
        try:
            return _submit_batch(user, items)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _submit_batch(user: Any, items: Sequence[SubmitData]) -> list[BatchItem]:
    _may_submit(user)
    if not 1 <= len(items) <= BATCH_MAX:
        raise ValidationError({"demands": f"每批 1–{BATCH_MAX} 件诉求"})
    errors: dict[int, dict[str, str]] = {}
    first_of: dict[str, int] = {}
    for index, data in enumerate(items):
        found = _check_fields(user, data)
        if data.files:
            found["files"] = "批量提交不支持附件"
        ref = data.external_ref
        if not ref:
            found["external_ref"] = "批量提交须填写外部编号"
        elif ref in first_of:
            found["external_ref"] = f"与第{first_of[ref] + 1}件的外部编号重复"
        else:
            first_of[ref] = index
        if found:
            errors[index] = found
    if user.enterprise_id:
        enterprises = {user.enterprise_id: user.enterprise}
    else:
        enterprises = _visible_enterprises(user, *items)
    existing = _existing_by_refs(user, list(first_of))
    offices: dict[int, Unit] = {}
    for index, data in enumerate(items):
        key = user.enterprise_id or _enterprise_key(data)
        enterprise = enterprises.get(key) if key is not None else None
        ref = data.external_ref or ""
        if ref in existing and existing[ref] is None:
            errors.setdefault(index, {})["external_ref"] = "该外部编号已被其他机构使用"
        if enterprise is None:
            errors.setdefault(index, {})["enterprise"] = ENTERPRISE_OUT_OF_SCOPE
        elif ref not in existing:
            try:
                offices[index] = _office_for_submission(user, enterprise)
            except ValidationError as exc:
                errors.setdefault(index, {}).update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise BatchInvalid(errors)
    now = timezone.now()
    recipients = {pk: office_recipients(pk) for pk in {o.pk for o in offices.values()}}
    results: list[BatchItem] = []
    fresh: list[_Submission] = []
    for index, data in enumerate(items):
        old = existing.get(data.external_ref or "")
        if old is not None:
            results.append(BatchItem(old, False))
            continue
        enterprise = enterprises[user.enterprise_id or _enterprise_key(data)]
        office = offices[index]
        demand = _new_demand(user, data, enterprise, office, now)
        event = _submit_event(user, demand, enterprise)
        fresh.append(_Submission(demand, event, enterprise, recipients.get(office.pk, [])))
        results.append(BatchItem(demand, True))
    if fresh:
        _write(user, fresh, now)
    return results


def _existing_by_refs(user: Any, refs: list[str]) -> dict[str, Demand | None]:
    """Demands already submitted under REFS: the demand when USER may see it, else None."""
    if not refs:
        return {}
    found = {
        str(ref): pk
        for ref, pk in Demand.objects.filter(external_ref__in=refs).values_list("external_ref", "pk")
    }
    if not found:
        return {}
    visible = {d.pk: d for d in Demand.objects.visible_to(user).filter(pk__in=found.values())}
    return {ref: visible.get(pk) for ref, pk in found.items()}


MAX_ATTACHMENT_BYTES = 10 * uploads.MB


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """(extension, content type) of an allowed attachment (qinqing.core.uploads: checked by content)."""
    checked = uploads.check_upload(
        upload, allowed=uploads.DOCUMENTS, max_bytes=MAX_ATTACHMENT_BYTES, field="files"
    )
    return checked.extension, checked.content_type


def _store_attachment(
    user: Any, demand: Demand, upload: UploadedFile, ext: str, ctype: str, public: bool
) -> None:
    att = Attachment(
        demand=demand,
        token=secrets.token_hex(16),
        name=uploads.safe_name(upload.name),
        extension=ext,
        content_type=ctype,
        size=upload.size or 0,
        uploaded_by=user,
        public=public,
    )
    upload.seek(0)
    att.file.save(f"{att.token}{ext}", upload, save=False)
    att.save()


# --- the actions --------------------------------------------------------------------------------------------
@transaction.atomic
def accept(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    """受理 → 待交办; starts the 办结 clock."""
    s = _begin(user, demand_id, Action.ACCEPT, version)
    d = s.demand
    d.status = Status.ACCEPTED
    d.accept_decided_at = s.now
    d.accepted_on_time = s.now <= d.accept_due_at
    d.handle_started_at = s.now
    clocks.set_handle_deadline(d, s.config)
    _finish(s, note=note.strip(), notify=enterprise_users(d))
    return d


@transaction.atomic
def reject(user: Any, demand_id: int, version: int, *, reason: str = "", note: str = "") -> Demand:
    """不予受理 with a reason from the list (DOMAIN.md §2)."""
    s = _begin(user, demand_id, Action.REJECT, version)
    _choice(reason, RejectReason, "reason", "请选择不予受理的理由")
    d = s.demand
    d.status = Status.REJECTED
    d.reject_reason = reason
    d.accept_decided_at = s.now
    d.accepted_on_time = s.now <= d.accept_due_at
    text = RejectReason(reason).label + (f"：{note.strip()}" if note.strip() else "")
    _finish(s, note=text, data={"reason": reason}, notify=enterprise_users(d))
    return d


@transaction.atomic
def dispatch(
    user: Any,
    demand_id: int,
    version: int,
    *,
    lead_unit: Unit | None = None,
    assisting_units: Sequence[Unit] = (),
    note: str = "",
) -> Demand:
    """交办 to a lead unit (主办) and optional assisting units (协办) → 待签收."""
    s = _begin(user, demand_id, Action.DISPATCH, version)
    d = s.demand
    allowed = dispatch_choices(d)
    if lead_unit is None or not allowed.filter(pk=lead_unit.pk).exists():
        raise ValidationError({"lead_unit": "请选择本辖区内的主办单位"})
    assisting = [u for u in assisting_units if u.pk != lead_unit.pk]
    if assisting and allowed.filter(pk__in=[u.pk for u in assisting]).count() != len(
        {u.pk for u in assisting}
    ):
        raise ValidationError({"assisting_units": "协办单位须在本辖区内"})
    d.lead_unit = lead_unit
    d.transferred_from = None
    d.current_handler = None
    _start_sign_clock(d, s)
    d.status = Status.DISPATCHED
    DemandAssist.objects.filter(demand=d).delete()
    DemandAssist.objects.bulk_create(
        [DemandAssist(demand=d, unit=u) for u in {u.pk: u for u in assisting}.values()]
    )
    data = {"lead_unit": lead_unit.name, "assisting_units": [u.name for u in assisting]}
    recipients = lead_users(d) + [
        x for u in assisting for x in _unit_users(u.pk, [Role.UNIT_HEAD, Role.DISPATCHER])
    ]
    _finish(s, note=note.strip() or f"交办{lead_unit.name}办理", data=data, notify=recipients)
    return d


def _start_sign_clock(d: Demand, s: Step) -> None:
    sign = clocks.compute_deadline(s.now, d.sign_days, s.config.warn_share)
    d.dispatched_at = s.now
    d.sign_due_at, d.sign_warn_at = sign.due_at, sign.warn_at
    d.return_due_at = deadline_end(s.now, d.return_days).at
    d.signed_at = None
    d.signed_on_time = None
    d.dispatch_count += 1
    d.provisional = d.provisional or sign.provisional


@transaction.atomic
def sign(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    """签收 by the lead unit → 办理中 (首接负责制: from now on it cannot be returned)."""
    s = _begin(user, demand_id, Action.SIGN, version)
    d = s.demand
    d.status = Status.HANDLING
    d.signed_at = s.now
    d.signed_on_time = d.sign_due_at is None or s.now <= d.sign_due_at
    _finish(s, note=note.strip(), notify=office_users(d))
    return d


@transaction.atomic
def return_(user: Any, demand_id: int, version: int, *, reason: str = "", note: str = "") -> Demand:
    """退回 with a reason within the return limit: back to the dispatcher (or to the transferring unit)."""
    s = _begin(user, demand_id, Action.RETURN, version)
    d = s.demand
    if d.return_due_at is not None and s.now > d.return_due_at:
        raise ActionRefused(f"已超过退回时限（{d.return_days}个工作日），请签收办理或申请提级")
    _choice(reason, ReturnReason, "reason", "请选择退回理由")
    note = _required(note, "note", "请说明退回理由")
    d.return_count += 1
    back_to = d.transferred_from
    data = {"reason": reason, "from_unit": d.lead_unit.name if d.lead_unit else ""}
    if back_to is not None:
        d.lead_unit = back_to
        d.transferred_from = None
        d.status = Status.HANDLING
        recipients = _unit_users(back_to.pk, [Role.UNIT_HEAD, Role.DISPATCHER])
    else:
        d.lead_unit = None
        d.status = Status.ACCEPTED
        DemandAssist.objects.filter(demand=d).delete()
        recipients = office_users(d)
    d.current_handler = None
    d.sign_due_at = d.sign_warn_at = d.return_due_at = None
    _finish(s, note=f"{ReturnReason(reason).label}：{note}", data=data, notify=recipients)
    return d


@transaction.atomic
def assign(user: Any, demand_id: int, version: int, *, handler: User | None = None, note: str = "") -> Demand:
    """分派 to a handler of the lead unit."""
    s = _begin(user, demand_id, Action.ASSIGN, version)
    d = s.demand
    if handler is None or not handler_choices(d).filter(pk=handler.pk).exists():
        raise ValidationError({"handler": "请选择本单位的承办人"})
    d.current_handler = handler
    _finish(s, note=note.strip() or f"分派{handler}办理", data={"handler": str(handler)}, notify=[handler])
    return d


@transaction.atomic
def transfer(user: Any, demand_id: int, version: int, *, unit: Unit | None = None, note: str = "") -> Demand:
    """转办 to a subordinate unit → 待签收 by that unit."""
    s = _begin(user, demand_id, Action.TRANSFER, version)
    d = s.demand
    if unit is None or not transfer_choices(d).filter(pk=unit.pk).exists():
        raise ValidationError({"unit": "只能转办给下级单位"})
    d.transferred_from = d.lead_unit
    d.lead_unit = unit
    d.current_handler = None
    _start_sign_clock(d, s)
    d.status = Status.DISPATCHED
    data = {"from_unit": d.transferred_from.name if d.transferred_from else "", "to_unit": unit.name}
    _finish(s, note=note.strip() or f"转办{unit.name}", data=data, notify=lead_users(d))
    return d


@transaction.atomic
def escalate(user: Any, demand_id: int, version: int, *, reason: str = "") -> Demand:
    """提级 to the upper level (乡镇/部门 → 县市/园区 → 州), which coordinates and re-assigns."""
    s = _begin(user, demand_id, Action.ESCALATE, version)
    reason = _required(reason, "reason", "请说明提级理由")
    d = s.demand
    party = Party.LEAD if Party.LEAD in s.party and d.status == Status.HANDLING else Party.OFFICE
    target = escalation_target(d, party)
    if target is None:
        raise ActionRefused("已是最高层级，无法提级")
    _escalate_to(s, target, reason)
    return d


@transaction.atomic
def escalate_by_rule(actor: Any, demand_id: int, *, to_unit: Unit, reason: str) -> Demand:
    """提级 decided by a rule (a periodic job, a joint meeting): no version check and no party check;
    the caller has decided. ACTOR may be None (the system). The demand must still be open."""
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("coordinating_unit", "lead_unit")
        .get(pk=demand_id)
    )
    if demand.status not in (Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING):
        raise ActionRefused(f"诉求当前状态为“{demand.get_status_display()}”，不能提级")
    reason = _required(reason, "reason", "请说明提级理由")
    if to_unit is None or not to_unit.coordinates_parent:
        raise ValidationError({"to_unit": "只能提级至上级受理机构"})
    s = Step(actor, demand, Action.ESCALATE, set(), demand.status, timezone.now(), cache.settings())
    _escalate_to(s, to_unit, reason, by_rule=True)
    return demand


def _escalate_to(s: Step, target: Unit, reason: str, by_rule: bool = False) -> None:
    d = s.demand
    data: dict[str, Any] = {"from_unit": (d.lead_unit or d.coordinating_unit).name, "to_unit": target.name}
    if by_rule:
        data["by_rule"] = True
    d.coordinating_unit = target
    d.lead_unit = None
    d.transferred_from = None
    d.current_handler = None
    d.sign_due_at = d.sign_warn_at = d.return_due_at = None
    d.status = Status.ACCEPTED
    d.escalation_count += 1
    DemandAssist.objects.filter(demand=d).delete()
    _finish(s, note=f"提级至{target.name}：{reason}", data=data, notify=office_users(d), public=False)


@transaction.atomic
def request_extension(
    user: Any, demand_id: int, version: int, *, days: int | str = 0, reason: str = ""
) -> Demand:
    """申请延期, approved or refused by the assigning office."""
    s = _begin(user, demand_id, Action.REQUEST_EXTENSION, version)
    d = s.demand
    if d.extension_requested_days:
        raise ActionRefused("已有延期申请待审批")
    reason = limited(_required(reason, "reason", "请说明延期理由"), "reason", "延期理由", 200)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": "请填写延期天数"}) from None
    room = d.max_handle_days - d.handle_days - d.extension_days
    if days < 1 or days > room:
        raise ValidationError(
            {"days": f"延期天数应为 1–{max(room, 0)} 个工作日（最长{d.max_handle_days}个工作日）"}
        )
    d.extension_requested_days = days
    d.extension_reason = reason
    _finish(s, note=f"申请延期{days}个工作日：{reason}", data={"days": days}, notify=office_users(d))
    return d


@transaction.atomic
def approve_extension(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    s = _begin(user, demand_id, Action.APPROVE_EXTENSION, version)
    d = s.demand
    if not d.extension_requested_days:
        raise ActionRefused("没有待审批的延期申请")
    days = d.extension_requested_days
    d.extension_days += days
    d.extension_requested_days = None
    clocks.set_handle_deadline(d, s.config)
    text = f"同意延期{days}个工作日，办结期限延至{timezone.localtime(d.handle_due_at):%Y-%m-%d}"
    _finish(
        s,
        note=(text + f"。{note.strip()}") if note.strip() else text,
        data={"days": days},
        notify=handler_users(d),
    )
    return d


@transaction.atomic
def refuse_extension(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    s = _begin(user, demand_id, Action.REFUSE_EXTENSION, version)
    d = s.demand
    if not d.extension_requested_days:
        raise ActionRefused("没有待审批的延期申请")
    note = _required(note, "note", "请说明不予延期的理由")
    days = d.extension_requested_days
    d.extension_requested_days = None
    _finish(s, note=f"不同意延期：{note}", data={"days": days}, notify=handler_users(d))
    return d


@transaction.atomic
def suspend(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    """挂起 while waiting for the enterprise's materials: the 办结 clock pauses."""
    s = _begin(user, demand_id, Action.SUSPEND, version)
    note = _required(note, "note", "请说明需要企业补充的材料")
    d = s.demand
    d.status = Status.SUSPENDED
    d.suspended_at = s.now
    _finish(s, note=note, notify=enterprise_users(d))
    return d


@transaction.atomic
def resume(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    """恢复: the working days spent suspended extend the 办结 deadline."""
    s = _begin(user, demand_id, Action.RESUME, version)
    d = s.demand
    assert d.suspended_at is not None
    paused = max(0, clocks.working_days(d.suspended_at, s.now))
    d.paused_days += paused
    d.paused_days_total += paused
    d.suspended_at = None
    d.status = Status.HANDLING
    clocks.set_handle_deadline(d, s.config)
    _finish(
        s,
        note=note.strip() or f"恢复办理（挂起{paused}个工作日，不计入办理时限）",
        data={"paused_days": paused},
    )
    return d


@transaction.atomic
def supplement(
    user: Any, demand_id: int, version: int, *, note: str = "", files: Sequence[UploadedFile] = ()
) -> Demand:
    """补充材料 by the enterprise (text and/or attachments)."""
    s = _begin(user, demand_id, Action.SUPPLEMENT, version)
    d = s.demand
    note = (note or "").strip()
    if not note and not files:
        raise ValidationError({"note": "请填写补充说明或上传材料"})
    if len(note) > DESCRIPTION_MAX:
        raise ValidationError({"note": f"补充说明不能超过{DESCRIPTION_MAX}个字"})
    if d.attachments.count() + len(files) > MAX_ATTACHMENTS * 2:
        raise ValidationError({"files": "附件数量已达上限"})
    checked = [check_upload(f) for f in files]
    for upload, (ext, ctype) in zip(files, checked, strict=True):
        _store_attachment(user, d, upload, ext, ctype, public=True)
    recipients = handler_users(d) if d.lead_unit_id else office_users(d)
    _finish(
        s,
        note=note or "补充了材料",
        data={"files": [uploads.safe_name(f.name) for f in files]},
        notify=recipients,
    )
    return d


@transaction.atomic
def opinion(user: Any, demand_id: int, version: int, *, text: str = "") -> Demand:
    """协办意见: an assisting unit's opinion to the lead unit."""
    s = _begin(user, demand_id, Action.OPINION, version)
    text = _required(text, "text", "请填写协办意见")
    d = s.demand
    row = DemandAssist.objects.select_for_update().get(demand=d, unit_id=user.unit_id)
    row.opinion, row.opinion_at, row.opinion_by = text, s.now, user
    row.save()
    _finish(s, note=text, data={"unit": user.unit.name}, notify=handler_users(d))
    return d


@transaction.atomic
def reply(user: Any, demand_id: int, version: int, *, outcome: str = "", text: str = "") -> Demand:
    """答复 the enterprise with an outcome → 待评价. Every assisting unit must have given its opinion."""
    s = _begin(user, demand_id, Action.REPLY, version)
    _choice(outcome, Outcome, "outcome", "请选择办理结果")
    text = _required(text, "text", "请填写答复内容")
    if outcome == Outcome.UNRESOLVABLE and len(text) < 10:
        raise ValidationError({"text": "无法解决的，请详细说明理由（不少于10个字）"})
    d = s.demand
    pending = list(d.assists.filter(opinion_at__isnull=True).values_list("unit__name", flat=True))
    if pending:
        raise ActionRefused(f"协办单位尚未提交意见：{'、'.join(pending)}")
    d.status = Status.REPLIED
    d.replied_at = s.now
    d.replied_on_time = d.handle_due_at is None or s.now <= d.handle_due_at
    d.reply_outcome = outcome
    d.reply_text = text
    start = d.accept_decided_at or d.created_at
    d.handle_working_days = max(0, clocks.working_days(start, s.now) - d.paused_days_total)
    d.rating_due_at = deadline_end(s.now, s.config.rating_window_days).at
    _finish(
        s, note=f"【{Outcome(outcome).label}】{text}", data={"outcome": outcome}, notify=enterprise_users(d)
    )
    return d


def _apply_rating(s: Step, rating: int, comment: str, by_follow_up: bool) -> tuple[str, list[Any]]:
    """办结 on a satisfied rating; 重办 (back to the lead unit, counted) on a negative one."""
    d = s.demand
    d.rating = rating
    d.rated_at = s.now
    d.rated_by_follow_up = by_follow_up
    label = Rating(rating).label
    if rating >= SATISFIED_MIN:
        d.status = Status.CLOSED
        d.closed_at = s.now
        d.closed_on_time = bool(d.replied_on_time)
        return f"评价：{label}" + (f"。{comment}" if comment else ""), handler_users(d)
    d.status = Status.HANDLING
    d.redo_count += 1
    d.handle_started_at = s.now
    d.extension_days = 0
    d.paused_days = 0
    d.replied_on_time = None
    d.rating_due_at = None
    # Every real-name negative rating gets a follow-up call.
    d.follow_up_due = d.follow_up_due or (not by_follow_up and d.hide_below_tier is None)
    clocks.set_handle_deadline(d, s.config)
    text = f"评价：{label}，发回重办（第{d.redo_count}次）" + (f"。{comment}" if comment else "")
    return text, handler_users(d) + office_users(d)


@transaction.atomic
def rate(user: Any, demand_id: int, version: int, *, rating: int | str = 0, comment: str = "") -> Demand:
    """评价 by the enterprise on the five-level scale."""
    s = _begin(user, demand_id, Action.RATE, version)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    _choice(rating, Rating, "rating", "请选择评价等级")
    comment = limited(comment, "comment", "评价意见", 500)
    note, recipients = _apply_rating(s, rating, comment, by_follow_up=False)
    _finish(s, note=note, data={"rating": rating, "comment": comment}, notify=recipients)
    return s.demand


@transaction.atomic
def follow_up(
    user: Any, demand_id: int, version: int, *, note: str = "", rating: int | str | None = None
) -> Demand:
    """回访 by the office: records the rating on the enterprise's behalf once the rating window has
    passed, or follows up a negative real-name rating."""
    s = _begin(user, demand_id, Action.FOLLOW_UP, version)
    d = s.demand
    note = _required(note, "note", "请填写回访情况")
    if d.status == Status.REPLIED:
        if d.rating_due_at is not None and s.now <= d.rating_due_at:
            raise ActionRefused(
                f"企业评价期限（{timezone.localtime(d.rating_due_at):%Y-%m-%d}）未到，请等待企业评价"
            )
        try:
            value = int(rating) if rating is not None else 0
        except (TypeError, ValueError):
            value = 0
        _choice(value, Rating, "rating", "请选择回访评价等级")
        text, recipients = _apply_rating(s, value, "", by_follow_up=True)
        _finish(
            s, note=f"回访：{note}；{text}", data={"rating": value, "by_follow_up": True}, notify=recipients
        )
        return d
    if not d.follow_up_due:
        raise ActionRefused("该诉求无需回访")
    d.follow_up_due = False
    _finish(s, note=f"回访：{note}", notify=handler_users(d))
    return d


@transaction.atomic
def remind(user: Any, demand_id: int, version: int, *, note: str = "") -> Demand:
    """催办."""
    s = _begin(user, demand_id, Action.REMIND, version)
    d = s.demand
    note = limited(note, "note", "催办意见", 500) or "请加快办理"
    Supervision.objects.create(
        demand=d, kind=SupervisionKind.REMIND, note=note, issued_by=user, issued_at=s.now
    )
    targets = handler_users(d) + lead_users(d) if d.lead_unit_id else office_users(d)
    _finish(s, note=note, notify=targets)
    return d


def slip_colour(
    d: Demand, now: dt.datetime, config: DemandSettings, poor_quality: bool = False
) -> str | None:
    """督办单 colour: red when overdue more than N working days or redone twice; yellow when overdue or
    of poor quality; blue when the deadline is near (yellow light); None when on track."""
    overdue = clocks.overdue_working_days(d.due_at, now) if d.due_at is not None else 0
    if d.redo_count >= 2 or overdue > config.red_overdue_days:
        return SlipColour.RED
    if (d.due_at is not None and now > d.due_at) or poor_quality:
        return SlipColour.YELLOW
    if d.light_at(now) == Light.YELLOW:
        return SlipColour.BLUE
    return None


@transaction.atomic
def supervise(
    user: Any, demand_id: int, version: int, *, note: str = "", poor_quality: bool = False
) -> Demand:
    """督办单, coloured by the rules in ``slip_colour``."""
    s = _begin(user, demand_id, Action.SUPERVISE, version)
    d = s.demand
    note = limited(_required(note, "note", "请填写督办意见"), "note", "督办意见", 500)
    colour = slip_colour(d, s.now, s.config, poor_quality)
    if colour is None:
        raise ActionRefused("该诉求办理正常，未临近时限，无需督办（可以催办）")
    Supervision.objects.create(
        demand=d, kind=SupervisionKind.SLIP, colour=colour, note=note, issued_by=user, issued_at=s.now
    )
    label = SlipColour(colour).label
    targets = handler_users(d) + lead_users(d) if d.lead_unit_id else office_users(d)
    _finish(
        s, note=f"{label}：{note}", data={"colour": colour}, notify=targets, subject=f"诉求{d.number}{label}"
    )
    return d


# --- one entry point for the API and the pages ---------------------------------------------------------------
HANDLERS: dict[str, Any] = {
    Action.ACCEPT: accept,
    Action.REJECT: reject,
    Action.DISPATCH: dispatch,
    Action.SIGN: sign,
    Action.RETURN: return_,
    Action.ASSIGN: assign,
    Action.TRANSFER: transfer,
    Action.ESCALATE: escalate,
    Action.REQUEST_EXTENSION: request_extension,
    Action.APPROVE_EXTENSION: approve_extension,
    Action.REFUSE_EXTENSION: refuse_extension,
    Action.SUSPEND: suspend,
    Action.RESUME: resume,
    Action.SUPPLEMENT: supplement,
    Action.OPINION: opinion,
    Action.REPLY: reply,
    Action.RATE: rate,
    Action.FOLLOW_UP: follow_up,
    Action.REMIND: remind,
    Action.SUPERVISE: supervise,
}


def perform(user: Any, demand_id: int, action: str, version: int | None, **params: Any) -> Demand:
    func = HANDLERS.get(action)
    if func is None:
        raise Http404("没有该操作")
    result: Demand = func(user, demand_id, version, **params)
    return result


def available_actions(user: Any, demand: Demand, now: dt.datetime | None = None) -> list[str]:
    """Actions USER may take on DEMAND now: the transition table plus the guards users can see."""
    from qinqing.demands.workflow import allowed_actions

    now = now or timezone.now()
    pending = {a.unit_id for a in demand.assists.all() if a.opinion_at is None}
    out: list[str] = []
    for action in allowed_actions(user, demand, pending):
        if action == Action.RETURN and demand.return_due_at is not None and now > demand.return_due_at:
            continue
        if (
            action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION)
            and not demand.extension_requested_days
        ):
            continue
        if action == Action.REQUEST_EXTENSION and demand.extension_requested_days:
            continue
        if action == Action.REPLY and pending:
            continue
        if action == Action.FOLLOW_UP:
            if demand.status == Status.REPLIED:
                if demand.rating_due_at is not None and now <= demand.rating_due_at:
                    continue
            elif not demand.follow_up_due:
                continue
        out.append(action)
    return out


# --- configuration (categories, time limits, warning thresholds) -------------------------------------------
def require_configure(user: Any) -> None:
    require(user, "demands.configure")
    if user.unit is None or not user.unit.coordinates_parent:
        raise NotAllowed("只有受理机构（营商环境服务中心）可以修改诉求配置")


@transaction.atomic
def save_config(user: Any, obj: Any, form: Any) -> Any:
    """Save a validated ModelForm for Category, SlaPolicy or DemandSettings, audited field by field."""
    require_configure(user)
    if obj.pk is not None and type(obj).objects.filter(pk=obj.pk).exists():
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk))
        saved = form.save()
        audit.record_update(user, saved, before)
    else:
        saved = form.save()
        audit.record_create(user, saved)
    return saved
