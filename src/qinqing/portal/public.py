"""Reads of the public snapshot for pages and the mini-program API (never the staff tables).

Also the response cache and the visit counter shared by public pages and public API:

- ``cached_response``: a per-process LRU of rendered responses keyed by (snapshot version, language,
  path, query). The ETag is derived from the version and the key, Last-Modified is the snapshot's time,
  so a revalidating client gets 304 without rendering; ``Cache-Control: public, max-age=60``.
- ``count_visit``: per-process counters per (day, page, source), flushed into ``Visit`` every few seconds
  (an UPSERT per key); only the page name and a source category are kept — no address, no cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import http_date

from qinqing.analysis.text import terms
from qinqing.portal import matching, snapshot
from qinqing.portal.models import Visit

PAGE_SIZE = 20


def today() -> dt.date:
    return timezone.localdate()


# --- filters ----------------------------------------------------------------------------------------
def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def paginate(rows: list[Any], page: Any, size: int = PAGE_SIZE) -> tuple[list[Any], int, int]:
    """(rows of the page, page number, page count); a bad page number is page 1."""
    pages = max(1, (len(rows) + size - 1) // size)
    number = min(max(_int(page) or 1, 1), pages)
    return rows[(number - 1) * size : number * size], number, pages


def search(kind: str, q: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows holding every term of Q (the platform's jieba segmenter), through the snapshot's term index."""
    words = terms(q)[:8] or ([q.strip()] if q.strip() else [])
    if not words:
        return rows
    cat = snapshot.catalogue()
    hits = cat.refs_with(kind, words[0])
    for word in words[1:]:
        hits = hits & cat.refs_with(kind, word)
    return [row for row in rows if int(row["id"]) in hits]


def policies(params: Any) -> list[dict[str, Any]]:
    rows = snapshot.catalogue().list("policy")
    ptype = str(params.get("type") or "")
    industry = str(params.get("industry") or "").upper()
    scale = str(params.get("scale") or "")
    status = str(params.get("status") or "")
    now = today()
    if ptype:
        rows = [r for r in rows if ptype in (r["data"].get("policy_types") or [])]
    if industry:
        rows = [r for r in rows if _industry_hit(r, industry)]
    if scale:
        rows = [r for r in rows if not r["data"].get("scales") or scale in r["data"]["scales"]]
    if status == "valid":
        rows = [r for r in rows if not matching.is_expired(r, now)]
    elif status == "expired":
        rows = [r for r in rows if matching.is_expired(r, now)]
    q = str(params.get("q") or "").strip()[:50]
    if q:
        rows = search("policy", q, rows)
    return rows


def _industry_hit(row: dict[str, Any], code: str) -> bool:
    codes = row["data"].get("industries") or []
    return not codes or code in codes or (len(code) == 2 and any(c == code[:1] for c in codes))


def projects(params: Any) -> list[dict[str, Any]]:
    rows = snapshot.catalogue().list("project")
    cluster, chain = _int(params.get("cluster")), _int(params.get("chain"))
    location, size = _int(params.get("location")), _int(params.get("size"))
    industry = str(params.get("industry") or "").upper()
    if cluster:
        rows = [r for r in rows if r["cluster_id"] == cluster]
    if chain:
        rows = [r for r in rows if r["chain_id"] == chain]
    if location:
        rows = [r for r in rows if r["location_unit_id"] == location]
    if size is not None:
        rows = [r for r in rows if r["size_band"] == size]
    if industry:
        rows = [r for r in rows if industry in (r["industry_section"], r["industry_division"])]
    q = str(params.get("q") or "").strip()[:50]
    if q:
        rows = search("project", q, rows)
    return rows


def project_facets() -> dict[str, list[tuple[Any, str]]]:
    """Filter choices present in the catalogue (computed once per snapshot version)."""
    cat = snapshot.catalogue()
    cached = getattr(cat, "_facets", None)
    if cached is not None:
        return cached
    clusters: dict[int, str] = {}
    chains: dict[int, str] = {}
    locations: dict[int, str] = {}
    sections: dict[str, str] = {}
    for r in cat.list("project"):
        if r["cluster_id"]:
            clusters[r["cluster_id"]] = r["cluster"]
        if r["chain_id"]:
            chains[r["chain_id"]] = r["chain"]
        locations[r["location_unit_id"]] = r["location"]
        sections[r["industry_section"]] = r["industry_section_name"]
    facets: dict[str, list[tuple[Any, str]]] = {
        "clusters": sorted(clusters.items(), key=lambda x: x[1]),
        "chains": sorted(chains.items(), key=lambda x: x[1]),
        "locations": sorted(locations.items(), key=lambda x: x[1]),
        "sections": sorted(sections.items()),
    }
    cat._facets = facets  # type: ignore[attr-defined]
    return facets


