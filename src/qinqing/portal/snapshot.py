"""The public snapshot: written at publication, read by every public page and the mini-program API.

- ``write_entry`` / ``remove_entry``: a published entry's public fields (both languages) into PublicItem.
- ``sync_projects``: the investment projects whose publication passed review (and are not terminated)
  into PublicItem rows of kind "project" — only ``PUBLIC_PROJECT_FIELDS``, never investors, leaders,
  negotiations, amounts signed or review comments. Run by the periodic job ``portal.sync_projects``
  (every minute) and by 立即同步 on the staff side; it compares (id, version) so it is cheap.
- Every write bumps ``PortalState.version``; readers key their caches by it.
- ``catalogue()``: the whole snapshot of this process, loaded once per version (a few thousand dicts),
  with a term index for policy search. Public traffic therefore reads PublicItem at most once per
  publication, and the staff tables never.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qinqing.analysis.text import terms
from qinqing.enterprises.industries import DIVISIONS, SECTIONS
from qinqing.portal.models import ContentKind, Entry, PortalState, PublicItem

logger = logging.getLogger(__name__)

VERSION_TTL = 1.0  # seconds a process trusts its last read of PortalState.version

# The project fields that may ever reach the public (tests/portal/test_public_leaks.py checks the rest).
PUBLIC_PROJECT_FIELDS = (
    "name",
    "summary",
    "industry_section",
    "industry_division",
    "cluster",
    "chain",
    "chain_role",
    "location_unit",
    "planned_investment_wan",
    "size_band",
    "construction",
    "expected_jobs",
    "responsible_unit",
)


def _pair(zh: str, en: str = "") -> dict[str, str]:
    return {"zh": zh or "", "en": en or ""}


def entry_payload(entry: Entry) -> dict[str, Any]:
    data = dict(entry.data or {})
    payload: dict[str, Any] = {
        "id": entry.pk,
        "kind": entry.kind,
        "title": _pair(entry.title, entry.title_en),
        "summary": _pair(entry.summary, entry.summary_en),
        "body": _pair(entry.body, entry.body_en),
        "data": data,
        "published_at": (entry.published_at or timezone.now()).isoformat(),
        "image": None,
        "files": [],
    }
    if entry.image_id:
        img = entry.image
        payload["image"] = {"sizes": img.sizes, "alt": img.alt} if img else None
    if entry.kind == ContentKind.POLICY:
        payload["files"] = [{"id": f.pk, "title": f.title} for f in entry.files.all()]
    if entry.kind == ContentKind.CLUSTER and data.get("cluster_id"):
        from qinqing.investment.models import IndustryChain

        payload["data"]["chains"] = list(
            IndustryChain.objects.filter(cluster_id=data["cluster_id"], is_active=True)
            .order_by("ordering", "id")
            .values_list("name", flat=True)
        )
    return payload


def _search_text(entry: Entry) -> str:
    data = entry.data or {}
    text = " ".join(
        [entry.title, entry.summary, entry.body, str(data.get("issuer", "")), str(data.get("doc_number", ""))]
    )
    return " ".join(terms(text))


def bump() -> None:
    PortalState.objects.get_or_create(pk=1)
    PortalState.objects.filter(pk=1).update(version=F("version") + 1, updated_at=timezone.now())
    transaction.on_commit(forget)


def write_entry(entry: Entry) -> None:
    PublicItem.objects.update_or_create(
        kind=entry.kind,
        ref=entry.pk,
        defaults={
            "payload": entry_payload(entry),
            "search_text": _search_text(entry),
            "source_version": entry.version,
            "ordering": entry.ordering,
            "published_at": entry.published_at or timezone.now(),
        },
    )
    bump()


def remove_entry(entry: Entry) -> None:
    PublicItem.objects.filter(kind=entry.kind, ref=entry.pk).delete()
    bump()


# --- projects -------------------------------------------------------------------------------------
def project_payload(p: Any) -> dict[str, Any]:
    """The public view of an investment project (the only place project fields are chosen)."""
    division = p.industry_division
    return {
        "id": p.pk,
        "name": p.name,
        "summary": p.summary,
        "industry_section": p.industry_section,
        "industry_section_name": SECTIONS.get(p.industry_section, ""),
        "industry_division": division,
        "industry_division_name": DIVISIONS[division][1] if division in DIVISIONS else "",
        "cluster_id": p.cluster_id,
        "cluster": p.cluster.name if p.cluster_id else "",
        "chain_id": p.chain_id,
        "chain": p.chain.name if p.chain_id else "",
        "chain_role": p.get_chain_role_display() if p.chain_role else "",
        "location_unit_id": p.location_unit_id,
        "location": p.location_unit.name,
        "planned_investment_wan": str(p.planned_investment_wan),
        "size_band": p.size_band,
        "size_band_label": p.get_size_band_display(),
        "construction": p.get_construction_display(),
        "expected_jobs": p.expected_jobs,
        "contact_unit": (p.responsible_unit or p.location_unit).name,
    }


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


def published_projects() -> Any:
    from qinqing.investment.models import Project, PublishStatus, Stage

    return Project.objects.filter(publish_status=PublishStatus.PUBLISHED).exclude(stage=Stage.TERMINATED)


BATCH = 500


@transaction.atomic
def sync_projects() -> SyncResult:
    """Bring the catalogue rows in line with the investment library (added, changed, withdrawn)."""
    result = SyncResult()
    live = dict(published_projects().order_by().values_list("id", "version"))
    have = dict(PublicItem.objects.filter(kind="project").values_list("ref", "source_version"))
    gone = [ref for ref in have if ref not in live]
    if gone:
        for i in range(0, len(gone), BATCH):
            PublicItem.objects.filter(kind="project", ref__in=gone[i : i + BATCH]).delete()
        result.removed = len(gone)
    todo = [pk for pk, version in live.items() if have.get(pk) != version]
    now = timezone.now()
    for i in range(0, len(todo), BATCH):
        chunk = todo[i : i + BATCH]
        projects = (
            published_projects()
            .filter(pk__in=chunk)
            .select_related("cluster", "chain", "location_unit", "responsible_unit")
        )
        new_rows, changed_rows = [], []
        existing = {row.ref: row for row in PublicItem.objects.filter(kind="project", ref__in=chunk)}
        for p in projects:
            payload = project_payload(p)
            text = " ".join(terms(f"{p.name} {p.summary}"))
            row = existing.get(p.pk)
            if row is None:
                new_rows.append(
                    PublicItem(
                        kind="project",
                        ref=p.pk,
                        payload=payload,
                        search_text=text,
                        source_version=p.version,
                        published_at=now,
                    )
                )
            else:
                row.payload, row.search_text, row.source_version = payload, text, p.version
                changed_rows.append(row)
        PublicItem.objects.bulk_create(new_rows)
        PublicItem.objects.bulk_update(changed_rows, ["payload", "search_text", "source_version"])
        result.added += len(new_rows)
        result.updated += len(changed_rows)
    PortalState.objects.get_or_create(pk=1)
    PortalState.objects.filter(pk=1).update(projects_synced_at=now)
    if result.changed:
        bump()
    return result


def sync_project(project_id: int) -> str:
    """Bring one project's catalogue row in line at once (after its publication changed in investment).

    Returns "added", "updated", "removed" or "" (nothing to do). The periodic sync_projects stays the
    safety net for anything this misses."""
    with transaction.atomic():
        p = (
            published_projects()
            .filter(pk=project_id)
            .select_related("cluster", "chain", "location_unit", "responsible_unit")
            .first()
        )
        if p is None:
            n, _ = PublicItem.objects.filter(kind="project", ref=project_id).delete()
            outcome = "removed" if n else ""
        else:
            _, created = PublicItem.objects.update_or_create(
                kind="project",
                ref=p.pk,
                defaults={
                    "payload": project_payload(p),
                    "search_text": " ".join(terms(f"{p.name} {p.summary}")),
                    "source_version": p.version,
                },
            )
            outcome = "added" if created else "updated"
        if outcome:
            bump()
    return outcome


def on_publication_changed(sender: Any, project_id: int, **kwargs: Any) -> None:
    """Runs after investment's commit: a failure here must not fail that request (the job retries)."""
    try:
        sync_project(project_id)
    except Exception:
        logger.exception("catalogue sync of project %s failed; the periodic sync will retry", project_id)


