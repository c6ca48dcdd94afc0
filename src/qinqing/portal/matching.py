"""政策匹配: rules are data on each policy (``data["rules"]``, ``data["checks"]``), evaluated here.

A rule is ``{"field": F, "op": OP, "value": V}`` with F one of ``FIELDS``:

- ``industry`` / ``in``: GB/T 4754 codes (门类 letters or 大类 two digits); a 大类 input matches its own
  code or its 门类; a 门类 input against a list of 大类 cannot be decided (to check).
- ``investment_wan`` / ``>=`` or ``<=``: planned investment in 万元 (Decimal strings).
- ``jobs`` / ``>=``: planned jobs.
- ``location`` / ``in``: unit ids (the county or park where the project lands).
- ``project_type`` / ``in`` and ``scale`` / ``in``: choice codes (models.ProjectType, EnterpriseScale).

A policy matches when no rule fails; a rule over a field the investor left blank is listed among the
conditions still to check, with the policy's free-text ``checks``. Expired policies never match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from qinqing.enterprises.industries import DIVISIONS, SECTIONS, section_of
from qinqing.portal.models import EnterpriseScale, ProjectType

FIELDS = {
    "industry": "行业",
    "investment_wan": "计划投资",
    "jobs": "计划用工",
    "location": "落地区域",
    "project_type": "项目类型",
    "scale": "企业规模",
}


@dataclass(frozen=True)
class Inputs:
    industry: str = ""
    investment_wan: Decimal | None = None
    jobs: int | None = None
    location: int | None = None
    project_type: str = ""
    scale: str = ""


@dataclass
class Match:
    policy: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    to_check: list[str] = field(default_factory=list)


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def parse_inputs(params: Any) -> Inputs:
    """Inputs from a query dict / JSON body; unusable values count as blank."""

    def get(key: str) -> str:
        return str(params.get(key) or "").strip()

    industry = get("industry").upper()
    if industry and industry not in SECTIONS and industry not in DIVISIONS:
        industry = ""
    jobs = get("jobs")
    location = get("location")
    return Inputs(
        industry=industry,
        investment_wan=_dec(get("investment_wan")),
        jobs=int(jobs) if jobs.isdigit() else None,
        location=int(location) if location.isdigit() else None,
        project_type=get("project_type") if get("project_type") in ProjectType.values else "",
        scale=get("scale") if get("scale") in EnterpriseScale.values else "",
    )


def _label_codes(codes: list[str]) -> str:
    names = []
    for c in codes:
        if c in SECTIONS:
            names.append(SECTIONS[c])
        elif c in DIVISIONS:
            names.append(DIVISIONS[c][1])
    return "、".join(names)


def describe(rule: dict[str, Any], locations: dict[int, str]) -> str:
    f, op, v = rule.get("field"), rule.get("op"), rule.get("value")
    if f == "industry":
        return f"行业属于：{_label_codes(list(v or []))}"
    if f == "investment_wan":
        return f"计划投资{'不少于' if op == '>=' else '不超过'} {v} 万元"
    if f == "jobs":
        return f"计划用工不少于 {v} 人"
    if f == "location":
        return "落地区域：" + "、".join(locations.get(int(x), str(x)) for x in (v or []))
    if f == "project_type":
        return "项目类型：" + "、".join(ProjectType(x).label for x in (v or []) if x in ProjectType.values)
    if f == "scale":
        return "企业规模：" + "、".join(
            EnterpriseScale(x).label for x in (v or []) if x in EnterpriseScale.values
        )
    return str(rule)


def evaluate(rule: dict[str, Any], inputs: Inputs) -> bool | None:
    """True (passes), False (fails), None (cannot be decided from the inputs)."""
    f, op, v = rule.get("field"), rule.get("op"), rule.get("value")
    if f == "industry":
        if not inputs.industry:
            return None
        codes = set(v or [])
        if inputs.industry in codes:
            return True
        if inputs.industry in DIVISIONS:
            return section_of(inputs.industry) in codes
        if any(c in DIVISIONS and section_of(c) == inputs.industry for c in codes):
            return None
        return False
    if f in ("investment_wan", "jobs"):
        value = inputs.investment_wan if f == "investment_wan" else inputs.jobs
        bound = _dec(v)
        if value is None or bound is None:
            return None
        return Decimal(value) >= bound if op == ">=" else Decimal(value) <= bound
    if f == "location":
        if inputs.location is None:
            return None
        return inputs.location in {int(x) for x in (v or [])}
    if f in ("project_type", "scale"):
        value = getattr(inputs, f)
        if not value:
            return None
        return value in set(v or [])
    return None


def is_expired(policy: dict[str, Any], today: dt.date) -> bool:
    end = (policy.get("data") or {}).get("valid_to")
    return bool(end) and str(end) < today.isoformat()


def match(
    policies: list[dict[str, Any]], inputs: Inputs, today: dt.date, locations: dict[int, str]
) -> list[Match]:
    found: list[Match] = []
    for policy in policies:
        if is_expired(policy, today):
            continue
        data = policy.get("data") or {}
        start = data.get("valid_from")
        if start and str(start) > today.isoformat():
            continue
        m = Match(policy)
        ok = True
        for rule in data.get("rules") or []:
            verdict = evaluate(rule, inputs)
            text = describe(rule, locations)
            if verdict is False:
                ok = False
                break
            (m.reasons if verdict else m.to_check).append(text)
        if not ok:
            continue
        if not data.get("rules"):
            m.reasons.append("普遍适用（无限定条件）")
        m.to_check.extend(str(c) for c in data.get("checks") or [])
        found.append(m)
    found.sort(key=lambda m: (-len(m.reasons), len(m.to_check), -int(m.policy["id"])))
    return found
