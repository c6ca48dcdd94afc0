"""Reads of the evaluation app: progress, ranking, scorecards (a fixed number of queries each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from qinqing.evaluation import scoring, trees
from qinqing.evaluation.models import Benchmark, ReformMeasure, Round, UnitScore, Value, ValueStatus
from qinqing.evaluation.services import engine_for
from qinqing.orgs.models import Unit


@dataclass
class Progress:
    unit: Unit
    total: int
    entered: int
    review: int
    accepted: int
    overall: Decimal | None

    @property
    def percent(self) -> int:
        return round(100 * self.accepted / self.total) if self.total else 0


def progress(rnd: Round) -> list[Progress]:
    counts = {
        row["unit_id"]: row
        for row in Value.objects.filter(round=rnd)
        .values("unit_id")
        .annotate(
            total=Count("id"),
            entered=Count("id", filter=Q(value__isnull=False)),
            review=Count("id", filter=Q(status=ValueStatus.REVIEW)),
            accepted=Count("id", filter=Q(status=ValueStatus.ACCEPTED)),
        )
    }
    overall = dict(UnitScore.objects.filter(round=rnd).values_list("unit_id", "overall"))
    out = []
    for u in rnd.units.order_by("path"):
        c = counts.get(u.pk, {})
        out.append(
            Progress(
                u,
                c.get("total", 0),
                c.get("entered", 0),
                c.get("review", 0),
                c.get("accepted", 0),
                overall.get(u.pk),
            )
        )
    return out


@dataclass
class RankRow:
    unit: Unit
    score: Decimal | None
    rank: int | None
    previous: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


@dataclass
class Ranking:
    node: scoring.Node
    rows: list[RankRow]
    comparable: bool | None  # None: no previous round
    notice: str = ""
    best: Decimal | None = None
    median: Decimal | None = None


def comparable(rnd: Round) -> tuple[bool | None, str]:
    """Whether year-on-year change can be shown: the previous round's system has the same bounds."""
    prev = rnd.previous
    if prev is None:
        return None, ""
    a, b = engine_for(rnd), engine_for(prev)

    def bounds(s: scoring.System) -> dict[str, tuple[Any, ...]]:
        return {n.code: (n.best, n.worst, n.power, n.weight) for n in s.nodes() if n is not s.root}

    if bounds(a) != bounds(b):
        return False, f"上一轮（{prev.name}）的指标体系或最优/最差值与本轮不同，不显示同比变化"
    return True, ""


def unit_scores(rnd: Round) -> dict[int, UnitScore]:
    return {s.unit_id: s for s in UnitScore.objects.filter(round=rnd)}


def ranking(rnd: Round, code: str | None = None) -> Ranking:
    system = engine_for(rnd)
    nodes = system.by_code()
    node = nodes.get(code or system.code) or system.root
    units = list(rnd.units.order_by("path"))
    scores = unit_scores(rnd)
    values = {u.pk: (scores[u.pk].score(node.code) if u.pk in scores else None) for u in units}
    ranks = scoring.rank(values)
    ok, notice = comparable(rnd)
    previous: dict[int, Decimal | None] = {}
    if ok and rnd.previous is not None:
        previous = {s.unit_id: s.score(node.code) for s in UnitScore.objects.filter(round=rnd.previous)}
    rows = [RankRow(u, values[u.pk], ranks[u.pk], previous.get(u.pk)) for u in units]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.path))
    present = [v for v in values.values() if v is not None]
    return Ranking(node, rows, ok, notice, max(present) if present else None, scoring.median(present))


@dataclass
class CardNode:
    node: scoring.Node
    depth: int
    score: Decimal | None
    best: Decimal | None  # the best unit's score
    median: Decimal | None
    rank: int | None
    value: Value | None = None
    benchmarks: list[tuple[str, Decimal, Decimal | None]] = field(
        default_factory=list
    )  # name, value, distance


@dataclass
class Scorecard:
    round: Round
    unit: Unit
    overall: Decimal | None
    rank: int | None
    units: int
    nodes: list[CardNode]
    topics: list[CardNode]
    weakest: list[CardNode]
    measures: dict[str, list[ReformMeasure]]
    missing_rule: str


