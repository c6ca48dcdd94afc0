"""The scoring engine: Doing Business "distance to frontier" scores of an indicator tree. Pure: no database.

The pages, the API and ``qinqing evaluation score`` all call this module, so a score is the same
wherever it is read. Arithmetic is ``decimal.Decimal`` throughout, in a local context of 28 significant
digits (scores are not money, but Decimal makes the published Doing Business figures come out exactly:
New Zealand 2020, starting a business, is 99.975 and not 99.97499999999999). The power transform uses
Decimal's own non-integer power (correctly rounded to the context precision).

A leaf's score: ``100 × clip((worst − y) ÷ (worst − best), 0, 1) ^ power`` (power 1 unless the leaf has
a transform). The same formula serves lower- and higher-is-better leaves: for a higher-is-better leaf
``best`` is the maximum and ``worst`` the minimum. A parent's score is the weighted mean of its children's
scores; a missing child is left out of the mean (rule ``exclude``) or counts as 0 (rule ``zero``); a
parent all of whose children are missing is missing under ``exclude``. The root's code is the system's.

Units are independent (bounds are fixed per system, never derived from the data), so rescoring after
one changed value only rescores that unit: 200 leaves take well under a millisecond.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation, localcontext
from typing import Any

from qinqing.core.spreadsheets import safe_csv_writer

CONTEXT = Context(prec=28)
HUNDRED = Decimal(100)
ONE = Decimal(1)
ZERO = Decimal(0)
RANK_QUANTUM = Decimal("1e-9")  # scores equal to 9 decimals share a rank
MISSING_RULES = ("exclude", "zero")
SOURCES = ("entered", "survey", "metric")


class InvalidSystem(ValueError):
    """An indicator system that cannot be read or scored; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


