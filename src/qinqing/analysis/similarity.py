"""The text index and similar-demand detection.

``index_many`` segments demands once, in batches, after submission: the submitting transaction only
queues the demand (``analysis.signals`` → ``FactQueue``) and the job ``analysis.process_queue`` indexes
it with the facts (bulk inserts of its terms and one ``DemandTerm`` row per term; ``TermStat`` keeps
document frequencies current incrementally). ``index_demand`` (re)indexes one demand.

``find_similar(demand)`` answers possible duplicates within ±90 days: the same enterprise, or other
enterprises sharing the demand's rarest terms. Candidates come from small indexed queries (the demands
nearest in time for each of 8 probe terms, and the enterprise's own), then are scored
in Python (``text.combine``: weighted term cosine, bigram Dice, same-enterprise/category boosts); only
scores at or above ``text.THRESHOLD`` are returned, best first. Bounded work: at most
``MAX_CANDIDATES`` candidates are scored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Substr

from qinqing.analysis import text
from qinqing.analysis.models import DemandIndex, DemandTerm, FactQueue, TermStat
from qinqing.demands.models import Demand

WINDOW = dt.timedelta(days=90)
PROBE_TERMS = 8
MAX_CANDIDATES = 200
PER_PROBE = 300
SAME_ENTERPRISE_MAX = 50
QUEUED_MAX = 50  # the latest queued demands looked at for not-yet-indexed candidates
TOTAL_KEY = ""  # the TermStat row holding the number of indexed documents
# Below this many indexed demands document frequencies say little: every term weighs 1.
MIN_CORPUS = 50


def _idf(df: int, total: int) -> float:
    return text.idf(df, total) if total >= MIN_CORPUS else 1.0


def _frequencies(terms: Iterable[str]) -> tuple[dict[str, int], int]:
    wanted = [*set(terms), TOTAL_KEY]
    df = dict(TermStat.objects.filter(term__in=wanted).values_list("term", "df"))
    return df, df.pop(TOTAL_KEY, 0)


def _weights(terms: Iterable[str]) -> dict[str, float]:
    df, total = _frequencies(terms)
    return {t: _idf(df.get(t, 0), total) for t in set(terms)}


def index_demand(demand: Demand) -> DemandIndex:
    """Segment DEMAND and store its index rows (replacing earlier ones); updates document frequencies."""
    terms = demand_terms(demand.title, demand.description)
    with transaction.atomic():
        existing = DemandIndex.objects.filter(demand=demand).first()
        if existing is not None:
            _count(existing.term_list, -1, new_doc=False)
            DemandTerm.objects.filter(demand=demand).delete()
        _count(terms, +1, new_doc=existing is None)
        row = DemandIndex(demand=demand, terms=" ".join(terms), created_at=demand.created_at)
        row.save()
        DemandTerm.objects.bulk_create(
            [DemandTerm(demand=demand, term=t, created_at=demand.created_at) for t in terms]
        )
    return row


def demand_terms(title: str, description: str) -> list[str]:
    return [t for t in text.terms(text.demand_text(title, description)) if len(t) <= 20]


def index_many(rows: Iterable[tuple[int, str, str, dt.datetime]]) -> int:
    """Index demands not indexed yet, given as (id, title, description, created_at): bulk inserts and
    one document-frequency upsert for the whole batch. Returns the number indexed."""
    df: Counter[str] = Counter()
    index_rows: list[DemandIndex] = []
    term_rows: list[DemandTerm] = []
    for pk, title, description, created_at in rows:
        terms = demand_terms(title, description)
        index_rows.append(DemandIndex(demand_id=pk, terms=" ".join(terms), created_at=created_at))
        term_rows += [DemandTerm(demand_id=pk, term=t, created_at=created_at) for t in terms]
        df.update(terms)
    if not index_rows:
        return 0
    df[TOTAL_KEY] += len(index_rows)
    DemandIndex.objects.bulk_create(index_rows)
    DemandTerm.objects.bulk_create(term_rows, batch_size=2000)
    items = sorted(df.items())
    with connection.cursor() as cursor:
        for i in range(0, len(items), 500):
            chunk = items[i : i + 500]
            cursor.execute(
                "INSERT INTO analysis_termstat (term, df) VALUES "  # noqa: S608 - placeholders only
                + ", ".join(["(%s, %s)"] * len(chunk))
                + " ON CONFLICT (term) DO UPDATE SET df = analysis_termstat.df + excluded.df",
                [x for pair in chunk for x in pair],
            )
    return len(index_rows)


def _count(terms: list[str], delta: int, *, new_doc: bool) -> None:
    keys = list(set(terms)) + ([TOTAL_KEY] if new_doc else [])
    if not keys:
        return
    TermStat.objects.filter(term__in=keys).update(df=F("df") + delta)
    if delta > 0:
        present = set(TermStat.objects.filter(term__in=keys).values_list("term", flat=True))
        TermStat.objects.bulk_create(
            [TermStat(term=t, df=1) for t in keys if t not in present], ignore_conflicts=True
        )


def rebuild(batch: int = 2000, stdout: Any = None) -> int:
    """Rebuild the whole index (after a bulk load that bypassed post_save). Returns the demands indexed."""
    DemandTerm.objects.all().delete()
    DemandIndex.objects.all().delete()
    TermStat.objects.all().delete()
    df: Counter[str] = Counter()
    docs: dict[int, list[str]] = {}
    created: dict[int, dt.datetime] = {}
    count = 0
    qs = Demand.objects.order_by("pk").values_list("pk", "title", "description", "created_at")
    for pk, title, description, created_at in qs.iterator(chunk_size=batch):
        terms = [t for t in text.terms(text.demand_text(title, description)) if len(t) <= 20]
        docs[pk], created[pk] = terms, created_at
        df.update(terms)
        count += 1
    TermStat.objects.bulk_create([TermStat(term=t, df=n) for t, n in df.items()], batch_size=batch)
    TermStat.objects.create(term=TOTAL_KEY, df=count)
    pks = list(docs)
    for i in range(0, len(pks), batch):
        chunk = pks[i : i + batch]
        DemandIndex.objects.bulk_create(
            [DemandIndex(demand_id=pk, terms=" ".join(docs[pk]), created_at=created[pk]) for pk in chunk]
        )
        DemandTerm.objects.bulk_create(
            [DemandTerm(demand_id=pk, term=t, created_at=created[pk]) for pk in chunk for t in docs[pk]],
            batch_size=batch * 4,
        )
        if stdout is not None:
            stdout.write(f"indexed {min(i + batch, len(pks))}/{len(pks)}\n")
    return count


def _queued_unindexed(demand: Demand, lo: dt.datetime, hi: dt.datetime) -> list[int]:
    """Demands submitted moments ago, not yet indexed by the queue job (so no probe term finds them):
    candidates too, their terms segmented on the fly. Usually none (the job runs every few seconds)."""
    queued = list(FactQueue.objects.order_by("-id").values_list("demand_id", flat=True)[:QUEUED_MAX])
    if not queued:
        return []
    return list(
        Demand.objects.filter(pk__in=queued, created_at__gte=lo, created_at__lte=hi, text_index__isnull=True)
        .exclude(pk=demand.pk)
        .values_list("pk", flat=True)
    )


def _nearest(probes: list[str], lo: dt.datetime, hi: dt.datetime, exclude: int) -> Counter[int]:
    """For each probe term, the PER_PROBE demands holding it nearest in time (an index range scan on
    (term, created_at) each; one UNION ALL statement where the database allows it): how many probe
    terms each demand shares."""
    parts = [
        DemandTerm.objects.filter(term=term, created_at__gte=lo, created_at__lte=hi)
        .exclude(demand_id=exclude)
        .order_by("-created_at")
        .values_list("demand_id", flat=True)[:PER_PROBE]
        for term in probes
    ]
    overlap: Counter[int] = Counter()
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        overlap.update(parts[0].union(*parts[1:], all=True))
    else:
        for part in parts:
            overlap.update(part)
    return overlap


def find_similar(demand: Demand, user: Any = None, limit: int = 10) -> list[tuple[Demand, float]]:
    """Possible duplicates of DEMAND within ±90 days (visible to USER when given), best first.

    Candidates are scored on a few columns (terms from the index, title and the start of the
    description); only the demands returned are loaded whole."""
    indexed = DemandIndex.objects.filter(demand=demand).values_list("terms", flat=True).first()
    terms = indexed.split() if indexed is not None else demand_terms(demand.title, demand.description)
    df, total = _frequencies(terms)
    weights = {t: _idf(df.get(t, 0), total) for t in set(terms)}
    q_norm = text.norm(terms, weights)
    lo, hi = demand.created_at - WINDOW, demand.created_at + WINDOW
    # Probe with the rarest terms some other demand also has (an indexed demand counts in its own df).
    own = 1 if indexed is not None else 0
    shared_terms = [t for t in set(terms) if df.get(t, 0) > own]
    probes = sorted(shared_terms, key=lambda t: (df.get(t, 0), t))[:PROBE_TERMS]
    # Bounded work at any corpus size: candidates are those sharing the most probes.
    overlap = _nearest(probes, lo, hi, demand.pk)
    candidate_ids = {
        pk for pk, _ in sorted(overlap.items(), key=lambda kv: (-kv[1], -kv[0]))[:MAX_CANDIDATES]
    }
    same_enterprise = (
        Demand.objects.filter(enterprise_id=demand.enterprise_id, created_at__gte=lo, created_at__lte=hi)
        .exclude(pk=demand.pk)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:SAME_ENTERPRISE_MAX]
    )
    candidate_ids.update(same_enterprise)
    candidate_ids.update(_queued_unindexed(demand, lo, hi))
    if not candidate_ids:
        return []
    base = Demand.objects.visible_to(user) if user is not None else Demand.objects.all()
    rows = list(
        base.filter(pk__in=candidate_ids).values_list(
            "pk",
            "enterprise_id",
            "category_id",
            "title",
            Substr("description", 1, text.BIGRAM_CHARS),
            "text_index__terms",
        )
    )
    unindexed = [pk for pk, *_, c_terms in rows if c_terms is None]
    on_the_fly = {
        pk: demand_terms(title, description)
        for pk, title, description in Demand.objects.filter(pk__in=unindexed).values_list(
            "pk", "title", "description"
        )
    }
    c_terms_of = {
        pk: set(c_terms.split() if c_terms is not None else on_the_fly.get(pk, []))
        for pk, *_, c_terms in rows
    }
    missing = set().union(*c_terms_of.values()) - set(weights) if c_terms_of else set()
    if missing:
        more, _ = _frequencies(missing)
        weights.update({t: _idf(more.get(t, 0), total) for t in missing})
    q_bigrams = text.bigrams(text.demand_text(demand.title, demand.description[: text.BIGRAM_CHARS]))
    q_terms = set(terms)
    scored: list[tuple[int, float]] = []
    for pk, enterprise_id, category_id, title, start, _ in rows:
        c_terms = c_terms_of[pk]
        c_norm = text.norm(c_terms, weights)
        dot = sum(weights.get(t, 1.0) ** 2 for t in q_terms & c_terms)
        cos = dot / (q_norm * c_norm) if q_norm and c_norm else 0.0
        score = text.combine(
            min(cos, 1.0),
            text.dice(q_bigrams, text.bigrams(text.demand_text(title, start))),
            enterprise_id == demand.enterprise_id,
            category_id == demand.category_id,
        )
        if score >= text.THRESHOLD:
            scored.append((pk, score))
    scored.sort(key=lambda pair: (-pair[1], -pair[0]))
    scored = scored[:limit]
    found = Demand.objects.in_bulk([pk for pk, _ in scored])
    return [(found[pk], score) for pk, score in scored if pk in found]


def score_to_percent(score: float) -> int:
    return math.floor(score * 100 + 0.5)
