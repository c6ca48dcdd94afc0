"""Every state change of the promotion app (docs/architecture.md: services).

Leads go into the project library through investment's services (create_project, add_negotiation); this
app only keeps the link (``Touch``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create, record_update, snapshot
from qinqing.calendar.services import add_working_days
from qinqing.core.limits import length_error, limited
from qinqing.core.permissions import require
from qinqing.investment import services as investment
from qinqing.investment.models import Project
from qinqing.orgs.models import Unit
from qinqing.promotion import rules
from qinqing.promotion.models import (
    ZERO,
    NextStep,
    PromotionSettings,
    Reception,
    ReceptionFirm,
    TaskForce,
    TaskForceActivity,
    Touch,
    Trip,
    TripContact,
    TripKind,
    TripLeg,
    YearPlan,
    YearStandard,
)

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"

RECEPTION_FIELDS = (
    "title",
    "start_date",
    "end_date",
    "origin",
    "cluster",
    "delegation_size",
    "delegation_leaders",
    "hosts",
    "accompanying_leaders",
    "itinerary",
    "outcome",
    "meal_yuan",
    "lodging_yuan",
    "lodging_nights",
    "transport_yuan",
)
TRIP_FIELDS = (
    "kind",
    "organiser",
    "task_force",
    "title",
    "province",
    "city",
    "start_date",
    "end_date",
    "participants",
    "participant_names",
    "cluster",
    "summary",
    "transport_yuan",
    "lodging_yuan",
    "other_yuan",
)
TASK_FORCE_FIELDS = ("name", "base_province", "base_city", "start_date", "end_date", "leader", "members")
PLAN_FIELDS = (
    "budget_yuan",
    "target_firms",
    "target_people",
    "target_exhibitions_region",
    "target_exhibitions_department",
    "target_task_forces",
    "target_exchange_meetings",
    "target_work_meetings",
)
STANDARD_FIELDS = (
    "meal_xqz_yuan",
    "meal_other_yuan",
    "transport_xqz_yuan",
    "transport_other_yuan",
    "reception_meal_yuan",
    "reception_lodging_yuan",
    "reception_transport_yuan",
)


class StaleError(ValidationError):
    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE, code="stale")


Source = Reception | Trip | TaskForce


# --- helpers ------------------------------------------------------------------------------------
def _office(user: Any) -> Unit:
    unit = getattr(user, "scope_unit", None)
    if unit is None:
        raise PermissionDenied("您没有所属单位，不能登记")
    return unit


def _in_scope(user: Any, unit: Unit) -> None:
    scope = getattr(user, "scope_unit", None)
    if scope is None or not unit.path.startswith(scope.path):
        raise PermissionDenied("该记录不在您的数据范围内")


def _bump(model: type[models.Model], pk: int, expected_version: int, **values: Any) -> None:
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise StaleError()


def _firm_rows(user: Any, firms: Sequence[Mapping[str, Any]]) -> list[ReceptionFirm]:
    """The visiting firms; one whose credit code is in the enterprise registry (within scope) is linked."""
    from qinqing.enterprises.models import Enterprise

    rows: list[ReceptionFirm] = []
    errors: list[str] = []
    for i, firm in enumerate(firms, start=1):
        enterprise = firm.get("enterprise")
        code = (firm.get("credit_code") or "").strip().upper()
        if code:
            from qinqing.enterprises import creditcode

            result = creditcode.check(code)
            if not result.ok:
                errors.append(f"第{i}家企业：{result.error or '统一社会信用代码有误'}")
                continue
            code = result.code
            if enterprise is None:
                enterprise = Enterprise.objects.visible_to(user).filter(credit_code=code).first()
        too_long = [
            message
            for key, label, limit in (("name", "企业名称", 200), ("origin", "来源地", 40))
            if (message := length_error(firm.get(key), label, limit))
        ]
        if too_long:
            errors += [f"第{i}家企业：{m}" for m in too_long]
            continue
        name = (firm.get("name") or "").strip() or (enterprise.name if enterprise else "")
        if not name:
            if code:
                errors.append(f"第{i}家企业：企业库中没有该统一社会信用代码，请填写企业名称")
            continue
        rows.append(
            ReceptionFirm(
                enterprise=enterprise,
                name=name,
                credit_code=code,
                origin=(firm.get("origin") or "").strip(),
            )
        )
    if errors:
        raise ValidationError({"firms": errors})
    if not rows:
        raise ValidationError({"firms": "请至少填写一家来访企业"})
    return rows


def _reception_costs(reception: Reception) -> None:
    std = rules.standard_for(reception.start_date.year)
    reception.total_yuan = reception.meal_yuan + reception.lodging_yuan + reception.transport_yuan
    reception.warnings = rules.reception_warnings(
        std=std,
        people=reception.delegation_size,
        days=reception.days,
        meal_yuan=reception.meal_yuan,
        lodging_yuan=reception.lodging_yuan,
        lodging_nights=reception.lodging_nights,
        transport_yuan=reception.transport_yuan,
    )


# --- receptions ---------------------------------------------------------------------------------
@transaction.atomic
def create_reception(user: Any, data: Mapping[str, Any], firms: Sequence[Mapping[str, Any]]) -> Reception:
    """Record a reception with its visiting firms; costs are checked against the year's 公务接待 standards."""
    require(user, "promotion.change")
    reception = Reception(
        **{k: v for k, v in data.items() if k in RECEPTION_FIELDS}, unit=_office(user), created_by=user
    )
    reception.full_clean(exclude=["unit", "total_yuan", "warnings"])
    rows = _firm_rows(user, firms)
    _reception_costs(reception)
    reception.save()
    for row in rows:
        row.reception = reception
    ReceptionFirm.objects.bulk_create(rows)
    record_create(user, reception, detail=f"来访企业 {len(rows)} 家")
    return reception


