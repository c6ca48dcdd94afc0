"""Results: indices with intervals per unit, dimension and stratum; ranking; progress; distributions;
cross-tabs; open text. Every figure passes the small-cell rule (stats.apply_small_cells) here, so pages,
exports, reports and the API, which all read from this module, cannot show a cell below k.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from qinqing.analysis.text import top_terms
from qinqing.orgs.models import Unit
from qinqing.surveys import privacy, schema
from qinqing.surveys.answering import definition_of
from qinqing.surveys.models import DimensionScore, Invitation, Quota, Response, Survey, TokenUse
from qinqing.surveys.stats import Estimate, apply_small_cells, rate


def visible_units(survey: Survey, user: Any) -> list[Unit]:
    """The surveyed units the user may see results of: all for the organiser's scope, else their subtree."""
    units = list(survey.units.order_by("ordering", "pk"))
    if user is None:
        return units
    root = user.scope_unit
    if survey.owner_unit.path.startswith(root.path):
        return units
    return [u for u in units if u.path.startswith(root.path)]


def _cells(survey: Survey, *group: str, **filters: Any) -> dict[tuple[Any, ...], Estimate]:
    rows = (
        DimensionScore.objects.filter(survey=survey, **filters)
        .values(*group)
        .annotate(
            n=Count("pk"), total=Sum("score"), squares=Sum(F("score") * F("score"), output_field=FloatField())
        )
        .order_by()
    )
    return {
        tuple(r[g] for g in group): Estimate.of(r["n"], r["total"] or 0.0, r["squares"] or 0.0) for r in rows
    }


@dataclass
class UnitResult:
    unit: Unit
    overall: Estimate
    dimensions: dict[str, Estimate]
    responses: int | None  # None: suppressed
    invited: int
    response_rate: float | None
    satisfaction: float | None
    rank: int | None = None
    overlaps: list[str] = field(default_factory=list)


@dataclass
class Results:
    survey: Survey
    definition: schema.Definition
    k: int
    total: Estimate
    total_dimensions: dict[str, Estimate]
    total_satisfaction: float | None
    total_responses: int
    units: list[UnitResult]

    @property
    def dimension_codes(self) -> list[str]:
        return [d["code"] for d in self.definition.dimensions]


def results(survey: Survey, units: list[Unit]) -> Results:
    """Indices per unit and dimension with intervals, the prefecture totals, and the ranking."""
    k = survey.min_cell
    definition = definition_of(survey.questionnaire)
    by_unit_dim = _cells(survey, "unit_id", "dimension")
    totals = _cells(survey, "dimension")
    counts = {
        r["unit_id"]: r
        for r in Response.objects.filter(survey=survey, valid=True)
        .values("unit_id")
        .annotate(n=Count("pk"), sat=Sum("satisfied"), rated=Sum("rated"))
        .order_by()
    }
    invited = dict(
        Invitation.objects.filter(survey=survey)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
        .order_by()
    )
    used = dict(
        TokenUse.objects.filter(invitation__survey=survey)
        .values("invitation__unit_id")
        .annotate(n=Count("pk"))
        .values_list("invitation__unit_id", "n")
        .order_by()
    )
    all_units = list(survey.units.all())
    # the small-cell rule over the units of the survey (not only the visible ones: what one user sees must
    # be what another sees)
    codes = ["", *[d["code"] for d in definition.dimensions]]
    shown: dict[str, dict[str, Estimate]] = {}
    for code in codes:
        cells = {str(u.pk): by_unit_dim.get((u.pk, code), Estimate(0, None, None, None)) for u in all_units}
        shown[code] = apply_small_cells(cells, k)
    out: list[UnitResult] = []
    for unit in units:
        c = counts.get(unit.pk, {"n": 0, "sat": 0, "rated": 0})
        overall = shown[""][str(unit.pk)]
        hidden = overall.suppressed or 0 < c["n"] < k
        n_inv = invited.get(unit.pk, 0)
        out.append(
            UnitResult(
                unit=unit,
                overall=overall,
                dimensions={code: shown[code][str(unit.pk)] for code in codes[1:]},
                responses=None if hidden else c["n"],
                invited=n_inv,
                response_rate=None if hidden else rate(used.get(unit.pk, 0), n_inv),
                satisfaction=None if hidden else rate(c["sat"] or 0, c["rated"] or 0),
            )
        )
    _rank(out)
    whole = [v for v in counts.values()]
    total_n = sum(v["n"] for v in whole)
    return Results(
        survey=survey,
        definition=definition,
        k=k,
        total=totals.get(("",), Estimate(0, None, None, None)),
        total_dimensions={code: totals.get((code,), Estimate(0, None, None, None)) for code in codes[1:]},
        total_satisfaction=rate(sum(v["sat"] or 0 for v in whole), sum(v["rated"] or 0 for v in whole)),
        total_responses=total_n,
        units=out,
    )


