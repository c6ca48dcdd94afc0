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

**Read exactly.** ``analysis.fact_reads.figures()`` answers a unit and period from these tables (whole
months from ``MonthlyFact``/``TermFact``, the partial months from ``DemandFact``, cached per fact version),
plus the "now" parts and the correction for the pending demands (queued, not yet processed), so the
figures equal the live statistics at any moment, whether or not the job has run.

``rebuild()`` recomputes everything in SQL (the migration's backfill and ``qinqing analysis_facts
--rebuild``); ``verify()`` compares the stored rows with a fresh derivation and the sums with a fresh
aggregation and reports every difference (``qinqing analysis_facts --verify``).
"""

# The SQL here is built from fixed table and column names; every value is a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import secrets
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
from qinqing.demands.models import SATISFIED_MIN, Demand, Status
from qinqing.demands.stats import Counts
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


def new_token() -> int:
    return secrets.randbits(62)


def version() -> tuple[int, int]:
    """The facts' state: (version, token) of ``FactState``; (0, 0) before the first commit."""
    row = FactState.objects.filter(pk=1).values_list("version", "token").first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


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


def _process_batch(batch: int) -> tuple[int, bool]:
    """One batch: BATCH queue rows (and unsignalled demands to fill it). Returns the demands done and
    whether the batch was full (more may be waiting)."""
    with transaction.atomic():
        state = _state_for_update()
        queued = list(FactQueue.objects.order_by("id").values_list("id", "demand_id")[:batch])
        ids = {demand_id for _, demand_id in queued}
        if len(ids) < batch:  # demands inserted or deleted without a signal (bulk loads): by id
            ids.update(_unsignalled(batch - len(ids)))
        if not ids:
            return 0, False
        index_missing(ids)
        old = list(DemandFact.objects.filter(demand_id__in=ids).values(*FACT_FIELDS))
        new = derived_rows(ids)
        _apply(old, new)
        DemandFact.objects.filter(demand_id__in=ids).delete()
        DemandFact.objects.bulk_create([DemandFact(**row) for row in new])
        FactQueue.objects.filter(id__in=[pk for pk, _ in queued]).delete()
        state.version += 1
        state.token = new_token()
        state.save(update_fields=["version", "token"])
    # a demand queued twice (submitted, then changed) fills two rows of the batch but counts once here
    return len(ids), len(queued) == batch or len(ids) >= batch


def process_queue(batch: int = BATCH, max_batches: int | None = None) -> int:
    """Bring the text index and the facts of every queued demand up to date. Returns the demands done."""
    done = batches = 0
    while max_batches is None or batches < max_batches:
        n, full = _process_batch(batch)
        done += n
        batches += 1
        if not full:
            break
    return done


def enqueue(ids: Iterable[int]) -> None:
    FactQueue.objects.bulk_create([FactQueue(demand_id=pk) for pk in ids])


def _db_time(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


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
        # The migration's backfill runs before the token column exists (analysis 0004).
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, "analysis_factstate")
        }
        token = ", token = %s" if "token" in columns else ""
        cursor.execute(
            f"UPDATE analysis_factstate SET version = version + 1{token}, rebuilt_at = %s WHERE id = 1",
            [new_token(), _db_time(timezone.now())] if token else [_db_time(timezone.now())],
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
