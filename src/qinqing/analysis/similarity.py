"""The text index and similar-demand detection.

``index_demand`` segments a demand once, at submission (post_save of a new Demand, in the submitting
transaction), storing its terms and one ``DemandTerm`` row per term; ``TermStat`` keeps document frequencies current incrementally.

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

from django.db import transaction
from django.db.models import F

from qinqing.analysis import text
from qinqing.analysis.models import DemandIndex, DemandTerm, TermStat
from qinqing.demands.models import Demand

WINDOW = dt.timedelta(days=90)
PROBE_TERMS = 8
MAX_CANDIDATES = 200
PER_PROBE = 300
SAME_ENTERPRISE_MAX = 50
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
    terms = [t for t in text.terms(text.demand_text(demand.title, demand.description)) if len(t) <= 20]
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


def find_similar(demand: Demand, user: Any = None, limit: int = 10) -> list[tuple[Demand, float]]:
    """Possible duplicates of DEMAND within ±90 days (visible to USER when given), best first."""
    index = DemandIndex.objects.filter(demand=demand).first()
    terms = (
        index.term_list
        if index is not None
        else text.terms(text.demand_text(demand.title, demand.description))
    )
    df, total = _frequencies(terms)
    weights = {t: _idf(df.get(t, 0), total) for t in set(terms)}
    q_norm = text.norm(terms, weights)
    lo, hi = demand.created_at - WINDOW, demand.created_at + WINDOW
    # Probe with the rarest terms some other demand also has (an indexed demand counts in its own df).
    own = 1 if index is not None else 0
    shared_terms = [t for t in set(terms) if df.get(t, 0) > own]
    probes = sorted(shared_terms, key=lambda t: (df.get(t, 0), t))[:PROBE_TERMS]
    # Bounded work at any corpus size: per probe term, the demands nearest in time (one index range
    # scan each on (term, created_at)); candidates are those sharing the most probes.
    overlap: Counter[int] = Counter()
    for term in probes:
        overlap.update(
            DemandTerm.objects.filter(term=term, created_at__gte=lo, created_at__lte=hi)
            .exclude(demand_id=demand.pk)
            .order_by("-created_at")
            .values_list("demand_id", flat=True)[:PER_PROBE]
        )
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
    if not candidate_ids:
        return []
    base = Demand.objects.visible_to(user) if user is not None else Demand.objects.all()
    candidates = list(base.filter(pk__in=candidate_ids).select_related("text_index"))
    c_terms_of = {
        c.pk: (
            set(c.text_index.term_list)
            if getattr(c, "text_index", None) is not None
            else set(text.terms(text.demand_text(c.title, c.description)))
        )
        for c in candidates
    }
    missing = set().union(*c_terms_of.values()) - set(weights) if c_terms_of else set()
    if missing:
        more, _ = _frequencies(missing)
        weights.update({t: _idf(more.get(t, 0), total) for t in missing})
    q_bigrams = text.bigrams(text.demand_text(demand.title, demand.description[: text.BIGRAM_CHARS]))
    q_terms = set(terms)
    results: list[tuple[Demand, float]] = []
    for cand in candidates:
        c_terms = c_terms_of[cand.pk]
        c_norm = text.norm(c_terms, weights)
        dot = sum(weights.get(t, 1.0) ** 2 for t in q_terms & c_terms)
        cos = dot / (q_norm * c_norm) if q_norm and c_norm else 0.0
        c_bigrams = text.bigrams(text.demand_text(cand.title, cand.description[: text.BIGRAM_CHARS]))
        score = text.combine(
            min(cos, 1.0),
            text.dice(q_bigrams, c_bigrams),
            cand.enterprise_id == demand.enterprise_id,
            cand.category_id == demand.category_id,
        )
        if score >= text.THRESHOLD:
            results.append((cand, score))
    results.sort(key=lambda pair: (-pair[1], -pair[0].pk))
    return results[:limit]


def score_to_percent(score: float) -> int:
    return math.floor(score * 100 + 0.5)