def _rank(rows: list[UnitResult]) -> None:
    """Rank by the overall index; each row lists the units whose 95 % intervals overlap its own."""
    ranked = sorted((r for r in rows if r.overall.mean is not None), key=lambda r: -(r.overall.mean or 0))
    for i, row in enumerate(ranked, 1):
        row.rank = i
        row.overlaps = [
            o.unit.display_name for o in ranked if o is not row and row.overall.overlaps(o.overall)
        ]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.ordering, r.unit.pk))


@dataclass
class StratumRow:
    stratum: str
    label: str
    overall: Estimate
    dimensions: dict[str, Estimate]


def strata_results(survey: Survey, unit: Unit | None) -> list[StratumRow]:
    """The index per stratum (within UNIT, or the whole survey), under the small-cell rule."""
    filters: dict[str, Any] = {"unit": unit} if unit is not None else {}
    cells = _cells(survey, "stratum", "dimension", **filters)
    definition = definition_of(survey.questionnaire)
    strata = sorted({s for s, _ in cells})
    codes = ["", *[d["code"] for d in definition.dimensions]]
    shown = {
        code: apply_small_cells(
            {s: cells.get((s, code), Estimate(0, None, None, None)) for s in strata}, survey.min_cell
        )
        for code in codes
    }
    return [
        StratumRow(
            s,
            schema.stratum_label(s, list(survey.strata_fields)),
            shown[""][s],
            {c: shown[c][s] for c in codes[1:]},
        )
        for s in strata
    ]


@dataclass
class ProgressRow:
    unit: Unit
    stratum: str
    label: str
    invited: int
    opened: int
    completed: int
    quota: int | None
    quota_done: int | None


def progress(survey: Survey, units: list[Unit]) -> list[ProgressRow]:
    """Fieldwork per unit and stratum: invited, started (opened), completed (used tokens), quota.

    Counts of invitations are about the sample, not about answers, so the small-cell rule does not apply.
    """
    ids = [u.pk for u in units]
    inv = (
        Invitation.objects.filter(survey=survey, unit_id__in=ids)
        .values("unit_id", "stratum")
        .annotate(n=Count("pk"), opened=Count("pk", filter=Q(opened=True)))
        .order_by()
    )
    used = {
        (r["invitation__unit_id"], r["invitation__stratum"]): r["n"]
        for r in TokenUse.objects.filter(invitation__survey=survey, invitation__unit_id__in=ids)
        .values("invitation__unit_id", "invitation__stratum")
        .annotate(n=Count("pk"))
        .order_by()
    }
    quotas = {(q.unit_id, q.stratum): q for q in Quota.objects.filter(survey=survey, unit_id__in=ids)}
    keys = {(r["unit_id"], r["stratum"]): r for r in inv}
    by_id = {u.pk: u for u in units}
    rows = []
    for key in sorted(set(keys) | set(quotas), key=lambda k: (ids.index(k[0]), k[1])):
        r = keys.get(key, {"n": 0, "opened": 0})
        q = quotas.get(key)
        rows.append(
            ProgressRow(
                by_id[key[0]],
                key[1],
                schema.stratum_label(key[1], list(survey.strata_fields)),
                r["n"],
                r["opened"],
                used.get(key, 0),
                q.target if q else None,
                q.completed if q else None,
            )
        )
    return rows


def unit_counts(survey: Survey) -> dict[int, int]:
    rows = (
        Response.objects.filter(survey=survey, valid=True)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["unit_id"]: r["n"] for r in rows}


def suppressed_units(survey: Survey, counts: dict[int, int] | None = None) -> set[int]:
    """Units whose responses are not shown apart: fewer than k, plus the secondary cell (stats)."""
    counts = unit_counts(survey) if counts is None else counts
    cells = {
        str(u): Estimate(counts.get(u, 0), 0.0, 0.0, 0.0) for u in survey.units.values_list("pk", flat=True)
    }
    return {int(key) for key, e in apply_small_cells(cells, survey.min_cell).items() if e.suppressed}


def _responses(survey: Survey, units: list[Unit]) -> QuerySet[Response]:
    """Valid responses of the units shown apart (the small-cell rule for every listing of answers)."""
    hidden = suppressed_units(survey)
    return Response.objects.filter(
        survey=survey, valid=True, unit_id__in=[u.pk for u in units if u.pk not in hidden]
    )


@dataclass
class Distribution:
    question: schema.Question
    rows: list[tuple[str, int, float]]  # label, count, share %
    answered: int


def distribution(survey: Survey, units: list[Unit], question: schema.Question) -> Distribution:
    qs = _responses(survey, units)
    counts: dict[str, int] = defaultdict(int)
    if question.type == "matrix":
        raise ValueError("matrix questions are shown per item")
    rows = (
        qs.annotate(v=KeyTextTransform(question.id, "answers")).values("v").annotate(n=Count("pk")).order_by()
    )
    answered = 0
    for r in rows:
        if r["v"] in (None, ""):
            continue
        answered += r["n"]
        if question.type == "multi":
            import json

            for v in json.loads(r["v"]):
                counts[str(v)] += r["n"]
        else:
            counts[str(r["v"])] += r["n"]
    if question.type in ("scale5", "attention"):
        order = [str(v) for v, _ in schema.SCALE5]
    elif question.type == "yesno":
        order = ["yes", "no"]
    else:
        order = [v for v, _ in question.options]
    return Distribution(
        question,
        [
            (question.label_of(v), counts.get(v, 0), 100.0 * counts.get(v, 0) / answered if answered else 0.0)
            for v in order
        ],
        answered,
    )


