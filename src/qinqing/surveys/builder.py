"""Edits of a draft questionnaire's definition, as pure functions on its JSON (the builder page's actions).

Each returns a new definition; services.save_definition validates and stores it.
"""

from __future__ import annotations

import copy
from typing import Any

from qinqing.surveys import schema


def _ids(definition: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for s in definition.get("sections", []):
        for q in s.get("questions", []):
            out.add(str(q.get("id")))
            out.update(str(i.get("id")) for i in q.get("items", []) or [])
    return out


def next_id(definition: dict[str, Any], prefix: str = "q") -> str:
    taken = _ids(definition)
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def parse_options(text: str) -> list[dict[str, str]]:
    """Lines "value=label" or just "label" (values then a, b, c …)."""
    out = []
    for i, line in enumerate(x.strip() for x in text.splitlines() if x.strip()):
        value, sep, label = line.partition("=")
        out.append(
            {"value": value.strip(), "label": label.strip()}
            if sep
            else {"value": chr(97 + i) if i < 26 else f"o{i}", "label": line}
        )
    return out


def add_section(
    definition: dict[str, Any], title: str, condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    d = copy.deepcopy(definition)
    sections = d.setdefault("sections", [])
    taken = {s.get("id") for s in sections}
    n = len(sections) + 1
    while f"s{n}" in taken:
        n += 1
    sections.append({"id": f"s{n}", "title": title, "condition": condition, "questions": []})
    return d


def add_question(definition: dict[str, Any], section_id: str, question: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(definition)
    q = dict(question)
    if not q.get("id"):
        q["id"] = next_id(d)
    if q.get("type") == "matrix":
        items = q.get("items") or []
        for i, item in enumerate(items, 1):
            item.setdefault("id", f"{q['id']}_{i}")
    for s in d.get("sections", []):
        if s.get("id") == section_id:
            s.setdefault("questions", []).append(q)
            return d
    raise schema.DefinitionError("未找到该部分")


def remove_question(definition: dict[str, Any], question_id: str) -> dict[str, Any]:
    d = copy.deepcopy(definition)
    for s in d.get("sections", []):
        s["questions"] = [q for q in s.get("questions", []) if q.get("id") != question_id]
    return d


def move_question(definition: dict[str, Any], question_id: str, delta: int) -> dict[str, Any]:
    d = copy.deepcopy(definition)
    for s in d.get("sections", []):
        qs = s.get("questions", [])
        for i, q in enumerate(qs):
            if q.get("id") == question_id:
                j = i + delta
                if 0 <= j < len(qs):
                    qs[i], qs[j] = qs[j], qs[i]
                return d
    return d


def insert_library(definition: dict[str, Any], section_id: str, question: dict[str, Any]) -> dict[str, Any]:
    """A library question under a fresh id (so it can be inserted more than once)."""
    q = copy.deepcopy(question)
    q["id"] = next_id(definition)
    q.pop("condition", None)
    if q.get("type") == "matrix":
        for i, item in enumerate(q.get("items") or [], 1):
            item["id"] = f"{q['id']}_{i}"
    return add_question(definition, section_id, q)
