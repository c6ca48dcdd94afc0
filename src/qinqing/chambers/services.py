"""Registry and procedures: accounts, profiles, officers, applications (登记备案 / 变更 / 注销), revocation,
registration errors, complaints, targets and settings. Inspections: inspections.py; certificates:
certificates.py; the member roster import: importing.py.

Each function takes the acting user first, checks the capability and the scope, writes an ``Event`` (the
organisation's history) and an audit row in the same transaction. Applications move only along
``rules.TRANSITIONS``; every change of state carries the version the user saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from qinqing.accounts.models import User, UserRole
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create, record_update, snapshot
from qinqing.calendar.services import add_working_days
from qinqing.chambers import rules
from qinqing.chambers.models import (
    Application,
    Complaint,
    Event,
    Material,
    Member,
    Officer,
    Organisation,
    OrganisationAccount,
    RegistrationError,
    ReviewSettings,
    YearTarget,
    account_org_id,
)
from qinqing.chambers.rules import AppKind, AppStatus, OrgKind, OrgStatus
from qinqing.core import uploads
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.orgs.models import Unit

PROFILE_FIELDS = (
    "name",
    "place_of_origin",
    "credit_code",
    "founded_on",
    "address",
    "premises_owned",
    "capital_wan",
    "charter",
    "contact_name",
    "contact_mobile",
    "sending_body",
    "tasks_scope",
    "reporting_line",
    "admin_rank",
    "staffing",
    "head_name",
    "investment_tasks",
)


class StaleError(ValidationError):
    """A version check failed: someone else changed the row first; nothing was written."""

    def __init__(self) -> None:
        super().__init__(rules.STALE_MESSAGE, code="stale")


# --- helpers ------------------------------------------------------------------------------------------
def today() -> dt.date:
    return timezone.localdate()


NAME_MAX = User._meta.get_field("full_name").max_length or 50


def _bump(model: type[models.Model], pk: int, expected_version: int, **values: Any) -> None:
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise StaleError()


def event(
    actor: Any, org: Organisation, action: str, detail: str = "", app: Application | None = None
) -> Event:
    return Event.objects.create(organisation=org, application=app, actor=actor, action=action, detail=detail)


def is_own(user: Any, org: Organisation) -> bool:
    return account_org_id(user) == org.pk


def require_own(user: Any, org: Organisation) -> None:
    """The organisation's own account, acting for ORG."""
    require(user, "chambers.apply")
    if not is_own(user, org):
        raise PermissionDenied("只能办理本组织的事项")


def require_staff(user: Any, capability: str, org: Organisation) -> None:
    """Bureau staff holding CAPABILITY, with ORG's area in their scope."""
    require(user, capability)
    scope = getattr(user, "scope_unit", None)
    if scope is None or not org.area.path.startswith(scope.path):
        raise PermissionDenied("该组织不在您的数据范围内")


def side_of(user: Any) -> str:
    return rules.ORG if account_org_id(user) is not None else rules.STAFF


