"""Pre-aggregated facts for the leaders' dashboard, kept current incrementally (issue 4 §7).

Three tables (``analysis.models``):

- ``DemandFact``: one row per demand, *as the dashboard counts it*: submission time and month, the
  receiving office's and the lead unit's paths, the six breakdown keys (type, leaf category, channel,
  the enterprise's industry section, scale and ownership), the 0/1 counters of ``demands.stats``
  (accepted, decided, timely accepted, signed, timely signed, closed, closed on time, rated, satisfied,
  redone; returns, dispatches and handling days as sums), the two deadlines that make a figure depend
  on "now" (受理 while undecided, 签收 while unsigned) and the text index's terms.
- ``MonthlyFact``: per unit, dimension, month (yyyymm, Asia/Shanghai) and key, the number of demands
  and the sums of their counters. A demand counts for every unit whose subtree holds its receiving
  office or its lead unit, once (the statistics page's rule); units are read off ``Unit.path``, which
  is the chain of ancestor ids.
- ``TermFact``: per unit, month and term, the number of demands holding the term.

``MonthlyFact`` and ``TermFact`` are always exactly the sums of the ``DemandFact`` rows (they change in
the same transaction). ``derivation()`` is the only definition of a demand's row: the queue job, the
rebuild and the read-time correction all use it.

**Kept current.** Every save or delete of a demand (and a change of an enterprise or of a unit's place
in the tree) appends its id to ``FactQueue`` in the same transaction (``analysis.signals``). The job
``analysis.process_queue`` takes a batch, indexes the demands' text when not yet indexed, derives their
rows again and applies the difference with the stored rows to the sums. Demands inserted or deleted
without a signal (bulk loads, SQL) are caught up by id: demands above the highest ``DemandFact`` id and
facts above the highest demand id are pending too.

**Read exactly.** ``figures()`` answers whole months of the period from ``MonthlyFact``/``TermFact``,
the partial months at either end from ``DemandFact`` (the days in the period, or the whole month minus
the days outside it, whichever reads fewer rows), the "now" parts from the
few ``DemandFact`` rows with a running 受理/签收 deadline that has passed, and corrects for the pending
demands (queued, not yet processed): minus their stored row, plus their row derived now. So the figures
equal the live statistics at any moment, whether or not the job has run. ``FactState.version`` moves
with every commit of the job; a read that saw it move is repeated. When the facts cannot answer (a
unit outside the user's scope, where ``visible_to`` must filter row by row; too many pending demands)
``figures()`` returns None and the caller computes live.

``rebuild()`` recomputes everything in SQL (the migration's backfill and ``qinqing analysis_facts
--rebuild``); ``verify()`` compares the stored rows with a fresh derivation and the sums with a fresh
aggregation and reports every difference (``qinqing analysis_facts --verify``).
"""

# The SQL here is built from fixed table and column names; every value is a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.utils import timezone

from qinqing.analysis.models import (
    FACT_COUNTERS,
    DemandFact,
    DemandIndex,
    FactQueue,
    FactState,
    MonthlyFact,
    TermFact,
)
from qinqing.demands.clocks import TZ
from qinqing.demands.models import SATISFIED_MIN, Category, Demand, Status
from qinqing.demands.stats import Counts, StatsResult, assemble
from qinqing.orgs.models import SEGMENT, Unit

BATCH = 500
# Above this many pending demands the read-time correction costs more than it saves: compute live.
PENDING_LIMIT = 2000
DIMS = ("type", "category", "channel", "industry", "scale", "ownership")
DIM_COLUMN = {
    "type": "demand_type",
    "category": "category_id",
    "channel": "channel",
    "industry": "industry",
    "scale": "scale",
    "ownership": "ownership",
}
# A vector: the number of demands, the counters, then the two "now" parts (受理/签收 deadline passed
# while undecided/unsigned).
VECTOR = ("submitted", *FACT_COUNTERS, "accept_late", "sign_late")
N = len(VECTOR)
CLOSED_AT = VECTOR.index("closed")
FACT_FIELDS = (
    "demand_id",
    "created_at",
    "month",
    "r_path",
    "l_path",
    "category_id",
    "demand_type",
    "channel",
    "industry",
    "scale",
    "ownership",
    *FACT_COUNTERS,
    "accept_open_due",
    "sign_open_due",
    "terms",
)


def ancestors(path: str) -> list[int]:
    """The ids of the unit with PATH and of its ancestors (a path is the chain of ids, SEGMENT digits each)."""
    return [int(path[i : i + SEGMENT]) for i in range(0, len(path), SEGMENT)]


def units_of(r_path: str, l_path: str) -> set[int]:
    """The units whose statistics count a demand: those whose subtree holds the receiving office or the
    lead unit."""
    return set(ancestors(r_path)) | set(ancestors(l_path))


