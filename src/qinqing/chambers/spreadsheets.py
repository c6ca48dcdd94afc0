"""Excel export of the organisation list: contact mobiles masked, formula-like cells neutralised."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.chambers.models import Organisation
from qinqing.core.permissions import require
from qinqing.core.spreadsheets import safe_cell as safe
from qinqing.core.spreadsheets import workbook_bytes

HEADERS = (
    "名称",
    "类型",
    "状态",
    "登记地区",
    "原籍地",
    "民政登记证号",
    "统一社会信用代码",
    "住所",
    "注册资金（万元）",
    "负责人",
    "联系人",
    "联系人手机（已脱敏）",
    "登记日期",
)


def workbook(rows: Iterable[Organisation]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "社会组织"
    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for org in rows:
        ws.append(
            [
                safe(v)
                for v in (
                    org.name,
                    org.get_kind_display(),
                    org.get_status_display(),
                    org.area.name,
                    org.place_of_origin,
                    org.registration_number,
                    org.credit_code,
                    org.address,
                    org.capital_wan,
                    org.head_name,
                    org.contact_name,
                    org.masked_contact_mobile,
                    org.registered_on.isoformat() if org.registered_on else "",
                )
            ]
        )
    ws.freeze_panes = "A2"
    return workbook_bytes(wb)


def export_response(user: Any, rows: Any) -> HttpResponse:
    require(user, "chambers.view")
    data = workbook(rows.select_related("area"))
    record(
        AuditAction.EXPORT,
        actor=user,
        object_type="chambers.organisation",
        detail="导出社会组织名录（已脱敏）",
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''organisations.xlsx"
    return response