def _full_clean(obj: models.Model, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def area_choices(user: Any) -> models.QuerySet[Unit]:
    """Areas an organisation may be registered in: prefectures and counties of the user's scope."""
    qs = Unit.objects.filter(kind__in=["prefecture", "county"])
    scope = getattr(user, "scope_unit", None)
    if scope is not None:
        qs = qs.filter(path__startswith=scope.path)
    return qs.order_by("path")


# --- accounts and profiles ---------------------------------------------------------------------------
@transaction.atomic
def open_account(
    staff: Any,
    *,
    kind: str,
    name: str,
    area: Unit,
    username: str,
    password: str,
    place_of_origin: str = "",
    full_name: str = "",
) -> tuple[Organisation, User]:
    """Open an organisation in preparation (筹备) and its own account (role 社会组织用户)."""
    require(staff, "chambers.manage")
    scope = getattr(staff, "scope_unit", None)
    if scope is None or not area.path.startswith(scope.path):
        raise PermissionDenied("该地区不在您的数据范围内")
    if kind not in OrgKind.values:
        raise ValidationError({"kind": "请选择组织类型"})
    org = Organisation(kind=kind, name=name.strip(), area=area, place_of_origin=place_of_origin.strip())
    _full_clean(org)
    _check_unique_origin(org)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": "该用户名已被使用"})
    org.save()
    # The account's display name: an organisation's name (≤ 100) is longer than a user's (≤ 50), which failed
    # on PostgreSQL ("value too long"); a name given for the account must fit, the derived one is shortened.
    if len(full_name.strip()) > NAME_MAX:
        raise ValidationError(
            {"full_name": f"账号姓名不能超过{NAME_MAX}个字（现为{len(full_name.strip())}个字）"}
        )
    user = User(username=username, full_name=full_name.strip() or org.name[:NAME_MAX])
    user.set_password(password)
    user.must_change_password = True
    user.save()
    UserRole.objects.create(user=user, role=Role.ORG_MEMBER)
    OrganisationAccount.objects.create(user=user, organisation=org)
    record_create(staff, org)
    event(staff, org, "open_account", f"账号 {username}")
    return org, user


def _check_unique_origin(org: Organisation) -> None:
    if org.kind != OrgKind.CHAMBER or not org.place_of_origin:
        return
    clash = Organisation.objects.filter(
        kind=OrgKind.CHAMBER,
        area_id=org.area_id,
        place_of_origin=org.place_of_origin,
        status__in=[OrgStatus.PREPARING, OrgStatus.ACTIVE],
    ).exclude(pk=org.pk)
    if clash.exists():
        raise ValidationError(
            {"place_of_origin": f"{org.area.name}已有{org.place_of_origin}商会（一地一会），不能重复登记"}
        )


def _coerce(field: str, value: Any) -> Any:
    model_field = Organisation._meta.get_field(field)
    if isinstance(model_field, models.DecimalField):
        try:
            return Decimal(str(value)) if value not in (None, "") else Decimal("0")
        except InvalidOperation:
            raise ValidationError({field: "请输入数字"}) from None
    if isinstance(model_field, models.BooleanField):
        return value in (True, "true", "True", "1", "on", "是")
    if isinstance(model_field, models.PositiveSmallIntegerField):
        try:
            return int(value or 0)
        except (TypeError, ValueError):
            raise ValidationError({field: "请输入整数"}) from None
    if isinstance(model_field, models.DateField):
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({field: "日期格式应为 YYYY-MM-DD"}) from None
    return str(value or "").strip()


@transaction.atomic
def update_profile(
    user: Any, org: Organisation, data: Mapping[str, Any], *, expected_version: int
) -> Organisation:
    """Edit the organisation's particulars while it prepares its registration (afterwards: a change
    application). Bureau staff with chambers.manage may correct them at any time."""
    if side_of(user) == rules.ORG:
        require_own(user, org)
        if org.status != OrgStatus.PREPARING:
            raise ValidationError("已登记的组织修改登记事项，请提交变更申请")
        if Application.objects.filter(organisation=org, status=AppStatus.SUBMITTED).exists():
            raise ValidationError("申请审核期间不能修改，请等待审核结果")
    else:
        require_staff(user, "chambers.manage", org)
    current = Organisation.objects.select_related("area").get(pk=org.pk)
    if current.version != expected_version:
        raise StaleError()
    before = snapshot(current)
    values = {f: _coerce(f, data[f]) for f in PROFILE_FIELDS if f in data}
    for field, value in values.items():
        setattr(current, field, value)
    _full_clean(current)
    _check_unique_origin(current)
    if values.get("credit_code"):
        from qinqing.enterprises import creditcode

        values["credit_code"] = creditcode.normalize(values["credit_code"])
    _bump(Organisation, current.pk, expected_version, **values)
    current.refresh_from_db()
    record_update(user, current, before)
    return current


@transaction.atomic
def set_officers(user: Any, org: Organisation, officers: Sequence[Mapping[str, Any]]) -> list[Officer]:
    """Replace the list of officers (会长、副会长、秘书长 …), checking each term."""
    if side_of(user) == rules.ORG:
        require_own(user, org)
        if org.status != OrgStatus.PREPARING:
            raise ValidationError("已登记的组织变更负责人，请提交变更申请")
    else:
        require_staff(user, "chambers.manage", org)
    rows: list[Officer] = []
    errors: list[str] = []
    for index, data in enumerate(officers, start=1):
        officer = Officer(
            organisation=org,
            name=str(data.get("name", "")).strip(),
            position=str(data.get("position", "")).strip(),
            mobile=str(data.get("mobile", "")).strip(),
            term_start=_coerce("founded_on", data.get("term_start")),
            term_end=_coerce("founded_on", data.get("term_end")),
        )
        try:
            officer.full_clean(exclude=["organisation"])
        except ValidationError as exc:
            errors += [f"第{index}位负责人：{m}" for m in exc.messages]
        rows.append(officer)
    if errors:
        raise ValidationError(errors)
    Officer.objects.filter(organisation=org).delete()
    Officer.objects.bulk_create(rows)
    record(
        AuditAction.UPDATE, actor=user, obj=org, changes={"officers": [None, len(rows)]}, detail="更新负责人"
    )
    return rows


# --- registration conditions ----------------------------------------------------------------------------
def registration_problems(org: Organisation, app: Application | None = None) -> list[str]:
    """Why ORG cannot (yet) be registered; empty when every condition holds (DOMAIN.md §4)."""
    problems: list[str] = []
    if org.kind == OrgKind.CHAMBER:
        members = list(Member.objects.filter(organisation=org).values_list("is_founder", "credit_code"))
        founders = sum(1 for f, _ in members if f)
        if founders < rules.MIN_FOUNDERS:
            problems.append(f"发起单位不少于{rules.MIN_FOUNDERS}家（现有{founders}家）")
        if len(members) < rules.MIN_MEMBERS:
            problems.append(f"会员单位不少于{rules.MIN_MEMBERS}家（现有{len(members)}家）")
        if any(not code for _, code in members):
            problems.append("异地商会只接纳单位会员：每个会员须有统一社会信用代码")
        if org.capital_wan < rules.MIN_CAPITAL_WAN:
            problems.append(f"注册资金不少于{rules.MIN_CAPITAL_WAN}万元（现为{org.capital_wan}万元）")
        if not org.premises_owned or not org.address:
            problems.append("须有固定住所：请填写住所并上传住所使用权证明")
        try:
            _check_unique_origin(org)
        except ValidationError as exc:
            problems += exc.messages
        officers = list(Officer.objects.filter(organisation=org))
        if not officers:
            problems.append("请填写拟任负责人（会长、秘书长等）及任期")
        for officer in officers:
            try:
                officer.clean()
            except ValidationError as exc:
                problems += [f"{officer}：{m}" for m in exc.messages]
    else:
        if not org.head_name:
            problems.append("请填写负责人")
        if not org.tasks_scope and not org.investment_tasks:
            problems.append("请填写工作任务与业务范围")
        if not org.address:
            problems.append("请填写办公地址")
    if not org.name:
        problems.append("请填写名称")
    return problems


def missing_materials(app: Application) -> list[str]:
    present = set(Material.objects.filter(application=app).values_list("item", flat=True))
    return [
        label
        for item, label in rules.required_materials(app.organisation.kind, app.kind)
        if item not in present
    ]


# --- applications ---------------------------------------------------------------------------------------
@transaction.atomic
def start_application(
    user: Any,
    org: Organisation,
    kind: str,
    *,
    proposed: Mapping[str, Any] | None = None,
    reason: str = "",
    officers: Sequence[Mapping[str, Any]] | None = None,
) -> Application:
    """The organisation opens a registration, change or deregistration application (a draft). A change
    proposes new values of fields and/or OFFICERS operations (officers.py: add, replace, remove)."""
    require_own(user, org)
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    if kind not in AppKind.values:
        raise ValidationError({"kind": "请选择申请事项"})
    if org.status not in rules.KIND_NEEDS_ORG_STATUS[AppKind(kind)]:
        need = "筹备中" if kind == AppKind.REGISTRATION else "已登记"
        raise ValidationError(
            f"{AppKind(kind).label}申请须在组织{need}时提出（当前：{org.get_status_display()}）"
        )
    if Application.objects.filter(organisation=org, status__in=rules.OPEN_APP_STATUSES).exists():
        raise ValidationError("已有办理中的申请，请先完成或撤回")
    changes: dict[str, Any] = {}
    if kind == AppKind.CHANGE:
        changes = _clean_proposed(org, proposed or {}, officers)
    elif kind == AppKind.DEREGISTRATION and not reason.strip():
        raise ValidationError({"reason": "请填写注销原因"})
    app = Application.objects.create(
        organisation=org, kind=kind, proposed=changes, reason=limited(reason, "reason", "申请事由")
    )
    event(user, org, "create", AppKind(kind).label, app)
    record_create(user, app)
    return app


def _clean_proposed(
    org: Organisation, proposed: Mapping[str, Any], officer_ops: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    from qinqing.chambers import officers

    proposed = dict(proposed)
    officer_ops = officer_ops if officer_ops is not None else proposed.pop(officers.KEY, None)
    proposed.pop(officers.KEY, None)
    changes: dict[str, Any] = {}
    for field, raw in proposed.items():
        if field not in rules.CHANGEABLE_FIELDS:
            raise ValidationError({field: "该事项不能通过变更申请修改"})
        value = _coerce(field, raw)
        if value != getattr(org, field):
            changes[field] = str(value) if isinstance(value, Decimal) else value
    ops = officers.clean_changes(org, officer_ops) if officer_ops else []
    if not changes and not ops:
        raise ValidationError("请填写至少一项与现登记内容不同的变更事项")
    if ops:
        changes[officers.KEY] = ops
    trial = Organisation.objects.get(pk=org.pk)
    for field, value in changes.items():
        if field != officers.KEY:
            setattr(trial, field, _coerce(field, value))
    _full_clean(trial)
    _check_unique_origin(trial)
    if org.kind == OrgKind.CHAMBER and "capital_wan" in changes and trial.capital_wan < rules.MIN_CAPITAL_WAN:
        raise ValidationError({"capital_wan": f"注册资金不少于{rules.MIN_CAPITAL_WAN}万元"})
    return changes


def change_rows(app: Application) -> list[tuple[str, Any, Any]]:
    """(label, before, after) of a change application, for the reviewer (officers last)."""
    from qinqing.chambers import officers

    org = app.organisation
    rows = []
    for field, after in app.proposed.items():
        if field == officers.KEY:
            continue
        label = getattr(Organisation._meta.get_field(field), "verbose_name", field)
        before = app.before.get(field) if app.status == AppStatus.APPROVED else getattr(org, field)
        if field == "contact_mobile":
            from qinqing.enterprises.models import mask_mobile

            before, after = mask_mobile(str(before or "")), mask_mobile(str(after or ""))
        rows.append((str(label), before, after))
    return rows + officers.rows(app.proposed.get(officers.KEY, []))


MATERIAL_MAX_BYTES = 20 * uploads.MB


@transaction.atomic
def upload_material(user: Any, app: Application, *, item: str, file: UploadedFile) -> Material:
    require_own(user, app.organisation)
    if app.status not in (AppStatus.DRAFT, AppStatus.RETURNED):
        raise ValidationError("申请已提交，审核期间不能更换材料")
    items = dict(rules.required_materials(app.organisation.kind, app.kind))
    if item not in items:
        raise ValidationError({"item": "请选择材料项目"})
    checked = uploads.check_upload(file, allowed=uploads.ATTACHMENTS, max_bytes=MATERIAL_MAX_BYTES)
    original = checked.name
    file.name = uploads.stored_name(checked)
    Material.objects.filter(application=app, item=item).delete()  # the newest file replaces the old one
    row = Material.objects.create(
        application=app, item=item, file=file, original_name=original, uploaded_by=user
    )
    event(user, app.organisation, "upload", items[item], app)
    record(AuditAction.CREATE, actor=user, obj=row, changes={"item": [None, item]})
    return row


def _locked(app: Application, expected_version: int) -> Application:
    current = Application.objects.select_for_update().select_related("organisation__area").get(pk=app.pk)
    if current.version != expected_version:
        raise StaleError()
    return current


def _transition(user: Any, app: Application, action: str, expected_version: int) -> tuple[Application, str]:
    current = _locked(app, expected_version)
    allowed = rules.TRANSITIONS.get((current.status, action))
    if allowed is None:
        raise ValidationError(
            f"当前状态（{current.get_status_display()}）不能{rules.ACTION_LABELS.get(action, action)}"
        )
    target, side = allowed
    if side == rules.ORG:
        require_own(user, current.organisation)
    else:
        require_staff(user, "chambers.review", current.organisation)
    return current, target


@transaction.atomic
def submit_application(user: Any, app: Application, *, expected_version: int) -> Application:
    current, target = _transition(user, app, "submit", expected_version)
    org = current.organisation
    problems = []
    if current.kind == AppKind.REGISTRATION:
        problems += registration_problems(org, current)
    missing = missing_materials(current)
    if missing:
        problems.append("缺少申请材料：" + "、".join(missing))
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    due = add_working_days(timezone.localtime(now).date(), ReviewSettings.current().days_for(current.kind))
    _bump(
        Application,
        current.pk,
        expected_version,
        status=target,
        submitted_at=now,
        due_on=due.date,
        due_provisional=due.provisional,
        reminded_level="",
    )
    Material.objects.filter(application=current).update(comment="")
    event(user, org, "submit", f"审核期限 {due.date:%Y-%m-%d}", current)
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    current.refresh_from_db()
    return current


@transaction.atomic
def withdraw_application(user: Any, app: Application, *, expected_version: int) -> Application:
    current, target = _transition(user, app, "withdraw", expected_version)
    _bump(Application, current.pk, expected_version, status=target)
    event(user, current.organisation, "withdraw", "", current)
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    current.refresh_from_db()
    return current


@transaction.atomic
def return_application(
    user: Any, app: Application, *, expected_version: int, comments: Mapping[str, str], general: str = ""
) -> Application:
    """Return for correction with a comment per material item (and/or a general comment)."""
    current, target = _transition(user, app, "return", expected_version)
    items = dict(rules.required_materials(current.organisation.kind, current.kind))
    cleaned = {k: limited(v, "comments", "补正意见") for k, v in comments.items() if v and v.strip()}
    unknown = set(cleaned) - set(items)
    if unknown:
        raise ValidationError({"comments": "未知的材料项目：" + "、".join(sorted(unknown))})
    if not cleaned and not general.strip():
        raise ValidationError({"comments": "退回补正须写明需补正的材料或意见"})
    for item, text in cleaned.items():
        updated = Material.objects.filter(application=current, item=item).update(comment=text)
        if not updated:  # a missing document: keep the comment on an empty placeholder-free list
            pass
    lines = [f"{items[k]}：{v}" for k, v in cleaned.items()]
    if general.strip():
        lines.append(general.strip())
    detail = "\n".join(lines)
    _bump(Application, current.pk, expected_version, status=target, decision_comment=detail)
    event(user, current.organisation, "return", detail, current)
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    _notify_org(
        current.organisation,
        f"您的{current.get_kind_display()}申请被退回补正",
        detail,
        f"chapp:{current.pk}:r{current.version}",
    )
    current.refresh_from_db()
    return current


@transaction.atomic
def refuse_application(user: Any, app: Application, *, expected_version: int, reason: str) -> Application:
    current, target = _transition(user, app, "refuse", expected_version)
    if not reason.strip():
        raise ValidationError({"reason": "请填写不予核准的理由"})
    _bump(
        Application,
        current.pk,
        expected_version,
        status=target,
        decided_at=timezone.now(),
        decided_by=user,
        decision_comment=reason.strip(),
    )
    event(user, current.organisation, "refuse", reason.strip(), current)
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    _notify_org(
        current.organisation, f"您的{current.get_kind_display()}申请不予核准", reason, f"chapp:{current.pk}:x"
    )
    current.refresh_from_db()
    return current


@transaction.atomic
def approve_application(
    user: Any, app: Application, *, expected_version: int, comment: str = "", registration_number: str = ""
) -> Application:
    """Approve: registration activates the organisation and issues its certificate; a change applies the
    proposed values (and re-issues the certificate when a printed field changed); deregistration ends the
    organisation and voids its certificate."""
    from qinqing.chambers import certificates, officers

    registration_number = limited(registration_number, "registration_number", "民政登记证号", 40)
    current, target = _transition(user, app, "approve", expected_version)
    org = Organisation.objects.select_for_update().select_related("area").get(pk=current.organisation_id)
    day = today()
    values: dict[str, Any] = {}
    before_values: dict[str, Any] = {}
    reissue = False
    if current.kind == AppKind.REGISTRATION:
        problems = registration_problems(org, current)
        if problems:
            raise ValidationError(problems)
        org_values: dict[str, Any] = {"status": OrgStatus.ACTIVE, "registered_on": day}
        if registration_number:
            org_values["registration_number"] = registration_number
        _bump(Organisation, org.pk, org.version, **org_values)
    elif current.kind == AppKind.CHANGE:
        fields = [f for f in current.proposed if f != officers.KEY]
        head_before = certificates.head_of(org)
        before = snapshot(org, fields) if fields else {}
        before_values = dict(before)
        for field in fields:
            setattr(org, field, _coerce(field, current.proposed[field]))
        _full_clean(org)
        _check_unique_origin(org)
        # the version check covers the officers too: the organisation's row is bumped either way
        _bump(Organisation, org.pk, org.version, **{f: getattr(org, f) for f in fields})
        org.refresh_from_db()
        if fields:
            record_update(user, org, before, detail="变更核准")
        if current.proposed.get(officers.KEY):
            before_values[officers.KEY] = officers.approve(user, org, current)
        reissue = bool(set(fields) & rules.CERTIFICATE_FIELDS) or certificates.head_of(org) != head_before
    else:
        _bump(
            Organisation,
            org.pk,
            org.version,
            status=OrgStatus.DEREGISTERED,
            ended_on=day,
            end_reason=current.reason,
        )
    values.update(status=target, decided_at=timezone.now(), decided_by=user, decision_comment=comment.strip())
    if before_values:
        values["before"] = before_values
    _bump(Application, current.pk, expected_version, **values)
    event(user, org, "approve", comment.strip(), current)
    record(AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, target]})
    org.refresh_from_db()
    if current.kind == AppKind.REGISTRATION:
        certificates.issue(user, org)
    elif current.kind == AppKind.CHANGE and reissue:
        certificates.reissue(user, org)
    elif current.kind == AppKind.DEREGISTRATION:
        certificates.void_all(user, org, "注销登记")
    _notify_org(org, f"您的{current.get_kind_display()}申请已核准", comment, f"chapp:{current.pk}:a")
    current.refresh_from_db()
    return current