def scorecard(rnd: Round, unit: Unit, *, with_values: bool = True) -> Scorecard:
    system = engine_for(rnd)
    scores = unit_scores(rnd)
    mine = scores.get(unit.pk)
    per_node: dict[str, dict[int, Decimal | None]] = {}
    for n in system.nodes():
        per_node[n.code] = {uid: s.score(n.code) for uid, s in scores.items()}
    values: dict[str, Value] = {}
    if with_values:
        values = {
            v.indicator.code: v
            for v in Value.objects.filter(round=rnd, unit=unit)
            .select_related("indicator")
            .prefetch_related("evidence")
        }
    marks: dict[str, list[tuple[str, Decimal, Decimal | None]]] = {}
    for b in Benchmark.objects.filter(round=rnd).select_related("indicator").order_by("name"):
        node = system.by_code().get(b.indicator.code)
        if node is None or node.best is None:
            continue
        own = values.get(b.indicator.code)
        distance = None
        if own is not None and own.value is not None and own.status == ValueStatus.ACCEPTED:
            distance = scoring.leaf_score(node, b.value) - scoring.leaf_score(node, own.value)
        marks.setdefault(b.indicator.code, []).append((b.name, b.value, distance))
    nodes: list[CardNode] = []

    def visit(n: scoring.Node, depth: int) -> None:
        column = per_node[n.code]
        present = [v for v in column.values() if v is not None]
        ranks = scoring.rank(column)
        nodes.append(
            CardNode(
                n,
                depth,
                mine.score(n.code) if mine else None,
                max(present) if present else None,
                scoring.median(present),
                ranks.get(unit.pk),
                values.get(n.code),
                marks.get(n.code, []),
            )
        )
        for c in n.children:
            visit(c, depth + 1)

    for top in system.root.children:
        visit(top, 0)
    overall_column = {uid: s.overall for uid, s in scores.items()}
    topics = [c for c in nodes if c.depth == 0]
    weakest = sorted([t for t in topics if t.score is not None], key=lambda t: (t.score, t.node.code))[:3]
    wanted = [t.node.code for t in weakest]
    measures: dict[str, list[ReformMeasure]] = {code: [] for code in wanted}
    for m in ReformMeasure.objects.filter(topic__in=_measure_topics(wanted), active=True):
        for code in wanted:
            if _measure_topic(code) == m.topic:
                measures[code].append(m)
    return Scorecard(
        rnd,
        unit,
        mine.overall if mine else None,
        scoring.rank(overall_column).get(unit.pk),
        rnd.units.count(),
        nodes,
        topics,
        weakest,
        measures,
        rnd.system.get_missing_display(),
    )


def _measure_topic(code: str) -> str:
    """Measures are keyed by the national system's first-level codes; DB.SB maps to SB."""
    return code.split(".")[-1] if code.startswith("DB.") else code


def _measure_topics(codes: list[str]) -> list[str]:
    return [_measure_topic(c) for c in codes]


def topic_names(rnd: Round) -> list[str]:
    return [n.name for n in engine_for(rnd).root.children]


def leaves_of(rnd: Round) -> list[Any]:
    return trees.leaves(rnd.system)


def home_cards(user: Any) -> list[Any]:
    """评价数据待审核: values waiting for review in the rounds the user sees (reviewers only)."""
    from django.urls import reverse

    from qinqing.core.queries import Card

    if not getattr(user, "is_authenticated", False) or not user.can("evaluation.review"):
        return []
    if getattr(user, "scope_unit", None) is None:
        return []
    pending = Value.objects.visible_to(user).filter(status=ValueStatus.REVIEW).count()
    return [Card("评价数据待审核", pending, reverse("evaluation:home"))] if pending else []


def values_csv(rnd: Round) -> str:
    """The round's accepted values as the command's VALUES.csv (unit = the unit's name)."""
    import io

    from qinqing.core.spreadsheets import safe_csv_writer

    buffer = io.StringIO()
    writer = safe_csv_writer(buffer, lineterminator="\n")
    writer.writerow(["unit", "indicator", "value"])
    rows = (
        Value.objects.filter(round=rnd, status=ValueStatus.ACCEPTED, value__isnull=False)
        .order_by("unit__path", "indicator__order")
        .values_list("unit__name", "indicator__code", "value")
    )
    for unit, code, value in rows:
        if value is not None:
            writer.writerow([unit, code, f"{value.normalize():f}"])
    return buffer.getvalue()