@transaction.atomic
def update_reception(
    user: Any,
    reception: Reception,
    data: Mapping[str, Any],
    firms: Sequence[Mapping[str, Any]] | None,
    *,
    expected_version: int,
) -> Reception:
    require(user, "promotion.change")
    _in_scope(user, reception.unit)
    before = snapshot(reception)
    for key, value in data.items():
        if key in RECEPTION_FIELDS:
            setattr(reception, key, value)
    reception.full_clean(exclude=["unit", "total_yuan", "warnings"])
    rows = _firm_rows(user, firms) if firms is not None else None
    _reception_costs(reception)
    values = {
        f.attname: getattr(reception, f.attname)
        for f in Reception._meta.concrete_fields
        if f.name in (*RECEPTION_FIELDS, "total_yuan", "warnings")
    }
    _bump(Reception, reception.pk, expected_version, **values)
    if rows is not None:
        reception.firms.all().delete()
        for row in rows:
            row.reception = reception
        ReceptionFirm.objects.bulk_create(rows)
    reception.refresh_from_db()
    record_update(user, reception, before)
    return reception


# --- task forces --------------------------------------------------------------------------------
@transaction.atomic
def create_task_force(user: Any, data: Mapping[str, Any], clusters: Sequence[Any] = ()) -> TaskForce:
    require(user, "promotion.change")
    tf = TaskForce(
        **{k: v for k, v in data.items() if k in TASK_FORCE_FIELDS}, unit=_office(user), created_by=user
    )
    tf.full_clean(exclude=["unit"])
    if tf.base_province not in rules.PROVINCES:
        raise ValidationError({"base_province": "请选择省份"})
    tf.save()
    tf.clusters.set(clusters)
    record_create(user, tf)
    return tf


@transaction.atomic
def add_activity(user: Any, task_force: TaskForce, *, on: dt.date, content: str) -> TaskForceActivity:
    require(user, "promotion.change")
    _in_scope(user, task_force.unit)
    if not content.strip():
        raise ValidationError({"content": "请填写工作内容"})
    if on < task_force.start_date or (task_force.end_date and on > task_force.end_date):
        raise ValidationError({"on": "日期不在工作组驻外期间内"})
    row = TaskForceActivity.objects.create(
        task_force=task_force, on=on, content=content.strip(), created_by=user
    )
    record_create(user, row)
    return row


# --- trips and events ---------------------------------------------------------------------------
def _legs(trip: Trip, legs: Sequence[Mapping[str, Any]]) -> list[TripLeg]:
    rows: list[TripLeg] = []
    seen: set[dt.date] = set()
    for leg in legs:
        day, province = leg.get("from_date"), (leg.get("province") or "").strip()
        if not day and not province:
            continue
        if not day or not province:
            raise ValidationError({"legs": "行程段请同时填写日期和省份"})
        if province not in rules.PROVINCES:
            raise ValidationError({"legs": f"省份“{province}”无效"})
        if day < trip.start_date or day > trip.end_date:
            raise ValidationError({"legs": f"行程段日期 {day:%Y-%m-%d} 不在活动日期内"})
        if day in seen:
            raise ValidationError({"legs": f"行程段日期 {day:%Y-%m-%d} 重复"})
        seen.add(day)
        rows.append(TripLeg(from_date=day, province=province))
    return sorted(rows, key=lambda r: r.from_date)