@transaction.atomic
def revoke(user: Any, org: Organisation, *, reason: str, expected_version: int) -> Organisation:
    """The bureau revokes (撤销) a registration with a reason; the certificate is voided."""
    from qinqing.chambers import certificates

    require_staff(user, "chambers.review", org)
    if not reason.strip():
        raise ValidationError({"reason": "请填写撤销理由"})
    current = Organisation.objects.select_for_update().get(pk=org.pk)
    if current.version != expected_version:
        raise StaleError()
    if current.status != OrgStatus.ACTIVE:
        raise ValidationError(f"只能撤销已登记的组织（当前：{current.get_status_display()}）")
    _bump(
        Organisation,
        current.pk,
        expected_version,
        status=OrgStatus.REVOKED,
        ended_on=today(),
        end_reason=limited(reason, "reason", "撤销理由"),
    )
    Application.objects.filter(organisation=current, status__in=rules.OPEN_APP_STATUSES).update(
        status=AppStatus.WITHDRAWN, version=F("version") + 1
    )
    event(user, current, "revoke", reason.strip())
    record(
        AuditAction.WORKFLOW, actor=user, obj=current, changes={"status": [current.status, OrgStatus.REVOKED]}
    )
    current.refresh_from_db()
    certificates.void_all(user, current, "撤销登记")
    return current


