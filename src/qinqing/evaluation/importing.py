"""Import a round's values from Excel/CSV: all or nothing, with the errors of every row.

Columns (the first row is the header): 单位, 指标代码, 数值, 资料来源, 备注. 单位 is the unit's name or
short name; 指标代码 a leaf code of the round's system. Accepted values are not overwritten (an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.core.limits import length_error
from qinqing.core.permissions import require
from qinqing.enterprises.importing import FileError, read_table
from qinqing.evaluation import services
from qinqing.evaluation.models import Round, Value, ValueChange, ValueOrigin, ValueStatus

HEADERS = ["单位", "指标代码", "数值", "资料来源", "备注"]


@dataclass
class ImportResult:
    errors: list[tuple[int, str]] = field(default_factory=list)
    saved: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@transaction.atomic
def import_values(user: Any, rnd: Round, filename: str, content: bytes) -> ImportResult:
    require(user, "evaluation.enter")
    services._require_member_or_office(user, rnd)
    result = ImportResult()
    try:
        rows = read_table(filename, content)
    except FileError as exc:
        result.errors.append((0, str(exc)))
        return result
    if not rows or [c.strip() for c in rows[0][1][:3]] != HEADERS[:3]:
        result.errors.append((1, f"表头应为：{'、'.join(HEADERS)}"))
        return result
    units: dict[str, int] = {}
    for u in rnd.units.all():
        units[u.name] = u.pk
        if u.short_name:
            units.setdefault(u.short_name, u.pk)
    values = {
        (v.unit_id, v.indicator.code): v
        for v in Value.objects.select_for_update().filter(round=rnd).select_related("indicator")
    }
    planned: dict[int, tuple[Value, Decimal | None, str, str]] = {}
    for number, cells in rows[1:]:
        cells = (cells + [""] * 5)[:5]
        unit_text, code, raw, doc, note = (c.strip() for c in cells)
        if not any(cells):
            continue
        unit_id = units.get(unit_text)
        if unit_id is None:
            result.errors.append((number, f"单位“{unit_text}”不在本次评价中"))
            continue
        v = values.get((unit_id, code))
        if v is None:
            result.errors.append((number, f"指标代码“{code}”不是本体系的叶子指标"))
            continue
        if v.status == ValueStatus.ACCEPTED:
            result.errors.append((number, f"{unit_text} {code} 已审核通过，不能导入覆盖"))
            continue
        if v.pk in planned:
            result.errors.append((number, f"{unit_text} {code} 重复"))
            continue
        try:
            value = services.parse_number(raw)
        except ValidationError:
            result.errors.append((number, f"数值“{raw}”不是数字"))
            continue
        too_long = length_error(doc, "资料来源", 200)
        if too_long:
            result.errors.append((number, too_long))
            continue
        planned[v.pk] = (v, value, doc, note)
    if result.errors:
        return result
    for v, value, doc, note in planned.values():
        old, old_status = v.value, v.status
        v.value, v.source_document, v.note = value, doc or v.source_document, note or v.note
        v.origin, v.status, v.missing_reason = ValueOrigin.IMPORTED, ValueStatus.ENTRY, ""
        v.version += 1
        v.updated_by = user
        v.save()
        ValueChange.objects.create(
            value=v,
            at=services._now(),
            by=user,
            action="import",
            old_value=old,
            new_value=value,
            old_status=old_status,
            new_status=v.status,
            note=filename[:100],
        )
    result.saved = len(planned)
    record(AuditAction.IMPORT, actor=user, obj=rnd, changes={"file": filename, "rows": result.saved})
    return result