def news(kind: str = "") -> list[dict[str, Any]]:
    cat = snapshot.catalogue()
    rows = cat.list("news") + cat.list("event") if not kind else cat.list(kind)
    return sorted(
        rows, key=lambda r: (str(r["data"].get("date") or r["published_at"][:10]), r["id"]), reverse=True
    )


def locations() -> dict[int, str]:
    return dict(project_facets()["locations"])


def match(params: Any) -> tuple[matching.Inputs, list[matching.Match]]:
    inputs = matching.parse_inputs(params)
    locs = match_locations()
    return inputs, matching.match(snapshot.catalogue().list("policy"), inputs, today(), dict(locs))


def match_locations() -> list[tuple[int, str]]:
    """Counties and parks named by any policy's location rule or any catalogue project."""
    found = dict(project_facets()["locations"])
    from qinqing.orgs.models import Unit

    ids: set[int] = set()
    for p in snapshot.catalogue().list("policy"):
        for rule in p["data"].get("rules") or []:
            if rule.get("field") == "location":
                ids.update(int(x) for x in rule.get("value") or [])
    missing = ids - set(found)
    if missing:
        found.update(dict(Unit.objects.filter(pk__in=missing).values_list("id", "name")))
    return sorted(found.items(), key=lambda x: x[1])


def wan(value: Any) -> str:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{d:,.0f}" if d == d.to_integral() else f"{d:,.2f}"


# --- response cache -------------------------------------------------------------------------------
CACHE_ENTRIES = 4000
_cache: OrderedDict[tuple[Any, ...], tuple[bytes, str, str, int]] = OrderedDict()
_cache_lock = threading.Lock()


def _etag(version: int, key: tuple[Any, ...]) -> str:
    return '"' + hashlib.blake2b(repr((version, key)).encode(), digest_size=10).hexdigest() + '"'


def cached_response(
    request: HttpRequest, key: tuple[Any, ...], render: Callable[[], HttpResponse], *, max_age: int = 60
) -> HttpResponse:
    """Serve KEY from the per-process cache (or render and keep it), answering 304 to a matching ETag."""
    version, updated = snapshot.current_version()
    full = (version, *key)
    etag = _etag(version, key)
    last_modified = http_date(updated.timestamp())
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={max_age}"
        return response
    hit = _cache.get(full)
    if hit is None:
        fresh = render()
        if fresh.status_code != 200:
            return fresh
        hit = (fresh.content, fresh["Content-Type"], etag, 200)
        with _cache_lock:
            _cache[full] = hit
            while len(_cache) > CACHE_ENTRIES:
                _cache.popitem(last=False)
    response = HttpResponse(hit[0], content_type=hit[1], status=hit[3])
    response["ETag"] = etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Vary"] = "Accept-Encoding"
    return response


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# --- visits -----------------------------------------------------------------------------------------
FLUSH_SECONDS = 5.0
_visits: Counter[tuple[dt.date, str, str]] = Counter()
_visits_lock = threading.Lock()
_last_flush = [time.monotonic()]
SOURCES = ("wechat", "qr", "brochure", "search", "direct", "site", "other", "miniprogram")
SEARCH_HOSTS = ("baidu.", "sogou.", "so.com", "bing.", "google.", "sm.cn")


def source_of(request: HttpRequest) -> str:
    """A category only: ?src= (qr, brochure, wechat) when given, else from the Referer's host."""
    src = str(request.GET.get("src") or "")
    if src in SOURCES:
        return src
    if "MicroMessenger" in request.headers.get("User-Agent", ""):
        return "wechat"
    referer = request.headers.get("Referer", "")
    if not referer:
        return "direct"
    host = urlparse(referer).hostname or ""
    if host == request.get_host().split(":")[0]:
        return "site"
    if any(s in host for s in SEARCH_HOSTS):
        return "search"
    return "other"


def count_visit(page: str, source: str) -> None:
    with _visits_lock:
        _visits[(today(), page, source)] += 1
    if time.monotonic() - _last_flush[0] >= FLUSH_SECONDS:
        flush_visits()


def flush_visits() -> int:
    with _visits_lock:
        pending = dict(_visits)
        _visits.clear()
        _last_flush[0] = time.monotonic()
    for (day, page, source), n in pending.items():
        updated = Visit.objects.filter(day=day, page=page, source=source).update(count=F("count") + n)
        if not updated:
            obj, created = Visit.objects.get_or_create(
                day=day, page=page, source=source, defaults={"count": n}
            )
            if not created:
                Visit.objects.filter(pk=obj.pk).update(count=F("count") + n)
    return sum(pending.values())