# --- the per-process read side ------------------------------------------------------------------
@dataclass
class Catalogue:
    version: int
    updated_at: dt.datetime
    items: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    by_ref: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    # the search index: kind -> term -> refs holding it
    index: dict[str, dict[str, set[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    _hits: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)

    def list(self, kind: str) -> list[dict[str, Any]]:
        return self.items.get(kind, [])

    def get(self, kind: str, ref: int) -> dict[str, Any] | None:
        return self.by_ref.get((kind, ref))

    def refs_with(self, kind: str, word: str) -> frozenset[int]:
        """Refs of KIND whose terms include WORD or a term containing it (memoised per snapshot)."""
        key = (kind, word)
        hit = self._hits.get(key)
        if hit is None:
            terms_of = self.index.get(kind, {})
            found: set[int] = set(terms_of.get(word, ()))
            for term, refs in terms_of.items():
                if word in term:
                    found |= refs
            hit = frozenset(found)
            if len(self._hits) < 20_000:
                self._hits[key] = hit
        return hit


_lock = threading.Lock()
_state: dict[str, Any] = {"version": None, "read_at": 0.0, "updated_at": None, "catalogue": None}


def forget() -> None:
    """Make this process re-read the version on its next request (after a publication it made)."""
    _state["read_at"] = 0.0


def current_version() -> tuple[int, dt.datetime]:
    now = time.monotonic()
    if _state["version"] is None or now - _state["read_at"] >= VERSION_TTL:
        row = PortalState.objects.filter(pk=1).values_list("version", "updated_at").first()
        version, updated = row if row else (0, timezone.now().replace(microsecond=0))
        _state.update(version=version, updated_at=updated, read_at=now)
    return int(_state["version"]), _state["updated_at"]


def _load(version: int, updated_at: dt.datetime) -> Catalogue:
    cat = Catalogue(version=version, updated_at=updated_at)
    rows = PublicItem.objects.order_by("kind", "ordering", "-published_at", "-ref").values_list(
        "kind", "ref", "payload", "search_text"
    )
    for kind, ref, payload, text in rows.iterator(chunk_size=2000):
        cat.items[kind].append(payload)
        cat.by_ref[(kind, ref)] = payload
        if kind in ("policy", "project", "news", "event"):
            index = cat.index[kind]
            for term in set(text.split()):
                index[term].add(ref)
    return cat


def catalogue() -> Catalogue:
    version, updated = current_version()
    cat: Catalogue | None = _state["catalogue"]
    if cat is not None and cat.version == version:
        return cat
    with _lock:
        cat = _state["catalogue"]
        if cat is None or cat.version != version:
            cat = _load(version, updated)
            _state["catalogue"] = cat
    return cat