def item_means(survey: Survey, units: list[Unit]) -> list[tuple[str, str, float, int]]:
    """Mean points per scored item (question or matrix row): (id, text, mean, n), weakest first."""
    definition = definition_of(survey.questionnaire)
    qs = _responses(survey, units)
    out = []
    for q, item in definition.scored_items():
        if q.type == "matrix":
            key: Any = KeyTextTransform(item.id, KeyTextTransform(q.id, "answers"))
        else:
            key = KeyTextTransform(q.id, "answers")
        rows = qs.annotate(v=key).exclude(v=None).values("v").annotate(n=Count("pk")).order_by()
        n = total = 0.0
        for r in rows:
            if r["v"] in (None, ""):
                continue
            n += r["n"]
            total += r["n"] * definition.points_of(int(r["v"]))
        if n:
            out.append((item.id, item.text, total / n, int(n)))
    return sorted(out, key=lambda t: t[2])


@dataclass
class CrossTab:
    rows_label: str
    cols_label: str
    cols: list[str]
    rows: list[tuple[str, list[int | None]]]  # None: a cell below k
    k: int


def _variable(
    survey: Survey, definition: schema.Definition, name: str
) -> tuple[str, Any, dict[str, str], list[str]]:
    """A cross-tab variable: label, expression, value labels, order."""
    if name == "unit":
        units = list(survey.units.order_by("ordering", "pk"))
        return "单位", F("unit_id"), {str(u.pk): u.display_name for u in units}, [str(u.pk) for u in units]
    if name == "stratum":
        return "分层", F("stratum"), {}, []
    q = definition.question(name)
    if q is None or q.type not in ("single", "yesno", "scale5"):
        raise ValueError("只能按单选、是否、五级评价题交叉")
    if q.type == "scale5":
        labels = {str(v): lab for v, lab in schema.SCALE5}
    elif q.type == "yesno":
        labels = {"yes": "是", "no": "否"}
    else:
        labels = dict(q.options)
    return q.text, KeyTextTransform(q.id, "answers"), labels, list(labels)


def crosstab(survey: Survey, units: list[Unit], row_var: str, col_var: str) -> CrossTab:
    definition = definition_of(survey.questionnaire)
    r_label, r_expr, r_names, r_order = _variable(survey, definition, row_var)
    c_label, c_expr, c_names, c_order = _variable(survey, definition, col_var)
    qs = _responses(survey, units).annotate(
        r=Cast(r_expr, output_field=models_text()), c=Cast(c_expr, output_field=models_text())
    )
    counts = {
        (str(x["r"]), str(x["c"])): x["n"] for x in qs.values("r", "c").annotate(n=Count("pk")).order_by()
    }
    r_keys = r_order or sorted({r for r, _ in counts})
    c_keys = c_order or sorted({c for _, c in counts})
    k = survey.min_cell
    rows = []
    for r in r_keys:
        cells: list[int | None] = []
        for c in c_keys:
            n = counts.get((r, c), 0)
            cells.append(None if 0 < n < k else n)
        rows.append((r_names.get(r) or schema.stratum_label(r, list(survey.strata_fields)), cells))
    cols = [c_names.get(c) or schema.stratum_label(c, list(survey.strata_fields)) for c in c_keys]
    return CrossTab(r_label, c_label, cols, rows, k)


def models_text() -> Any:
    from django.db.models import TextField

    return TextField()


def text_answers(survey: Survey, units: list[Unit], question_id: str, search: str = "") -> QuerySet[Any]:
    """Valid non-empty answers to a text question, annotated as ``t``."""
    qs: QuerySet[Any] = _responses(survey, units).annotate(
        t=Cast(KeyTextTransform(question_id, "answers"), output_field=models_text())
    )
    qs = qs.exclude(**{"t": None}).exclude(**{"t": ""})
    if search:
        qs = qs.filter(**{"t__icontains": search})
    return qs.order_by("submitted_on", "pk")


def comments(survey: Survey, units: list[Unit], limit: int | None = None) -> list[tuple[str, str]]:
    """(question text, masked answer) of every long-text question, for reports."""
    definition = definition_of(survey.questionnaire)
    out = []
    for q in definition.questions():
        if q.type != "textarea":
            continue
        rows = text_answers(survey, units, q.id).values_list("t", flat=True)
        out += [(q.text, privacy.mask(t)) for t in rows[: limit or None]]
    return out


def terms(survey: Survey, units: list[Unit], question_id: str, n: int = 20) -> list[tuple[str, int]]:
    return top_terms(text_answers(survey, units, question_id).values_list("t", flat=True), n)
