"""Between the stored indicator tree (Indicator rows) and the scoring engine's System (and its JSON)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from qinqing.evaluation import scoring
from qinqing.evaluation.models import Indicator, IndicatorSystem

DATA = Path(__file__).parent / "data"
SHIPPED = {
    "national": DATA / "national.json",
    "doing_business": DATA / "doing_business_starting_a_business.json",
}


def shipped(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHIPPED[name].read_text(encoding="utf-8"))
    return data


def rows_by_parent(system: IndicatorSystem) -> dict[int | None, list[Indicator]]:
    children: dict[int | None, list[Indicator]] = defaultdict(list)
    for row in Indicator.objects.filter(system=system).order_by("order", "pk"):
        children[row.parent_id].append(row)
    return children


def engine_system(system: IndicatorSystem) -> scoring.System:
    """The engine's view of SYSTEM (one query)."""
    children = rows_by_parent(system)

    def node(row: Indicator) -> scoring.Node:
        kids = tuple(node(c) for c in children.get(row.pk, []))
        if kids:
            return scoring.Node(code=row.code, name=row.name, weight=row.weight, children=kids, note=row.note)
        return scoring.Node(
            code=row.code,
            name=row.name,
            weight=row.weight,
            unit=row.unit,
            better=row.better,
            best=_plain(row.best),
            worst=_plain(row.worst),
            power=_plain(row.power),
            source=row.source,
            metric=row.metric,
            note=row.note,
        )

    root = scoring.Node(
        code=system.code, name=system.name, children=tuple(node(c) for c in children.get(None, []))
    )
    return scoring.System(root=root, missing=system.missing, extra={"year": system.year})


def _plain(value: Any) -> Any:
    return None if value is None else value.normalize()


def export_system(system: IndicatorSystem) -> dict[str, Any]:
    data = scoring.system_dict(engine_system(system))
    if system.note:
        data["note"] = system.note
    return data


def write_tree(system: IndicatorSystem, parsed: scoring.System) -> int:
    """Create SYSTEM's Indicator rows from PARSED (an empty system); returns the number of nodes."""
    order = 0
    count = 0

    def add(n: scoring.Node, parent: Indicator | None) -> None:
        nonlocal order, count
        order += 1
        count += 1
        row = Indicator.objects.create(
            system=system,
            parent=parent,
            code=n.code,
            name=n.name,
            order=order,
            weight=n.weight,
            unit=n.unit if n.is_leaf else "",
            better=n.better if n.is_leaf else "",
            best=n.best,
            worst=n.worst,
            power=n.power,
            source=n.source,
            metric=n.metric,
            note=n.note,
        )
        for child in n.children:
            add(child, row)

    for top in parsed.root.children:
        add(top, None)
    return count


def leaves(system: IndicatorSystem) -> list[Indicator]:
    """The leaf rows of SYSTEM in tree order (one query)."""
    rows = list(Indicator.objects.filter(system=system).order_by("order", "pk"))
    parents = {r.parent_id for r in rows}
    return [r for r in rows if r.pk not in parents]


def first_level(system: IndicatorSystem) -> list[Indicator]:
    return list(Indicator.objects.filter(system=system, parent=None).order_by("order", "pk"))


def topic_of(system: scoring.System) -> dict[str, str]:
    """Node code → the code of its first-level indicator (the root maps to itself)."""
    out = {system.code: system.code}
    for top in system.root.children:
        for n in top.walk():
            out[n.code] = top.code
    return out