@transaction.atomic
def record_error(
    user: Any, app: Application, *, description: str, found_on: dt.date | None = None
) -> RegistrationError:
    """A correction after approval: counts an error against the approved application."""
    require_staff(user, "chambers.review", app.organisation)
    if app.status != AppStatus.APPROVED:
        raise ValidationError("只能对已核准的申请登记差错")
    if not description.strip():
        raise ValidationError({"description": "请说明差错内容"})
    row = RegistrationError.objects.create(
        application=app,
        found_on=found_on or today(),
        description=limited(description, "description", "差错内容"),
        recorded_by=user,
    )
    event(user, app.organisation, "error", row.description, app)
    record_create(user, row)
    return row


def _notify_org(org: Organisation, subject: str, body: str, key: str) -> None:
    from qinqing.demands import notifications

    users = [a.user for a in OrganisationAccount.objects.filter(organisation=org).select_related("user")]
    transaction.on_commit(
        lambda: notifications.enqueue(users, subject, body or subject, key=key[:60], email=False)
    )


# --- the bureau's bookkeeping ----------------------------------------------------------------------------
@transaction.atomic
def log_complaint(
    user: Any, *, area: Unit, summary: str, received_on: dt.date, organisation: Organisation | None = None
) -> Complaint:
    require(user, "chambers.manage")
    scope = getattr(user, "scope_unit", None)
    if scope is None or not area.path.startswith(scope.path):
        raise PermissionDenied("该地区不在您的数据范围内")
    if not summary.strip():
        raise ValidationError({"summary": "请填写投诉内容摘要"})
    row = Complaint.objects.create(
        area=area,
        organisation=organisation,
        received_on=received_on,
        summary=limited(summary, "summary", "投诉内容摘要"),
        recorded_by=user,
    )
    record_create(user, row)
    return row


