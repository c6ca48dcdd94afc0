"""Officers (负责人: 会长、副会长、秘书长、监事长 …) in a change application (变更申请).

The organisation proposes operations on its current officers, stored in the application as
``proposed["officers"]``: a list of

    {"op": "add",     "officer": {position, name, mobile, term_start, term_end}}
    {"op": "replace", "id": <officer id>, "before": {...}, "officer": {...}}
    {"op": "remove",  "id": <officer id>, "before": {...}}

``before`` is the officer as the applicant saw it. On approval (``apply``, inside the approval's
transaction) the officers are locked and each ``before`` must still match the current row: a correction
made meanwhile by the bureau makes the approval fail with the stale message (nothing written), the
reviewer returns the application and the applicant re-files against the current officers. Return and
refusal never touch the officers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from qinqing.chambers import rules
from qinqing.chambers.models import Officer, Organisation
from qinqing.enterprises.models import mask_mobile

KEY = "officers"
OPS = {"add": "新增", "replace": "更换", "remove": "免去"}
FIELDS = ("position", "name", "mobile", "term_start", "term_end")
# positions one person holds at a time (the certificate prints the 会长)
SINGLE_HOLDER = ("会长", "秘书长", "监事长")
STALE_OFFICERS = "负责人已在申请提交后被修改，请退回补正，由申请人按现任负责人重新填写"


def as_dict(officer: Officer) -> dict[str, str]:
    return {
        "position": officer.position,
        "name": officer.name,
        "mobile": officer.mobile,
        "term_start": officer.term_start.isoformat() if officer.term_start else "",
        "term_end": officer.term_end.isoformat() if officer.term_end else "",
    }


def describe(data: Mapping[str, Any] | None) -> str:
    """One officer as the reviewer reads it (the mobile masked)."""
    if not data:
        return "—"
    text = f"{data.get('position', '')} {data.get('name', '')}，任期 {data.get('term_start', '')}至{data.get('term_end', '')}"
    if data.get("mobile"):
        text += f"，手机 {mask_mobile(str(data['mobile']))}"
    return text


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _officer(org: Organisation, data: Mapping[str, Any], prefix: str) -> tuple[Officer, list[str]]:
    errors: list[str] = []
    raw_start, raw_end = data.get("term_start"), data.get("term_end")
    officer = Officer(  # type: ignore[misc]  # a blank date is reported by full_clean
        organisation=org,
        position=str(data.get("position") or "").strip(),
        name=str(data.get("name") or "").strip(),
        mobile=str(data.get("mobile") or "").strip(),
        term_start=_date(raw_start),
        term_end=_date(raw_end),
    )
    for label, raw, value in (
        ("任期起", raw_start, officer.term_start),
        ("任期止", raw_end, officer.term_end),
    ):
        if raw not in (None, "") and value is None:
            errors.append(f"{prefix}{label}日期格式应为 YYYY-MM-DD")
    if errors:
        return officer, errors
    try:
        officer.full_clean(exclude=["organisation"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            label = str(getattr(Officer._meta.get_field(field), "verbose_name", field))
            errors += [f"{prefix}{m}" if label in m else f"{prefix}{label}：{m}" for m in messages]
    return officer, errors


def list_problems(org: Organisation, officers: Sequence[Officer]) -> list[str]:
    """Rules on the whole list after a change: a chamber keeps at least one officer; 会长, 秘书长 and
    监事长 each have one holder at most."""
    problems: list[str] = []
    if org.kind == rules.OrgKind.CHAMBER and not officers:
        problems.append("变更后须至少保留一位负责人")
    for position in SINGLE_HOLDER:
        holders = [o.name for o in officers if o.position == position]
        if len(holders) > 1:
            problems.append(f"{position}只能有一位（变更后为：{'、'.join(holders)}）")
    return problems


def clean_changes(org: Organisation, raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate the proposed operations against ORG's current officers; the stored form (module doc).
    Every problem is reported at once, each with the operation's number."""
    if not isinstance(raw, (list, tuple)):
        raise ValidationError({KEY: "负责人变更应为列表"})
    current = {o.pk: o for o in Officer.objects.filter(organisation=org).order_by("pk")}
    errors: list[str] = []
    out: list[dict[str, Any]] = []
    touched: set[int] = set()
    for index, item in enumerate(raw, start=1):
        prefix = f"负责人变更第{index}项："
        if not isinstance(item, Mapping):
            errors.append(f"{prefix}格式有误")
            continue
        op = str(item.get("op") or "")
        if op not in OPS:
            errors.append(f"{prefix}请选择新增、更换或免去")
            continue
        row: dict[str, Any] = {"op": op}
        if op in ("replace", "remove"):
            try:
                pk = int(item.get("id") or 0)
            except (TypeError, ValueError):
                pk = 0
            if pk not in current:
                errors.append(f"{prefix}所选负责人不是本组织的现任负责人")
                continue
            if pk in touched:
                errors.append(f"{prefix}同一负责人只能变更一次")
                continue
            touched.add(pk)
            row["id"] = pk
            row["before"] = as_dict(current[pk])
        if op in ("add", "replace"):
            nested = item.get("officer")
            data: Mapping[str, Any] = nested if isinstance(nested, Mapping) else item
            officer, problems = _officer(org, data, prefix)
            if problems:
                errors += problems
                continue
            row["officer"] = as_dict(officer)
            if op == "replace" and row["officer"] == row["before"]:
                errors.append(f"{prefix}更换后的内容与现任相同")
                continue
        out.append(row)
    if not errors:
        errors += list_problems(org, _result(org, list(current.values()), out))
    if errors:
        raise ValidationError({KEY: errors})
    return out