class ValuesError(ValueError):
    """Values that cannot be scored; ``errors`` holds (line number, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("；".join(f"第{n}行：{m}" for n, m in errors))
        self.errors = errors


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    weight: Decimal = ONE
    children: tuple[Node, ...] = ()
    unit: str = ""
    better: str = ""  # "lower" | "higher" (leaves)
    best: Decimal | None = None
    worst: Decimal | None = None
    power: Decimal | None = None
    source: str = "entered"
    metric: str = ""
    note: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, parents before their children."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class System:
    root: Node
    missing: str = "exclude"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def code(self) -> str:
        return self.root.code

    def nodes(self) -> list[Node]:
        return list(self.root.walk())

    def leaves(self) -> list[Node]:
        return [n for n in self.root.walk() if n.is_leaf]

    def by_code(self) -> dict[str, Node]:
        return {n.code: n for n in self.root.walk()}


# --- reading and writing the exchange format -------------------------------------------------------
def _decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise InvalidOperation
    value = Decimal(str(raw).strip())
    if not value.is_finite():
        raise InvalidOperation
    return value


def parse_system(data: Mapping[str, Any], *, require_bounds: bool = True) -> System:
    """Read the JSON exchange format (a mapping); raise InvalidSystem with every problem found.

    REQUIRE_BOUNDS: every leaf must have best ≠ worst (scoring needs it); a draft imported for the office
    to complete passes False.
    """
    errors: list[str] = []
    seen: set[str] = set()

    def node(raw: Any, path: str) -> Node:
        if not isinstance(raw, Mapping):
            errors.append(f"{path}：应为对象")
            return Node(code="?", name="?")
        code = str(raw.get("code") or "").strip()
        name = str(raw.get("name") or "").strip()
        where = code or path
        if not code:
            errors.append(f"{path}：缺少指标代码 code")
        elif code in seen:
            errors.append(f"{code}：指标代码重复")
        seen.add(code)
        if not name:
            errors.append(f"{where}：缺少指标名称 name")
        try:
            weight = _decimal(raw.get("weight", 1))
        except (InvalidOperation, ValueError):
            errors.append(f"{where}：权重不是数字")
            weight = ONE
        if weight is None:
            weight = ONE
        if weight < 0:
            errors.append(f"{where}：权重不能为负数")
        kids = raw.get("children")
        if kids is not None and not isinstance(kids, list):
            errors.append(f"{where}：children 应为数组")
            kids = []
        children = tuple(node(c, f"{where}/{i + 1}") for i, c in enumerate(kids or []))
        if kids is not None and not kids:
            errors.append(f"{where}：children 不能为空")
        if children:
            return Node(code=code, name=name, weight=weight, children=children, note=str(raw.get("note", "")))
        bounds: dict[str, Decimal | None] = {}
        for key in ("best", "worst"):
            try:
                bounds[key] = _decimal(raw.get(key))
            except (InvalidOperation, ValueError):
                errors.append(f"{where}：{key} 不是数字")
                bounds[key] = None
        best, worst = bounds["best"], bounds["worst"]
        better = str(raw.get("better") or "").strip()
        if better and better not in ("lower", "higher"):
            errors.append(f"{where}：better 应为 lower 或 higher")
        if best is None or worst is None:
            if require_bounds:
                errors.append(f"{where}：叶子指标缺少最优值或最差值（best/worst）")
        elif best == worst:
            errors.append(f"{where}：最优值与最差值相同（best = worst）")
        elif better == "lower" and best > worst:
            errors.append(f"{where}：越低越好的指标，最优值应小于最差值")
        elif better == "higher" and best < worst:
            errors.append(f"{where}：越高越好的指标，最优值应大于最差值")
        if not better and best is not None and worst is not None and best != worst:
            better = "lower" if best < worst else "higher"
        power: Decimal | None = None
        transform = raw.get("transform")
        if transform is not None:
            if not isinstance(transform, Mapping) or "power" not in transform:
                errors.append(f'{where}：transform 仅支持 {{"power": 数字}}')
            else:
                try:
                    power = _decimal(transform["power"])
                except (InvalidOperation, ValueError):
                    errors.append(f"{where}：power 不是数字")
                if power is not None and power <= 0:
                    errors.append(f"{where}：power 应大于 0")
        source = str(raw.get("source") or "entered")
        if source not in SOURCES:
            errors.append(f"{where}：数据来源 source 应为 {'/'.join(SOURCES)}")
        metric = str(raw.get("metric") or "")
        if source in ("metric", "survey") and not metric:
            errors.append(f"{where}：数据来源为平台指标时须填写 metric")
        return Node(
            code=code,
            name=name,
            weight=weight,
            unit=str(raw.get("unit") or ""),
            better=better,
            best=best,
            worst=worst,
            power=power,
            source=source,
            metric=metric,
            note=str(raw.get("note", "")),
        )

    if not isinstance(data, Mapping):
        raise InvalidSystem(["指标体系应为 JSON 对象"])
    missing = str(data.get("missing") or "exclude")
    if missing not in MISSING_RULES:
        errors.append("missing 应为 exclude（不计入）或 zero（按0分）")
    root = node(data, "根")
    if root.is_leaf and not errors:
        errors.append(f"{root.code}：指标体系至少要有一个下级指标")
    if errors:
        raise InvalidSystem(errors)
    extra = {
        k: v for k, v in data.items() if k not in {"code", "name", "missing", "children", "weight", "note"}
    }
    return System(root=root, missing=missing, extra=extra)


def loads_system(text: str, *, require_bounds: bool = True) -> System:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSystem([f"JSON 格式错误：第{exc.lineno}行第{exc.colno}列 {exc.msg}"]) from None
    return parse_system(data, require_bounds=require_bounds)


def _num(value: Decimal) -> int | float | str:
    """A bound for JSON: an int when integral, else a float with the same digits."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def node_dict(n: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"code": n.code, "name": n.name}
    if n.weight != ONE:
        out["weight"] = _num(n.weight)
    if n.note:
        out["note"] = n.note
    if n.children:
        out["children"] = [node_dict(c) for c in n.children]
        return out
    if n.unit:
        out["unit"] = n.unit
    if n.better:
        out["better"] = n.better
    if n.best is not None:
        out["best"] = _num(n.best)
    if n.worst is not None:
        out["worst"] = _num(n.worst)
    if n.power is not None:
        out["transform"] = {"power": _num(n.power)}
    if n.source != "entered":
        out["source"] = n.source
    if n.metric:
        out["metric"] = n.metric
    return out


def system_dict(system: System) -> dict[str, Any]:
    out = node_dict(system.root)
    head = {"code": out.pop("code"), "name": out.pop("name"), "missing": system.missing, **system.extra}
    return {**head, **out}


# --- values -----------------------------------------------------------------------------------------
Values = dict[str, dict[str, Decimal]]  # unit -> leaf code -> value