def allowance_for(trip: Trip, legs: Sequence[TripLeg]) -> list[rules.AllowanceLine]:
    return rules.allowance_lines(
        trip.start_date,
        trip.end_date,
        trip.participants,
        [(leg.from_date, leg.province) for leg in legs],
        trip.province,
    )


def _trip_costs(trip: Trip, legs: Sequence[TripLeg]) -> None:
    if trip.kind == TripKind.WORK_MEETING:  # held at home: no travel allowance
        trip.allowance_yuan = ZERO
    else:
        trip.allowance_yuan = rules.allowance_total(allowance_for(trip, legs))
    trip.total_yuan = trip.allowance_yuan + trip.transport_yuan + trip.lodging_yuan + trip.other_yuan


def _check_trip(user: Any, trip: Trip) -> None:
    errors: dict[str, str] = {}
    if trip.province not in rules.PROVINCES:
        errors["province"] = "请选择省份"
    if trip.task_force_id is not None:
        tf = trip.task_force
        if tf is None or not TaskForce.objects.visible_to(user).filter(pk=tf.pk).exists():
            errors["task_force"] = "工作组不在您的数据范围内"
    if trip.kind != TripKind.EXPO and trip.organiser != "own":
        trip.organiser = "own"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_trip(user: Any, data: Mapping[str, Any], legs: Sequence[Mapping[str, Any]] = ()) -> Trip:
    """Record a trip or event; allowances = days × people × (meal + transport) by the year and place class."""
    require(user, "promotion.change")
    trip = Trip(**{k: v for k, v in data.items() if k in TRIP_FIELDS}, unit=_office(user), created_by=user)
    trip.full_clean(exclude=["unit", "allowance_yuan", "total_yuan"])
    _check_trip(user, trip)
    leg_rows = _legs(trip, legs)
    _trip_costs(trip, leg_rows)
    trip.save()
    for leg in leg_rows:
        leg.trip = trip
    TripLeg.objects.bulk_create(leg_rows)
    record_create(user, trip)
    return trip


@transaction.atomic
def update_trip(
    user: Any,
    trip: Trip,
    data: Mapping[str, Any],
    legs: Sequence[Mapping[str, Any]] | None,
    *,
    expected_version: int,
) -> Trip:
    require(user, "promotion.change")
    _in_scope(user, trip.unit)
    before = snapshot(trip)
    for key, value in data.items():
        if key in TRIP_FIELDS:
            setattr(trip, key, value)
    trip.full_clean(exclude=["unit", "allowance_yuan", "total_yuan"])
    _check_trip(user, trip)
    leg_rows = _legs(trip, legs) if legs is not None else list(trip.legs.all())
    _trip_costs(trip, leg_rows)
    values = {
        f.attname: getattr(trip, f.attname)
        for f in Trip._meta.concrete_fields
        if f.name in (*TRIP_FIELDS, "allowance_yuan", "total_yuan")
    }
    _bump(Trip, trip.pk, expected_version, **values)
    if legs is not None:
        trip.legs.all().delete()
        for leg in leg_rows:
            leg.pk = None
            leg.trip = trip
        TripLeg.objects.bulk_create(leg_rows)
    trip.refresh_from_db()
    record_update(user, trip, before)
    return trip


CONTACT_LIMITS = [("firm_name", "企业名称", 200), ("credit_code", "统一社会信用代码", 18)]
CONTACT_LIMITS += [("person", "联系人", 50), ("note", "洽谈情况", 300)]


@transaction.atomic
def add_contact(user: Any, trip: Trip, data: Mapping[str, Any]) -> TripContact:
    require(user, "promotion.change")
    _in_scope(user, trip.unit)
    from qinqing.enterprises.models import normalize_mobile

    enterprise = data.get("enterprise")
    too_long = {
        key: m for key, label, limit in CONTACT_LIMITS if (m := length_error(data.get(key), label, limit))
    }
    if too_long:
        raise ValidationError(too_long)
    name = (data.get("firm_name") or "").strip() or (enterprise.name if enterprise else "")
    if not name:
        raise ValidationError({"firm_name": "请填写企业名称"})
    mobile = normalize_mobile(data.get("mobile") or "")
    if mobile and not (mobile.isdigit() and 7 <= len(mobile) <= 12):
        raise ValidationError({"mobile": "联系电话格式有误"})
    row = TripContact.objects.create(
        trip=trip,
        enterprise=enterprise,
        firm_name=name,
        credit_code=(data.get("credit_code") or "").strip().upper(),
        person=(data.get("person") or "").strip(),
        mobile=mobile,
        note=(data.get("note") or "").strip(),
    )
    record_create(user, row)
    return row


