"""Every change to enterprises and contacts: scoped, capability-checked and audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from qinqing.audit.models import AuditAction, AuditResult
from qinqing.audit.services import diff, record, record_create, record_update, snapshot
from qinqing.core.permissions import require
from qinqing.enterprises import importing, spreadsheets
from qinqing.enterprises.filters import EnterpriseFilter, active_filters
from qinqing.enterprises.models import Contact, Enterprise, mask_mobile, normalize_mobile
from qinqing.enterprises.queries import enterprise_list
from qinqing.orgs.models import Unit, UnitKind

ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "legal_representative",
    "industry_section",
    "industry_division",
    "scale",
    "ownership",
    "registered_unit",
    "address",
    "status",
)
CONTACT_FIELDS = ("name", "title", "mobile", "is_primary")


# --- helpers -------------------------------------------------------------------------------------
def check_unit_in_scope(actor: Any, unit: Unit) -> None:
    """An enterprise may only be registered to (or moved into) a unit inside the actor's scope."""
    scope = getattr(actor, "scope_unit", None)
    if scope is None or not unit.is_within(scope):
        raise ValidationError({"registered_unit": "属地单位不在您的数据范围内"})
    if unit.kind == UnitKind.DEPARTMENT:
        raise ValidationError({"registered_unit": "属地单位应为地区、县市区、园区或乡镇街道，不能是部门"})
    if not unit.is_active:
        raise ValidationError({"registered_unit": "该单位已停用"})


def _visible_enterprise(actor: Any, enterprise: Enterprise, *, lock: bool = False) -> Enterprise:
    qs = Enterprise.objects.visible_to(actor)
    if lock:
        qs = qs.select_for_update()
    current = qs.select_related("registered_unit").filter(pk=enterprise.pk).first()
    if current is None:
        raise Http404("未找到，或无权访问")
    return current


def _visible_contact(actor: Any, contact: Contact, *, lock: bool = False) -> Contact:
    qs = Contact.objects.visible_to(actor)
    if lock:
        qs = qs.select_for_update()
    current = qs.select_related("enterprise").filter(pk=contact.pk).first()
    if current is None:
        raise Http404("未找到，或无权访问")
    return current


def _check_code_free(code: str, exclude_pk: int | None = None) -> None:
    taken = Enterprise.objects.filter(credit_code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"credit_code": f"统一社会信用代码 {code} 已登记，不能重复"})


def _apply(obj: Any, data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for key, value in data.items():
        setattr(obj, key, value.strip() if isinstance(value, str) else value)


# --- enterprises ---------------------------------------------------------------------------------
@transaction.atomic
def create_enterprise(actor: Any, data: Mapping[str, Any]) -> Enterprise:
    """Register an enterprise in a unit of the actor's scope; the credit code is normalised."""
    require(actor, "enterprises.change")
    enterprise = Enterprise()
    _apply(enterprise, data, ENTERPRISE_FIELDS)
    if enterprise.registered_unit_id is None:
        raise ValidationError({"registered_unit": "请选择属地单位"})
    check_unit_in_scope(actor, enterprise.registered_unit)
    # clean() normalises the credit code or names the wrong position (so skip the raw max_length check)
    enterprise.full_clean(exclude=["credit_code"], validate_unique=False)
    _check_code_free(enterprise.credit_code)
    enterprise.save()
    record_create(actor, enterprise)
    return enterprise


@transaction.atomic
def update_enterprise(actor: Any, enterprise: Enterprise, data: Mapping[str, Any]) -> Enterprise:
    """Change the given fields; audited with the field-level before/after diff."""
    require(actor, "enterprises.change")
    current = _visible_enterprise(actor, enterprise, lock=True)
    before = snapshot(current)
    old_unit_id = current.registered_unit_id
    _apply(current, data, ENTERPRISE_FIELDS)
    if current.registered_unit_id != old_unit_id:
        check_unit_in_scope(actor, current.registered_unit)
    current.full_clean(exclude=["credit_code"], validate_unique=False)
    _check_code_free(current.credit_code, exclude_pk=current.pk)
    current.save()
    record_update(actor, current, before)
    return current


# --- contacts ------------------------------------------------------------------------------------
def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    """A contact's audit snapshot; the mobile is stored masked (个人信息保护法)."""
    data = snapshot(contact, ["enterprise_id", "name", "title", "mobile", "is_primary"])
    data["mobile"] = mask_mobile(data["mobile"] or "")
    return data


def _demote_primary(actor: Any, enterprise: Enterprise, keep_pk: int | None) -> None:
    others = Contact.objects.filter(enterprise=enterprise, is_primary=True)
    if keep_pk is not None:
        others = others.exclude(pk=keep_pk)
    for other in others:
        before = _contact_snapshot(other)
        other.is_primary = False
        other.save(update_fields=["is_primary"])
        record(AuditAction.UPDATE, actor=actor, obj=other, changes=diff(before, _contact_snapshot(other)))


def _clean_contact(contact: Contact) -> None:
    contact.mobile = normalize_mobile(contact.mobile)
    contact.full_clean(exclude=["enterprise"])


@transaction.atomic
def add_contact(actor: Any, enterprise: Enterprise, data: Mapping[str, Any]) -> Contact:
    """Add a contact; the first contact of an enterprise becomes its primary contact."""
    require(actor, "enterprises.change")
    current = _visible_enterprise(actor, enterprise, lock=True)
    contact = Contact(enterprise=current)
    _apply(contact, data, CONTACT_FIELDS)
    _clean_contact(contact)
    if not Contact.objects.filter(enterprise=current, is_primary=True).exists():
        contact.is_primary = True
    if contact.is_primary:
        _demote_primary(actor, current, keep_pk=None)
    contact.save()
    record(AuditAction.CREATE, actor=actor, obj=contact, changes=diff({}, _contact_snapshot(contact)))
    return contact


@transaction.atomic
def update_contact(actor: Any, contact: Contact, data: Mapping[str, Any]) -> Contact:
    require(actor, "enterprises.change")
    current = _visible_contact(actor, contact, lock=True)
    before = _contact_snapshot(current)
    was_primary = current.is_primary
    _apply(current, data, CONTACT_FIELDS)
    _clean_contact(current)
    if current.is_primary and not was_primary:
        _demote_primary(actor, current.enterprise, keep_pk=current.pk)
    elif was_primary and not current.is_primary:
        raise ValidationError({"is_primary": "请先将另一位联系人设为主要联系人"})
    current.save()
    changes = diff(before, _contact_snapshot(current))
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=current, changes=changes)
    return current