def month_key(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


# --- the derivation: a demand's fact row ---------------------------------------------------------------
def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def derivation(demand_model: Any = Demand, ids: Iterable[int] | None = None) -> QuerySet[Any]:
    """The ``DemandFact`` rows of the demands (all, or IDS), derived from the live rows: a values()
    queryset whose keys are ``f_`` + the ``DemandFact`` field names, in ``FACT_FIELDS`` order.

    The counters are the numerators and denominators of ``demands.stats._aggregates`` per row; the
    "now"-dependent denominators are split into a settled part (decided, signed) and the open deadline.
    DEMAND_MODEL may be a migration's historical model."""
    closed = Q(status=Status.CLOSED.value)
    timed = closed & Q(handle_working_days__isnull=False)
    qs = demand_model._default_manager.all()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    annotations: dict[str, Any] = {
        "f_demand_id": F("pk"),
        "f_created_at": F("created_at"),
        "f_month": ExtractYear("created_at", tzinfo=TZ) * Value(100) + ExtractMonth("created_at", tzinfo=TZ),
        "f_r_path": F("receiving_unit__path"),
        "f_l_path": Coalesce(F("lead_unit__path"), Value("")),
        "f_category_id": F("category_id"),
        "f_demand_type": F("demand_type"),
        "f_channel": F("channel"),
        "f_industry": F("enterprise__industry_section"),
        "f_scale": F("enterprise__scale"),
        "f_ownership": F("enterprise__ownership"),
        "f_accepted": _flag(Q(accept_decided_at__isnull=False) & ~Q(status=Status.REJECTED.value)),
        "f_decided": _flag(Q(accept_decided_at__isnull=False)),
        "f_accept_timely": _flag(Q(accepted_on_time=True)),
        "f_signed": _flag(Q(signed_at__isnull=False)),
        "f_sign_timely": _flag(Q(signed_on_time=True)),
        "f_closed": _flag(closed),
        "f_closed_on_time": _flag(closed & Q(closed_on_time=True)),
        "f_rated": _flag(Q(rating__isnull=False)),
        "f_satisfied": _flag(Q(rating__gte=int(SATISFIED_MIN))),
        "f_redone": _flag(Q(redo_count__gt=0)),
        "f_returns": F("return_count"),
        "f_dispatches": F("dispatch_count"),
        "f_handle_days_sum": Case(
            When(timed, then=F("handle_working_days")), default=Value(0), output_field=IntegerField()
        ),
        "f_handle_days_n": _flag(timed),
        "f_accept_open_due": Case(
            When(accept_decided_at__isnull=True, then=F("accept_due_at")),
            default=None,
            output_field=DateTimeField(),
        ),
        "f_sign_open_due": Case(
            When(signed_at__isnull=True, then=F("sign_due_at")), default=None, output_field=DateTimeField()
        ),
        "f_terms": Coalesce(F("text_index__terms"), Value(""), output_field=TextField()),
    }
    return qs.annotate(**annotations).values(*[f"f_{name}" for name in FACT_FIELDS]).order_by()


def derived_rows(ids: Iterable[int]) -> list[dict[str, Any]]:
    return [{k[2:]: v for k, v in row.items()} for row in derivation(Demand, ids)]


def vector(row: dict[str, Any], now: dt.datetime | None) -> list[int]:
    """ROW's contribution to every counter (NOW: the "now" parts; None leaves them 0)."""
    late_a = late_s = 0
    if now is not None:
        late_a = int(row["accept_open_due"] is not None and row["accept_open_due"] < now)
        late_s = int(row["sign_open_due"] is not None and row["sign_open_due"] < now)
    return [1, *(int(row[c]) for c in FACT_COUNTERS), late_a, late_s]


def counts(vec: Sequence[int]) -> Counts:
    """The ``demands.stats.Counts`` of a vector (the timely denominators: settled part + deadline passed)."""
    v = dict(zip(VECTOR, vec, strict=True))
    return Counts(
        submitted=v["submitted"],
        accepted=v["accepted"],
        accept_due=v["decided"] + v["accept_late"],
        accept_timely=v["accept_timely"],
        sign_due=v["signed"] + v["sign_late"],
        sign_timely=v["sign_timely"],
        closed=v["closed"],
        closed_on_time=v["closed_on_time"],
        rated=v["rated"],
        satisfied=v["satisfied"],
        redone=v["redone"],
        returns=v["returns"],
        dispatches=v["dispatches"],
        handle_days_sum=v["handle_days_sum"],
        handle_days_n=v["handle_days_n"],
    )


def _add(target: list[int], vec: Sequence[int], sign: int = 1) -> None:
    for i, x in enumerate(vec):
        target[i] += sign * x


def _zero() -> list[int]:
    return [0] * N


# --- writing: the queue job -------------------------------------------------------------------------------
def _state_for_update() -> FactState:
    state = FactState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        FactState.objects.bulk_create([FactState(pk=1)], ignore_conflicts=True)
        state = FactState.objects.select_for_update().get(pk=1)
    return state


def version() -> int:
    return int(FactState.objects.filter(pk=1).values_list("version", flat=True).first() or 0)


def _max_fact_id() -> int:
    return int(DemandFact.objects.aggregate(m=Max("demand_id"))["m"] or 0)


def _upsert_add(model: Any, keys: Sequence[str], values: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Add ROWS (key columns, then value columns) to MODEL's table: INSERT … ON CONFLICT DO UPDATE SET
    v = v + excluded.v (PostgreSQL and SQLite)."""
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = [*keys, *values]
    sets = ", ".join(f"{q(v)} = {table}.{q(v)} + excluded.{q(v)}" for v in values)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) VALUES "
                + ", ".join([one] * len(chunk))
                + f" ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {sets}",
                [x for row in chunk for x in row],
            )


def _deltas(
    rows: Iterable[tuple[dict[str, Any], int]],
) -> tuple[dict[tuple[int, str, int, str], list[int]], Counter[tuple[int, int, str]]]:
    """The change to the sums when each (row, sign) is added (+1) or taken away (-1)."""
    monthly: dict[tuple[int, str, int, str], list[int]] = defaultdict(_zero)
    terms: Counter[tuple[int, int, str]] = Counter()
    for row, sign in rows:
        vec = vector(row, None)
        words = row["terms"].split() if row["terms"] else []
        for unit_id in units_of(row["r_path"], row["l_path"]):
            for dim in DIMS:
                _add(monthly[(unit_id, dim, row["month"], str(row[DIM_COLUMN[dim]]))], vec, sign)
            for word in words:
                terms[(unit_id, row["month"], word)] += sign
    return monthly, terms


def _apply(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> None:
    monthly, terms = _deltas([*((r, -1) for r in old), *((r, 1) for r in new)])
    counters = ["submitted", *FACT_COUNTERS]
    _upsert_add(
        MonthlyFact,
        ["unit_id", "dim", "month", "key"],
        counters,
        [(*k, *v[: len(counters)]) for k, v in sorted(monthly.items()) if any(v)],
    )
    _upsert_add(
        TermFact, ["unit_id", "month", "term"], ["n"], [(*k, n) for k, n in sorted(terms.items()) if n]
    )
    MonthlyFact.objects.filter(submitted=0).delete()
    TermFact.objects.filter(n=0).delete()


def index_missing(ids: Iterable[int]) -> int:
    """Index the text of those of IDS not yet indexed (in bulk). Returns the number indexed."""
    from qinqing.analysis.similarity import index_many

    ids = set(ids)
    done = set(DemandIndex.objects.filter(demand_id__in=ids).values_list("demand_id", flat=True))
    todo = list(
        Demand.objects.filter(pk__in=ids - done).values_list("pk", "title", "description", "created_at")
    )
    return index_many(todo)


def _process_batch(batch: int) -> int:
    with transaction.atomic():
        state = _state_for_update()
        queued = list(FactQueue.objects.order_by("id").values_list("id", "demand_id")[:batch])
        ids = {demand_id for _, demand_id in queued}
        if len(ids) < batch:  # demands inserted or deleted without a signal (bulk loads): by id
            ids.update(_unsignalled(batch - len(ids)))
        if not ids:
            return 0
        index_missing(ids)
        old = list(DemandFact.objects.filter(demand_id__in=ids).values(*FACT_FIELDS))
        new = derived_rows(ids)
        _apply(old, new)
        DemandFact.objects.filter(demand_id__in=ids).delete()
        DemandFact.objects.bulk_create([DemandFact(**row) for row in new])
        FactQueue.objects.filter(id__in=[pk for pk, _ in queued]).delete()
        state.version += 1
        state.save(update_fields=["version"])
    return len(ids)


def process_queue(batch: int = BATCH, max_batches: int | None = None) -> int:
    """Bring the text index and the facts of every queued demand up to date. Returns the demands done."""
    done = batches = 0
    while max_batches is None or batches < max_batches:
        n = _process_batch(batch)
        done += n
        batches += 1
        if n < batch:
            break
    return done


def enqueue(ids: Iterable[int]) -> None:
    FactQueue.objects.bulk_create([FactQueue(demand_id=pk) for pk in ids])


# --- rebuild and verify --------------------------------------------------------------------------------
def _explode_sql(source: str, columns: Sequence[str], depth: int) -> str:
    """SELECT COLUMNS and ``unit_id`` from SOURCE (rows with r_path, l_path): one row per unit whose
    subtree holds the receiving office or the lead unit (a lead-unit ancestor shared with the receiving
    office is the same path prefix, so it is skipped there)."""
    cols = ", ".join(columns)
    parts = []
    for d in range(1, depth + 1):
        width = d * SEGMENT
        start = width - SEGMENT + 1
        parts.append(
            f"SELECT {cols}, CAST(substr(r_path, {start}, {SEGMENT}) AS INTEGER) AS unit_id "
            f"FROM {source} WHERE length(r_path) >= {width}"
        )
        parts.append(
            f"SELECT {cols}, CAST(substr(l_path, {start}, {SEGMENT}) AS INTEGER) AS unit_id "
            f"FROM {source} WHERE length(l_path) >= {width} "
            f"AND (length(r_path) < {width} OR substr(l_path, 1, {width}) <> substr(r_path, 1, {width}))"
        )
    return " UNION ALL ".join(parts)


def _depth(unit_model: Any = Unit) -> int:
    longest = max((len(p) for p in unit_model._default_manager.values_list("path", flat=True)), default=0)
    return max(1, -(-longest // SEGMENT))


def _monthly_sql(depth: int) -> str:
    """The MonthlyFact rows aggregated from analysis_demandfact (one statement)."""
    counters = ["submitted", *FACT_COUNTERS]
    sums = ", ".join(f"SUM({c}) AS {c}" for c in FACT_COUNTERS)
    grouped = " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, month, r_path, l_path, CAST({col} AS VARCHAR(20)) AS fkey, "
        f"COUNT(*) AS submitted, {sums} FROM analysis_demandfact GROUP BY month, r_path, l_path, {col}"
        for dim, col in DIM_COLUMN.items()
    )
    exploded = _explode_sql("g", ["dim", "month", "fkey", *counters], depth)
    outer = ", ".join(f"SUM({c})" for c in counters)
    return (
        f"WITH g AS ({grouped}) SELECT unit_id, dim, month, fkey, {outer} "
        f"FROM ({exploded}) x GROUP BY unit_id, dim, month, fkey"
    )


def _terms_sql(depth: int) -> str:
    """The TermFact rows aggregated from analysis_demandfact and the per-term index rows."""
    grouped = (
        "SELECT f.month AS month, f.r_path AS r_path, f.l_path AS l_path, t.term AS term, COUNT(*) AS n "
        "FROM analysis_demandterm t JOIN analysis_demandfact f ON f.demand_id = t.demand_id "
        "WHERE f.terms <> '' GROUP BY f.month, f.r_path, f.l_path, t.term"
    )
    exploded = _explode_sql("g", ["month", "term", "n"], depth)
    return (
        f"WITH g AS ({grouped}) SELECT unit_id, month, term, SUM(n) "
        f"FROM ({exploded}) x GROUP BY unit_id, month, term"
    )


def rebuild(stdout: Any = None, *, demand_model: Any = Demand, unit_model: Any = Unit) -> dict[str, int]:
    """Recompute every fact from the demands, in SQL and in one transaction (readers see the old facts
    until the commit). The queue entries seen at the start are covered and removed. The models may be a
    migration's historical ones (the backfill)."""

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    q = connection.ops.quote_name
    counters = ["submitted", *FACT_COUNTERS]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analysis_factstate (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
        )
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version FROM analysis_factstate WHERE id = 1 FOR UPDATE")
        cursor.execute("SELECT id FROM analysis_factqueue")
        queued = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM analysis_termfact")
        cursor.execute("DELETE FROM analysis_monthlyfact")
        cursor.execute("DELETE FROM analysis_demandfact")
        select_sql, params = derivation(demand_model).query.sql_with_params()
        cursor.execute(
            f"INSERT INTO analysis_demandfact ({', '.join(q(c) for c in FACT_FIELDS)}) {select_sql}", params
        )
        facts = cursor.rowcount
        say(f"demand facts: {facts}")
        depth = _depth(unit_model)
        cursor.execute(
            f"INSERT INTO analysis_monthlyfact (unit_id, dim, month, {q('key')}, {', '.join(counters)}) "
            + _monthly_sql(depth)
        )
        monthly = cursor.rowcount
        say(f"monthly facts: {monthly}")
        cursor.execute("INSERT INTO analysis_termfact (unit_id, month, term, n) " + _terms_sql(depth))
        terms = cursor.rowcount
        say(f"term facts: {terms}")
        for i in range(0, len(queued), 1000):
            chunk = queued[i : i + 1000]
            cursor.execute(
                f"DELETE FROM analysis_factqueue WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk
            )
        cursor.execute(
            "UPDATE analysis_factstate SET version = version + 1, rebuilt_at = %s WHERE id = 1",
            [_db_time(timezone.now())],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("analysis_demandfact", "analysis_monthlyfact", "analysis_termfact"):
                cursor.execute(f"ANALYZE {table}")
    return {"demands": facts, "monthly": monthly, "terms": terms}


@dataclass
class Verification:
    checked: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(limit: int = 50, stdout: Any = None) -> Verification:
    """Compare the facts with a fresh derivation from the demands (pending demands excepted: they are
    corrected at read time) and the sums with a fresh aggregation of the stored rows."""
    result = Verification()

    def report(msg: str) -> None:
        if len(result.differences) < limit:
            result.differences.append(msg)
            if stdout is not None:
                stdout.write(msg + "\n")
        elif len(result.differences) == limit:
            result.differences.append("…")

    pending = set(FactQueue.objects.values_list("demand_id", flat=True))
    top = _max_fact_id()
    stored = DemandFact.objects.order_by("demand_id").values_list(*FACT_FIELDS)
    live = derivation(Demand).order_by("pk").values_list(*[f"f_{n}" for n in FACT_FIELDS])
    stored_it, live_it = iter(stored.iterator(chunk_size=5000)), iter(live.iterator(chunk_size=5000))
    a, b = next(stored_it, None), next(live_it, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            if a[0] not in pending:
                report(f"demand {a[0]}: stored fact but no demand")
            a = next(stored_it, None)
        elif a is None or b[0] < a[0]:
            if b[0] not in pending and b[0] <= top:
                report(f"demand {b[0]}: no fact")
            b = next(live_it, None)
        else:
            result.checked += 1
            if a != b and a[0] not in pending:
                diff = {n: (x, y) for n, x, y in zip(FACT_FIELDS, a, b, strict=True) if x != y}
                report(f"demand {a[0]}: stored≠live {diff}")
            a, b = next(stored_it, None), next(live_it, None)
    depth = _depth()
    counters = ["submitted", *FACT_COUNTERS]
    with connection.cursor() as cursor:
        cursor.execute(_monthly_sql(depth))
        fresh = {tuple(r[:4]): tuple(int(x) for x in r[4:]) for r in cursor.fetchall()}
    have = {
        (r[0], r[1], r[2], r[3]): tuple(r[4:])
        for r in MonthlyFact.objects.values_list("unit_id", "dim", "month", "key", *counters)
    }
    for key in sorted(set(fresh) | set(have), key=str):
        if fresh.get(key) != have.get(key):
            report(f"monthly {key}: stored {have.get(key)} ≠ aggregated {fresh.get(key)}")
    fresh_terms: Counter[tuple[int, int, str]] = Counter()
    for month, r_path, l_path, terms in (
        DemandFact.objects.exclude(terms="")
        .values_list("month", "r_path", "l_path", "terms")
        .iterator(chunk_size=5000)
    ):
        for unit_id in units_of(r_path, l_path):
            for word in terms.split():
                fresh_terms[(unit_id, month, word)] += 1
    have_terms = {
        (u, m, t): n for u, m, t, n in TermFact.objects.values_list("unit_id", "month", "term", "n")
    }
    for key in sorted(set(fresh_terms) | set(have_terms), key=str):
        if fresh_terms.get(key, 0) != have_terms.get(key, 0):
            report(f"terms {key}: stored {have_terms.get(key)} ≠ aggregated {fresh_terms.get(key)}")
    return result


# --- reading: the dashboard's figures ------------------------------------------------------------------
def month_of(day: dt.date) -> int:
    return day.year * 100 + day.month


Range = tuple[dt.datetime, dt.datetime, int]  # [lo, hi) and +1 (add its rows) or -1 (take them away)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def plan_period(start: dt.date, end: dt.date, today: dt.date) -> tuple[list[int], list[Range]]:
    """How to sum the demands submitted in [START, END]: the months (yyyymm) taken from the monthly
    sums, and the ranges of stored fact rows to add or take away. A month partly in the period is
    either its days in the period (added) or the whole month minus its days outside (taken away),
    whichever reads fewer days (days after TODAY hold no demands yet, so they cost nothing)."""
    months: list[int] = []
    ranges: list[Range] = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        last = following - dt.timedelta(days=1)
        lo, hi = max(first, start), min(last, end)
        if lo == first and hi == last:
            months.append(month_of(first))
        else:
            outside = [
                (a, b)
                for a, b in ((first, lo - dt.timedelta(days=1)), (hi + dt.timedelta(days=1), last))
                if a <= b
            ]

            def cost(a: dt.date, b: dt.date) -> int:
                return max(0, (min(b, today) - a).days + 1)

            if sum(cost(a, b) for a, b in outside) < cost(lo, hi):
                months.append(month_of(first))
                ranges += [(_midnight(a), _midnight(b + dt.timedelta(days=1)), -1) for a, b in outside]
            else:
                ranges.append((_midnight(lo), _midnight(hi + dt.timedelta(days=1)), 1))
        first = following
    return months, ranges


BREAKDOWN_DIMS = ("category", "industry", "scale", "ownership", "channel")


@dataclass
class FactFigures:
    """What the dashboard shows, from the facts (``queries.dashboard`` turns it into slices)."""

    stats: Any  # demands.stats.StatsResult
    # dimension -> key -> [count, closed] in the period and [count] in the previous one
    current: dict[str, dict[str, list[int]]]
    previous: dict[str, dict[str, int]]
    obstacles: dict[str, Counter[int]]  # top category id -> child unit id -> demands
    terms: Counter[str]
    terms_before: Counter[str]


class _Figures:
    """Accumulates the dashboard's sums for UNIT over the period and the previous one."""

    def __init__(
        self,
        unit: Unit,
        children: list[Unit],
        periods: dict[str, tuple[dt.datetime, dt.datetime]],
        now: dt.datetime,
        top_of: dict[int, int],
    ) -> None:
        self.unit = unit
        self.children = {c.pk: c for c in children}
        self.child_of_path = {c.path: c.pk for c in children}
        self.periods = periods
        self.now = now
        self.top_of = top_of
        self.by_type: dict[str, list[int]] = defaultdict(_zero)
        self.by_category: dict[int, list[int]] = defaultdict(_zero)
        self.by_month: dict[str, list[int]] = defaultdict(_zero)
        self.by_child: dict[int, list[int]] = defaultdict(_zero)
        self.current: dict[str, dict[str, list[int]]] = {
            d: defaultdict(lambda: [0, 0]) for d in BREAKDOWN_DIMS
        }
        self.previous: dict[str, Counter[str]] = {d: Counter() for d in BREAKDOWN_DIMS}
        self.obstacles: dict[str, Counter[int]] = defaultdict(Counter)
        self.terms: Counter[str] = Counter()
        self.terms_before: Counter[str] = Counter()

    def key(self, dim: str, value: Any) -> str:
        if dim == "category":
            return str(self.top_of.get(int(value), 0))
        return str(value)

    def slice(self, dim: str, value: Any, current: bool, n: int, closed: int) -> None:
        key = self.key(dim, value)
        if current:
            entry = self.current[dim][key]
            entry[0] += n
            entry[1] += closed
        else:
            self.previous[dim][key] += n

    def stats(self, month: str, demand_type: str, vec: Sequence[int], sign: int = 1) -> None:
        _add(self.by_type[demand_type], vec, sign)
        _add(self.by_month[month], vec, sign)

    def child_ids(self, *paths: str) -> set[int]:
        return {self.child_of_path[p] for p in paths if p in self.child_of_path}

    def _count(
        self, row: dict[str, Any], units: set[int], current: bool, vec: list[int], sign: int, *, own: bool
    ) -> None:
        """Count ROW (OWN: for the unit itself too, not only for its children) in the period (CURRENT)
        or the previous one."""
        words = row["terms"].split() if row["terms"] else []
        if own:
            for dim in BREAKDOWN_DIMS:
                self.slice(dim, row[DIM_COLUMN[dim]], current, sign, sign * vec[CLOSED_AT])
            for w in words:
                (self.terms if current else self.terms_before)[w] += sign
            if current:
                self.stats(month_key(row["month"]), row["demand_type"], vec, sign)
                _add(self.by_category[row["category_id"]], vec, sign)
        if current:
            top = self.key("category", row["category_id"])
            for child in units & set(self.children):
                _add(self.by_child[child], vec, sign)
                self.obstacles[top][child] += sign

    def add_live(self, row: dict[str, Any]) -> None:
        """A pending demand's row derived now: counted when submitted in either period and in the unit."""
        units = units_of(row["r_path"], row["l_path"])
        if self.unit.pk not in units:
            return
        at = row["created_at"]
        lo, hi = self.periods["current"]
        p_lo, p_hi = self.periods["previous"]
        if lo <= at < hi or p_lo <= at < p_hi:
            self._count(row, units, lo <= at < hi, vector(row, self.now), 1, own=True)

    def remove_stored(self, row: dict[str, Any], months: set[int], before: set[int]) -> None:
        """A pending demand's stored row, taken away where the reads counted it: the monthly sums of
        the units it was stored for (the ranges and the "now" parts skip pending demands)."""
        units = units_of(row["r_path"], row["l_path"])
        current = row["month"] in months
        if current or row["month"] in before:
            self._count(row, units, current, vector(row, None), -1, own=self.unit.pk in units)


def _edge_sql(ranges: int, pending: int, only_terms: bool = False) -> str:
    counters = ", ".join(FACT_COUNTERS)
    sums = ", ".join(f"SUM(sgn * {c})" for c in (*FACT_COUNTERS, "accept_late", "sign_late"))
    zeros = ", ".join("0" for _ in (*FACT_COUNTERS, "accept_late", "sign_late"))
    child = "CASE WHEN {p} LIKE %s AND length({p}) >= %s THEN substr({p}, 1, %s) ELSE '' END"
    one = (
        "SELECT %s AS cur, %s AS sgn, month, demand_type, category_id, channel, industry, scale, ownership, "
        f"terms, {child.format(p='r_path')} AS cr, {child.format(p='l_path')} AS cl, {counters}, "
        "CASE WHEN accept_open_due < %s THEN 1 ELSE 0 END AS accept_late, "
        "CASE WHEN sign_open_due < %s THEN 1 ELSE 0 END AS sign_late "
        "FROM analysis_demandfact WHERE created_at >= %s AND created_at < %s AND (r_path LIKE %s OR l_path LIKE %s)"
    )
    if pending:
        one += f" AND demand_id NOT IN ({', '.join(['%s'] * pending)})"
    parts = [
        "SELECT 'type', cur, month, demand_type, cr, cl, SUM(sgn), "
        f"{sums} FROM e WHERE cur = 1 GROUP BY cur, month, demand_type, cr, cl",
        "SELECT 'category', cur, 0, CAST(category_id AS VARCHAR(20)), cr, cl, SUM(sgn), "
        f"{sums} FROM e GROUP BY cur, category_id, cr, cl",
        *(
            f"SELECT '{dim}', cur, 0, {dim}, '', '', SUM(sgn), {sums} FROM e GROUP BY cur, {dim}"
            for dim in ("channel", "industry", "scale", "ownership")
        ),
        f"SELECT 'terms', cur, 0, terms, '', '', SUM(sgn), {zeros} FROM e WHERE terms <> '' GROUP BY cur, terms",
    ]
    if only_terms:
        parts = parts[-1:]
    return f"WITH e AS ({' UNION ALL '.join([one] * ranges)}) " + " UNION ALL ".join(parts)


def _db_time(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _read_edges(
    fig: _Figures, ranges: list[tuple[bool, Range]], pending: list[int], only_terms: bool = False
) -> None:
    """The stored fact rows of RANGES (the partial months; (current period?, range)), added or taken
    away by the range's sign; pending demands skipped."""
    if not ranges:
        return
    like, width = fig.unit.path + "%", len(fig.unit.path) + SEGMENT
    params: list[Any] = []
    for current, (lo, hi, sign) in ranges:
        params += [
            int(current),
            sign,
            like,
            width,
            width,
            like,
            width,
            width,
            _db_time(fig.now),
            _db_time(fig.now),
        ]
        params += [_db_time(lo), _db_time(hi), like, like, *pending]
    with connection.cursor() as cursor:
        cursor.execute(_edge_sql(len(ranges), len(pending), only_terms), params)
        rows = cursor.fetchall()
    for grouping, cur, month, key, cr, cl, *vals in rows:
        current = bool(cur)
        vec = [int(v or 0) for v in vals]
        if grouping == "terms":
            target = fig.terms if current else fig.terms_before
            for w in str(key).split():
                target[w] += vec[0]
            continue
        if grouping == "type":
            fig.stats(month_key(int(month)), key, vec)
            for child in fig.child_ids(cr, cl):
                _add(fig.by_child[child], vec)
            continue
        fig.slice(grouping, key, current, vec[0], vec[CLOSED_AT])
        if grouping == "category" and current:
            _add(fig.by_category[int(key)], vec)
            top = fig.key("category", key)
            for child in fig.child_ids(cr, cl):
                fig.obstacles[top][child] += vec[0]


def _read_months(fig: _Figures, months: list[int], before: list[int], only_terms: bool = False) -> None:
    """Whole months from the monthly sums: UNIT's own, and its children's for the ranking."""
    for period, target in ((months, fig.terms), (before, fig.terms_before)):
        if period:
            for term, n in (
                TermFact.objects.filter(unit_id=fig.unit.pk, month__in=period)
                .values("term")
                .annotate(total=Sum("n"))
                .values_list("term", "total")
            ):
                target[term] += int(n)
    if only_terms:
        return
    counters = ["submitted", *FACT_COUNTERS]
    current = set(months)
    rows = MonthlyFact.objects.filter(unit_id=fig.unit.pk, month__in=[*months, *before]).values_list(
        "dim", "month", "key", *counters
    )
    for dim, month, key, *vals in rows:
        vec = [*vals, 0, 0]
        is_current = month in current
        if dim in BREAKDOWN_DIMS:
            fig.slice(dim, key, is_current, vec[0], vec[CLOSED_AT])
        if not is_current:
            continue
        if dim == "type":
            fig.stats(month_key(month), key, vec)
        elif dim == "category":
            _add(fig.by_category[int(key)], vec)
    if months and fig.children:
        rows = MonthlyFact.objects.filter(
            unit_id__in=list(fig.children), month__in=months, dim__in=["type", "category"]
        ).values_list("unit_id", "dim", "key", *counters)
        for unit_id, dim, key, *vals in rows:
            if dim == "type":
                _add(fig.by_child[unit_id], [*vals, 0, 0])
            else:
                fig.obstacles[fig.key("category", key)][unit_id] += vals[0]


def _read_late(fig: _Figures, months: list[int], pending: list[int]) -> None:
    """The "now" parts of the whole months: demands whose 受理 or 签收 deadline has passed undecided or
    unsigned (a few: partial indexes on the two columns)."""
    if not months:
        return
    now = fig.now
    rows = (
        DemandFact.objects.filter(Q(accept_open_due__lt=now) | Q(sign_open_due__lt=now))
        .filter(month__in=months)
        .filter(Q(r_path__startswith=fig.unit.path) | Q(l_path__startswith=fig.unit.path))
        .exclude(demand_id__in=pending)
        .values_list(
            "month", "demand_type", "category_id", "r_path", "l_path", "accept_open_due", "sign_open_due"
        )
    )
    for month, demand_type, category_id, r_path, l_path, accept_due, sign_due in rows:
        vec = _zero()
        vec[-2] = int(accept_due is not None and accept_due < now)
        vec[-1] = int(sign_due is not None and sign_due < now)
        fig.stats(month_key(month), demand_type, vec)
        _add(fig.by_category[category_id], vec)
        for child in units_of(r_path, l_path) & set(fig.children):
            _add(fig.by_child[child], vec)


def _unsignalled(limit: int) -> set[int]:
    """Demands above the highest fact id (inserted without a signal) and facts above the highest
    demand id (demands deleted without one)."""
    found = set(
        Demand.objects.filter(pk__gt=_max_fact_id()).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    top = int(Demand.objects.aggregate(m=Max("pk"))["m"] or 0)
    found.update(DemandFact.objects.filter(demand_id__gt=top).values_list("demand_id", flat=True)[:limit])
    return found


def pending_ids(limit: int | None = None) -> set[int] | None:
    """Demands whose fact rows may be stale: queued, or inserted/deleted without a signal (see
    ``_unsignalled``). None when more than LIMIT (default ``PENDING_LIMIT``)."""
    limit = PENDING_LIMIT if limit is None else limit
    ids = set(FactQueue.objects.values_list("demand_id", flat=True).distinct()[: limit + 1])
    if len(ids) <= limit:
        ids.update(_unsignalled(limit + 1))
    return ids if len(ids) <= limit else None


def _stats_result(fig: _Figures, start: dt.date, end: dt.date, children: list[Unit]) -> StatsResult:
    """``demands.stats.StatsResult`` from the sums, assembled exactly as ``demands.stats.compute`` does."""
    total = Counts()
    by_type: dict[str, Counts] = {}
    for t in sorted(fig.by_type):
        vec = fig.by_type[t]
        if vec[0] > 0:
            by_type[t] = counts(vec)
            total.add(by_type[t])
    categories = {c.pk: c for c in Category.objects.all()}
    by_cat: dict[int, Counts] = defaultdict(Counts)
    for leaf in sorted(fig.by_category):
        vec = fig.by_category[leaf]
        if vec[0] > 0:
            cat = categories.get(leaf)
            top = cat.parent_id or cat.pk if cat is not None else 0
            by_cat[top].add(counts(vec))
    by_month = {m: counts(v) for m, v in fig.by_month.items() if v[0] > 0}
    ranking = [
        (child, counts(fig.by_child[child.pk]).metrics())
        for child in children
        if child.pk in fig.by_child and fig.by_child[child.pk][0] > 0
    ]
    return assemble(fig.unit, start, end, total, by_type, by_cat, categories, by_month, ranking)


def figures(
    unit: Unit, start: dt.date, end: dt.date, now: dt.datetime, *, only_terms: bool = False, attempts: int = 3
) -> FactFigures | None:
    """The dashboard's figures for UNIT (with descendants; no ``visible_to`` filter — the caller checks
    that UNIT lies in the user's scope) from the facts, or None when they cannot answer. ONLY_TERMS:
    just the term counts (``stats`` is None then)."""
    from qinqing.analysis.queries import previous_period
    from qinqing.demands.stats import period_bounds

    p_start, p_end = previous_period(start, end)
    periods = {"current": period_bounds(start, end), "previous": period_bounds(p_start, p_end)}
    today = timezone.localtime(now, TZ).date()
    months, edges = plan_period(start, end, today)
    before, before_edges = plan_period(p_start, p_end, today)
    ranges = [(False, r) for r in before_edges] + [(True, r) for r in edges]
    children = list(Unit.objects.filter(parent=unit, is_active=True).order_by("ordering", "id"))
    top_of = {pk: parent or pk for pk, parent in Category.objects.values_list("pk", "parent_id")}
    for _ in range(attempts):
        seen = version()
        pending = pending_ids()
        if pending is None:
            return None
        fig = _Figures(unit, children, periods, now, top_of)
        skip = sorted(pending)
        _read_months(fig, months, before, only_terms)
        _read_edges(fig, ranges, skip, only_terms)
        if not only_terms:
            _read_late(fig, months, skip)
        if pending:
            for row in DemandFact.objects.filter(demand_id__in=skip).values(*FACT_FIELDS):
                fig.remove_stored(row, set(months), set(before))
            for row in derived_rows(skip):
                fig.add_live(row)
        if version() != seen:
            continue  # the job committed meanwhile: the reads may mix two states
        current = {
            dim: {k: list(v) for k, v in fig.current[dim].items() if v[0] > 0} for dim in BREAKDOWN_DIMS
        }
        previous = {dim: {k: n for k, n in fig.previous[dim].items() if n > 0} for dim in BREAKDOWN_DIMS}
        return FactFigures(
            stats=None if only_terms else _stats_result(fig, start, end, children),
            current=current,
            previous=previous,
            obstacles={k: Counter({c: n for c, n in v.items() if n > 0}) for k, v in fig.obstacles.items()},
            terms=Counter({t: n for t, n in fig.terms.items() if n > 0}),
            terms_before=Counter({t: n for t, n in fig.terms_before.items() if n > 0}),
        )
    return None