def parse_values(text: str, system: System) -> Values:
    """Read ``unit,indicator,value`` CSV; raise ValuesError listing every bad line (nothing half-read)."""
    nodes = system.by_code()
    errors: list[tuple[int, str]] = []
    values: Values = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != ["unit", "indicator", "value"]:
        raise ValuesError([(1, "表头应为 unit,indicator,value")])
    for number, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 3:
            errors.append((number, f"应有3列，实有{len(row)}列"))
            continue
        unit, code, raw = (c.strip() for c in row)
        if not unit:
            errors.append((number, "缺少单位 unit"))
            continue
        target = nodes.get(code)
        if target is None:
            errors.append((number, f"未知指标 {code}"))
            continue
        if not target.is_leaf:
            errors.append((number, f"{code} 不是叶子指标，其得分由下级指标计算"))
            continue
        try:
            value = _decimal(raw)
        except (InvalidOperation, ValueError):
            value = None
            errors.append((number, f"数值“{raw}”不是数字"))
            continue
        if value is None:
            continue  # an empty value is a missing value
        if code in values.setdefault(unit, {}):
            errors.append((number, f"{unit} 的 {code} 重复"))
            continue
        values[unit][code] = value
    if errors:
        raise ValuesError(errors)
    return values


# --- scoring ----------------------------------------------------------------------------------------
def bound_errors(system: System) -> list[str]:
    """Why SYSTEM cannot be scored (leaves without bounds, best = worst); empty when it can."""
    errors = []
    for n in system.leaves():
        if n.best is None or n.worst is None:
            errors.append(f"{n.code}：叶子指标缺少最优值或最差值（best/worst）")
        elif n.best == n.worst:
            errors.append(f"{n.code}：最优值与最差值相同（best = worst）")
    return errors


def leaf_score(n: Node, value: Decimal) -> Decimal:
    """100 × clip((worst − y)/(worst − best), 0, 1) ^ power."""
    assert n.best is not None and n.worst is not None
    with localcontext(CONTEXT):
        ratio = (n.worst - value) / (n.worst - n.best)
        ratio = min(max(ratio, ZERO), ONE)
        if n.power is not None and ZERO < ratio < ONE:
            ratio = ratio**n.power
        return HUNDRED * ratio


Scores = dict[str, Decimal | None]  # node code -> score (None: missing)


def score_unit(system: System, values: Mapping[str, Decimal]) -> Scores:
    """Every node's score for one unit's leaf values (a missing leaf is absent from VALUES)."""
    errors = bound_errors(system)
    if errors:
        raise InvalidSystem(errors)
    zero_missing = system.missing == "zero"
    out: Scores = {}

    def visit(n: Node) -> Decimal | None:
        if n.is_leaf:
            value = values.get(n.code)
            score = leaf_score(n, value) if value is not None else (ZERO if zero_missing else None)
        else:
            total = weight = ZERO
            with localcontext(CONTEXT):
                for child in n.children:
                    s = visit(child)
                    if s is None:
                        continue
                    total += child.weight * s
                    weight += child.weight
                score = total / weight if weight else (ZERO if zero_missing else None)
        out[n.code] = score
        return score

    visit(system.root)
    return out


def score_all(system: System, values: Mapping[str, Mapping[str, Decimal]]) -> dict[str, Scores]:
    return {unit: score_unit(system, vals) for unit, vals in values.items()}


def rank(scores: Mapping[Any, Decimal | None]) -> dict[Any, int | None]:
    """Competition ranking (1, 1, 3): equal scores (to 9 decimals) share a rank; missing → None."""
    keyed = {k: v.quantize(RANK_QUANTUM) for k, v in scores.items() if v is not None}
    ordered = sorted(keyed.values(), reverse=True)
    first: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {k: (first[keyed[k]] if k in keyed else None) for k in scores}


def median(values: Iterable[Decimal]) -> Decimal | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    with localcontext(CONTEXT):
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def format_score(score: Decimal | None, places: int = 10) -> str:
    """Unrounded for exchange: 10 decimals (the command prints these); '' for a missing score."""
    if score is None:
        return ""
    return f"{score:.{places}f}"


def scores_csv(system: System, scores: Mapping[str, Scores]) -> str:
    """``unit,indicator,score`` for every unit × node (parents before children, the root first)."""
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer, lineterminator="\n")
    writer.writerow(["unit", "indicator", "score"])
    codes = [n.code for n in system.nodes()]
    for unit in sorted(scores):
        for code in codes:
            writer.writerow([unit, code, format_score(scores[unit].get(code))])
    return buffer.getvalue()