TARGET_FIELDS = (
    "inspections",
    "revocations",
    "changes",
    "registrations",
    "certificates",
    "error_rate_max",
    "ontime_rate_min",
    "complaints_max",
)


@transaction.atomic
def set_targets(user: Any, *, area: Unit, year: int, values: Mapping[str, Any]) -> YearTarget:
    require(user, "chambers.manage")
    scope = getattr(user, "scope_unit", None)
    if scope is None or not area.path.startswith(scope.path):
        raise PermissionDenied("该地区不在您的数据范围内")
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度应在2000至2100之间"})
    target, created = YearTarget.objects.get_or_create(area=area, year=year)
    before = snapshot(target)
    for field in TARGET_FIELDS:
        if field in values and values[field] not in (None, ""):
            try:
                number = Decimal(str(values[field]))
            except InvalidOperation:
                raise ValidationError({field: "请输入数字"}) from None
            if number < 0:
                raise ValidationError({field: "不能为负数"})
            setattr(target, field, number if "rate" in field else int(number))
    target.full_clean()
    target.save()
    if created:
        record_create(user, target)
    else:
        record_update(user, target, before)
    return target


@transaction.atomic
def update_settings(user: Any, values: Mapping[str, Any]) -> ReviewSettings:
    require(user, "chambers.manage")
    obj = ReviewSettings.current()
    before = snapshot(obj)
    for field in (
        "registration_days",
        "change_days",
        "deregistration_days",
        "remind_days",
        "rectification_days",
    ):
        if field in values:
            try:
                setattr(obj, field, int(values[field]))
            except (TypeError, ValueError):
                raise ValidationError({field: "请输入整数"}) from None
    obj.full_clean()
    obj.save()
    record_update(user, obj, before)
    return obj


def add_member(
    user: Any, org: Organisation, *, name: str, credit_code: str, is_founder: bool = False
) -> Member:
    """One member (the roster import adds many, all or nothing)."""
    from qinqing.enterprises import creditcode

    if side_of(user) == rules.ORG:
        require_own(user, org)
    else:
        require_staff(user, "chambers.manage", org)
    check = creditcode.check(credit_code)
    if not check.ok:
        raise ValidationError({"credit_code": f"统一社会信用代码有误：{check.error}"})
    try:
        with transaction.atomic():
            return Member.objects.create(
                organisation=org, name=name.strip(), credit_code=check.code, is_founder=is_founder
            )
    except IntegrityError:
        raise ValidationError({"credit_code": "该单位已在会员名册中"}) from None