# --- the project library ------------------------------------------------------------------------
def _source_fields(source: Source) -> dict[str, Any]:
    if isinstance(source, Reception):
        return {"reception": source}
    if isinstance(source, Trip):
        return {"trip": source}
    return {"task_force": source}


def _source_date(source: Source) -> dt.date:
    """A visit or trip touches on its first day; a task force on the day the link is recorded (within its period)."""
    if isinstance(source, TaskForce):
        day = timezone.localdate()
        if source.end_date and day > source.end_date:
            day = source.end_date
        return max(day, source.start_date)
    return source.start_date


def _touch(user: Any, source: Source, project: Project, *, created_lead: bool, intention: str) -> Touch:
    fields = _source_fields(source)
    existing = Touch.objects.filter(project=project, **fields).first()
    if existing is not None:
        if intention and existing.intention != intention:
            existing.intention = intention
            existing.save(update_fields=["intention"])
        return existing
    touch = Touch.objects.create(
        project=project,
        unit=source.unit,
        on=_source_date(source),
        created_lead=created_lead,
        intention=intention,
        created_by=user,
        **fields,
    )
    record_create(user, touch, detail=f"项目 {project.number} 来源：{source}")
    return touch


@transaction.atomic
def link_project(user: Any, source: Source, project: Project, *, intention: str = "") -> Touch:
    """A project of the library discussed during SOURCE (a visit, trip or task force)."""
    require(user, "promotion.change")
    _in_scope(user, source.unit)
    if not Project.objects.visible_to(user).filter(pk=project.pk).exists():
        raise PermissionDenied("该项目不在您的数据范围内")
    intention = limited(intention, "intention", "洽谈情况")
    return _touch(user, source, project, created_lead=False, intention=intention)


@transaction.atomic
def record_intention(
    user: Any,
    source: Source,
    *,
    intention: str,
    project: Project | None = None,
    project_data: Mapping[str, Any] | None = None,
    people: str = "",
) -> Touch:
    """An investment intention stated during SOURCE: a new lead in the project library (PROJECT_DATA,
    through investment.services.create_project) or an update of an existing project (a 洽谈记录 through
    investment.services.add_negotiation); either way the origin link is kept here."""
    require(user, "promotion.change")
    _in_scope(user, source.unit)
    if not intention.strip():
        raise ValidationError({"intention": "请填写投资意向"})
    intention = limited(intention, "intention", "投资意向")
    if people:
        people = limited(people, "people", "参加人员", 200)
    on = min(_source_date(source), timezone.localdate())
    if project is not None:
        if not Project.objects.visible_to(user).filter(pk=project.pk).exists():
            raise PermissionDenied("该项目不在您的数据范围内")
        investment.add_negotiation(
            user,
            project,
            held_on=on,
            people=(
                people or getattr(source, "hosts", "") or getattr(source, "participant_names", "") or "—"
            )[:200],
            content=f"{source}：{intention.strip()}",
        )
        return _touch(user, source, project, created_lead=False, intention=intention.strip())
    if not project_data:
        raise ValidationError({"project": "请选择已有项目或填写新线索"})
    data = dict(project_data)
    data.setdefault("summary", f"来源：{source}。{intention.strip()}")
    if data.get("location_unit") is None:
        data["location_unit"] = investment.reporting_unit(user)
    if data.get("location_unit") is None:
        raise ValidationError({"location_unit": "请选择落地县市/园区"})
    new = investment.create_project(user, data, initial={"opened_on": on})
    return _touch(user, source, new, created_lead=True, intention=intention.strip())


# --- next steps ---------------------------------------------------------------------------------
@transaction.atomic
def add_next_step(
    user: Any, source: Reception | Trip, *, description: str, owner: Any, due_on: dt.date
) -> NextStep:
    require(user, "promotion.change")
    _in_scope(user, source.unit)
    if not description.strip():
        raise ValidationError({"description": "请填写下一步工作"})
    description = limited(description, "description", "下一步工作")
    if owner is None or not owner.is_active or owner.unit_id is None:
        raise ValidationError({"owner": "请选择责任人"})
    if owner.scope_unit is None or not (
        owner.scope_unit.path.startswith(source.unit.path)
        or source.unit.path.startswith(owner.scope_unit.path)
    ):
        raise ValidationError({"owner": "责任人应为本单位或上下级单位的工作人员"})
    link: dict[str, Any] = {"reception": source} if isinstance(source, Reception) else {"trip": source}
    step = NextStep.objects.create(
        unit=source.unit,
        description=description,
        owner=owner,
        due_on=due_on,
        created_by=user,
        **link,
    )
    record_create(user, step)
    return step