@transaction.atomic
def remove_contact(actor: Any, contact: Contact) -> None:
    """Delete a contact; when it was the primary one, the next contact becomes primary."""
    require(actor, "enterprises.change")
    current = _visible_contact(actor, contact, lock=True)
    enterprise = current.enterprise
    gone = {key: [value, None] for key, value in _contact_snapshot(current).items()}
    record(AuditAction.DELETE, actor=actor, obj=current, changes=gone)
    was_primary = current.is_primary
    current.delete()
    if was_primary:
        successor = Contact.objects.filter(enterprise=enterprise).order_by("id").first()
        if successor is not None:
            before = _contact_snapshot(successor)
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
            record(
                AuditAction.UPDATE,
                actor=actor,
                obj=successor,
                changes=diff(before, _contact_snapshot(successor)),
            )


@transaction.atomic
def reveal_mobile(actor: Any, contact: Contact) -> str:
    """The full mobile number; needs enterprises.view_pii and writes a VIEW_PII audit event every time."""
    require(actor, "enterprises.view_pii")
    current = _visible_contact(actor, contact)
    record(
        AuditAction.VIEW_PII,
        actor=actor,
        obj=current,
        changes={"field": "mobile"},
        detail=f"查看联系人手机号：{current.enterprise.name} {current.name}",
    )
    return current.mobile


# --- export and import ---------------------------------------------------------------------------
@transaction.atomic
def export_enterprises(actor: Any, params: Mapping[str, Any]) -> tuple[bytes, int]:
    """The filtered list as .xlsx (mobiles masked); audited with the filter and the row count."""
    require(actor, "enterprises.export")
    request = _RequestLike(actor)
    filterset = EnterpriseFilter(params, queryset=enterprise_list(actor), request=request)
    if not filterset.is_valid():
        raise ValidationError({k: list(v) for k, v in filterset.errors.items()})
    rows = list(filterset.qs)
    content = spreadsheets.export_workbook(rows)
    filters = active_filters(params)
    record(
        AuditAction.EXPORT,
        actor=actor,
        object_type="enterprises.enterprise",
        changes={"filter": filters, "rows": len(rows)},
        detail=f"导出企业名录 {len(rows)} 条",
    )
    return content, len(rows)


class _RequestLike:
    """What the FilterSet needs of a request (the user, for the unit choices) outside a view."""

    def __init__(self, user: Any) -> None:
        self.user = user


@transaction.atomic
def import_enterprises(actor: Any, filename: str, content: bytes) -> importing.ImportResult:
    """Validate every row first; any problem saves nothing. A clean file is saved in one transaction,
    updating enterprises that already exist (by normalised credit code) instead of duplicating them."""
    require(actor, "enterprises.import")
    plan = importing.plan(actor, filename, content)
    if plan.errors:
        record(
            AuditAction.IMPORT,
            actor=actor,
            object_type="enterprises.enterprise",
            result=AuditResult.FAILURE,
            changes={"file": filename, "errors": len(plan.errors)},
            detail=f"导入失败：{filename}，{len(plan.errors)} 处错误",
        )
        return importing.ImportResult(errors=plan.errors)
    result = importing.ImportResult()
    for row in plan.rows:
        enterprise = plan.existing.get(row.credit_code)
        if enterprise is None:
            enterprise = Enterprise(credit_code=row.credit_code, **row.fields)
            enterprise.save()
            result.created += 1
        else:
            before = snapshot(enterprise)
            for key, value in row.fields.items():
                setattr(enterprise, key, value)
            if diff(before, snapshot(enterprise)):
                enterprise.save()
                result.updated += 1
            else:
                result.unchanged += 1
        if row.contact is not None:
            _import_contact(enterprise, row.contact, result)
    record(
        AuditAction.IMPORT,
        actor=actor,
        object_type="enterprises.enterprise",
        changes={
            "file": filename,
            "rows": len(plan.rows),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "contacts_created": result.contacts_created,
            "contacts_updated": result.contacts_updated,
        },
        detail=f"导入企业：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}",
    )
    return result


def _import_contact(enterprise: Enterprise, data: dict[str, str], result: importing.ImportResult) -> None:
    contact = Contact.objects.filter(enterprise=enterprise, name=data["name"]).first()
    if contact is None:
        has_primary = Contact.objects.filter(enterprise=enterprise, is_primary=True).exists()
        Contact.objects.create(enterprise=enterprise, is_primary=not has_primary, **data)
        result.contacts_created += 1
        return
    changed = False
    for key in ("title", "mobile"):
        if data.get(key) and getattr(contact, key) != data[key]:
            setattr(contact, key, data[key])
            changed = True
    if changed:
        contact.save()
        result.contacts_updated += 1