def _result(org: Organisation, current: list[Officer], changes: Sequence[Mapping[str, Any]]) -> list[Officer]:
    """The officer list after CHANGES (unsaved rows for the new ones)."""
    by_id = {o.pk: o for o in current}
    for change in changes:
        if change["op"] == "remove":
            by_id.pop(change["id"], None)
        elif change["op"] == "replace":
            by_id[change["id"]] = _build(org, change["officer"], pk=change["id"])
    result = list(by_id.values())
    result += [_build(org, c["officer"]) for c in changes if c["op"] == "add"]
    return result


def _build(org: Organisation, data: Mapping[str, Any], pk: int | None = None) -> Officer:
    return Officer(
        pk=pk,
        organisation=org,
        position=data["position"],
        name=data["name"],
        mobile=data.get("mobile", ""),
        term_start=dt.date.fromisoformat(data["term_start"]),
        term_end=dt.date.fromisoformat(data["term_end"]),
    )


def rows(changes: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(label, before, after) per operation, for the reviewer (mobiles masked)."""
    return [
        (f"负责人（{OPS[c['op']]}）", describe(c.get("before")), describe(c.get("officer"))) for c in changes
    ]


def conflicts(org: Organisation, changes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The operations whose officer changed (or went) since the application was filed."""
    current = {o.pk: as_dict(o) for o in Officer.objects.filter(organisation=org)}
    return [
        f"{describe(c['before'])}：{STALE_OFFICERS}"
        for c in changes
        if c["op"] != "add" and current.get(c["id"]) != c["before"]
    ]


def apply(
    org: Organisation, changes: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Apply CHANGES to ORG's officers (call inside the approval's transaction, ORG locked). Returns the
    officer lists before and after. Raises the stale error when an officer changed since filing."""
    from qinqing.chambers.services import StaleError

    current = list(Officer.objects.select_for_update().filter(organisation=org).order_by("pk"))
    by_id = {o.pk: o for o in current}
    for change in changes:
        if change["op"] != "add" and (
            change["id"] not in by_id or as_dict(by_id[change["id"]]) != change["before"]
        ):
            raise StaleError()
    after = _result(org, current, changes)
    problems = list_problems(org, after)
    if problems:
        raise ValidationError(problems)
    before_list = [as_dict(o) for o in current]
    removed = [c["id"] for c in changes if c["op"] == "remove"]
    Officer.objects.filter(organisation=org, pk__in=removed).delete()
    for officer in after:
        if officer.pk in by_id and as_dict(officer) != as_dict(by_id[officer.pk]):
            Officer.objects.filter(pk=officer.pk).update(**{f: getattr(officer, f) for f in FIELDS})
    Officer.objects.bulk_create([o for o in after if o.pk is None])
    after_list = [as_dict(o) for o in Officer.objects.filter(organisation=org).order_by("pk")]
    return before_list, after_list


def masked(officer_list: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """An officer list for the audit row and the API: mobiles masked."""
    return [{**o, "mobile": mask_mobile(str(o.get("mobile") or ""))} for o in officer_list]


def approve(user: Any, org: Organisation, app: Any) -> list[dict[str, Any]]:
    """The officers' part of approving change application APP (in its transaction): apply, audit row,
    history event. Returns the officers before the change (masked) to freeze in ``app.before``."""
    from qinqing.audit.models import AuditAction
    from qinqing.audit.services import record
    from qinqing.chambers.services import event

    changes = app.proposed[KEY]
    old, new = apply(org, changes)
    record(
        AuditAction.UPDATE,
        actor=user,
        obj=org,
        changes={KEY: [masked(old), masked(new)]},
        detail="变更核准：负责人",
    )
    event(user, org, "officers", "\n".join(f"{a}：{b} → {c}" for a, b, c in rows(changes)), app)
    return masked(old)