@transaction.atomic
def complete_next_step(user: Any, step: NextStep, *, expected_version: int, note: str = "") -> NextStep:
    """The owner (or a colleague with promotion.change in scope) marks the step done."""
    if step.owner_id != user.pk:
        require(user, "promotion.change")
        _in_scope(user, step.unit)
    if step.done_at is not None:
        raise ValidationError("该事项已完成")
    note = limited(note, "note", "完成情况")
    before = snapshot(step)
    _bump(NextStep, step.pk, expected_version, done_at=timezone.now(), done_note=note)
    step.refresh_from_db()
    record_update(user, step, before, detail="下一步工作已完成")
    return step


def remind_due_steps(today: dt.date | None = None) -> int:
    """Remind each owner once of an open next step due within the configured working days (or overdue).

    The reminder is recorded by a conditional UPDATE (reminded_at IS NULL) in the transaction that
    queues the outbox message, so a second run, or a second worker, sends nothing more."""
    from qinqing.demands import notifications

    today = today or timezone.localdate()
    days = PromotionSettings.current().remind_working_days
    horizon = add_working_days(today, days).date if days else today
    sent = 0
    due = list(
        NextStep.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_on__lte=horizon)
        .order_by("due_on", "id")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        with transaction.atomic():
            if not NextStep.objects.filter(pk=pk, reminded_at__isnull=True, done_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            step = NextStep.objects.select_related("owner", "reception", "trip").get(pk=pk)
            late = "已逾期" if step.due_on < today else "即将到期"
            notifications.enqueue(
                [step.owner],
                f"招商下一步工作{late}：{step.description[:60]}",
                f"{step.source}\n下一步工作：{step.description}\n完成期限：{step.due_on:%Y-%m-%d}",
                key=f"promo-step:{step.pk}",
            )
            record(AuditAction.WORKFLOW, obj=step, detail=f"下一步工作提醒（{late}）")
            sent += 1
    return sent


# --- configuration ------------------------------------------------------------------------------
def _decimal(value: Any, field: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except Exception:
        raise ValidationError({field: "请输入金额"}) from None
    if out < 0:
        raise ValidationError({field: "金额不能为负数"})
    return out


@transaction.atomic
def save_standard(user: Any, year: int, data: Mapping[str, Any]) -> YearStandard:
    """The official standards of YEAR (the prefecture level or above configures them)."""
    require(user, "promotion.settings")
    if user.scope_unit is None or user.scope_unit.tier > 1:
        raise PermissionDenied("开支标准由州（市）级及以上单位设置")
    std, created = YearStandard.objects.get_or_create(year=year)
    before = snapshot(std)
    for key in STANDARD_FIELDS:
        if key in data:
            setattr(std, key, _decimal(data[key], key))
    std.full_clean()
    std.save()
    record_create(user, std) if created else record_update(user, std, before)
    return std


@transaction.atomic
def save_plan(
    user: Any, *, year: int, unit: Unit, data: Mapping[str, Any], expected_version: int | None = None
) -> YearPlan:
    """The year's budget line and targets of UNIT (the user's own unit or one below it)."""
    require(user, "promotion.settings")
    _in_scope(user, unit)
    plan = YearPlan.objects.filter(year=year, unit=unit).first()
    if plan is None:
        plan = YearPlan(year=year, unit=unit, updated_by=user)
        for key in PLAN_FIELDS:
            if key in data:
                setattr(plan, key, data[key])
        plan.full_clean()
        plan.save()
        record_create(user, plan)
        return plan
    if expected_version is not None and expected_version != plan.version:
        raise StaleError()
    before = snapshot(plan)
    for key in PLAN_FIELDS:
        if key in data:
            setattr(plan, key, data[key])
    plan.full_clean()
    values = {k: getattr(plan, k) for k in PLAN_FIELDS}
    _bump(YearPlan, plan.pk, plan.version, updated_by_id=user.pk, updated_at=timezone.now(), **values)
    plan.refresh_from_db()
    record_update(user, plan, before)
    return plan


@transaction.atomic
def update_settings(user: Any, data: Mapping[str, Any]) -> PromotionSettings:
    require(user, "promotion.settings")
    if user.scope_unit is None or user.scope_unit.tier > 1:
        raise PermissionDenied("成效归属规则由州（市）级及以上单位设置")
    obj = PromotionSettings.current()
    before = snapshot(obj)
    for key in ("attribution", "warn_budget_share", "remind_working_days"):
        if key in data:
            setattr(obj, key, data[key])
    obj.full_clean()
    obj.save()
    record_update(user, obj, before)
    return obj
