"""The public verification page's fast path (the QR code's target; ≥ 300 requests/s in the issue).

A request costs one cache round trip: the page's rate-limit counter, the platform's ``anon:ip`` counter
(which the middleware leaves to this page) and the certificates' generation number are read in one
pipeline (``ratelimit.hit_many``). Each worker keeps the rendered page per serial, valid while
the generation is the one it was rendered under; every change of a certificate's status (issue, re-issue,
void — all in certificates.py) bumps the generation, at once and again on commit (a request that read the
old row between the two re-renders after the second). Without a generation in the cache (never bumped,
or the cache was flushed) nothing is kept: the page is read from the database each time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from qinqing.core import ratelimit

GEN_KEY = "chambers:verify:gen"
SCOPE = "chambers:verify"
LIMIT = 60  # requests per client address per window (CHAMBERS_VERIFY_LIMIT overrides)
WINDOW = 60
MAX_PAGES = 5000  # per worker; about 4 KB each

_pages: OrderedDict[str, tuple[int, bytes]] = OrderedDict()


def _bump() -> None:
    try:
        cache.incr(GEN_KEY)
    except ValueError:
        if not cache.add(GEN_KEY, 1, timeout=None):
            cache.incr(GEN_KEY)


def changed() -> None:
    """A certificate's status changed (or a certificate was issued): pages rendered before are stale."""
    _bump()
    transaction.on_commit(_bump)


PATH = "/chambers/verify/"  # registered with ratelimit.counts_itself (apps.py): anon:ip is counted here


def check(ip: str) -> tuple[ratelimit.Decision, int | None]:
    """Count the request against the page's limit and the platform's ``anon:ip`` limit and read the
    generation, in one round trip; the first refusing decision, else the page's."""
    limit = getattr(settings, "CHAMBERS_VERIFY_LIMIT", LIMIT)
    specs = [(SCOPE, ip, limit, WINDOW), *ratelimit.anon_spec(ip)]
    decisions, (generation,) = ratelimit.hit_many(specs, read=[GEN_KEY])
    refused = [d for d in decisions if not d.allowed]
    return (refused[0] if refused else decisions[0]), generation


def page(serial: str, generation: int | None, render: Callable[[], bytes]) -> bytes:
    """The rendered page for SERIAL: this worker's copy if rendered under GENERATION, else RENDER()."""
    if generation is not None:
        kept = _pages.get(serial)
        if kept is not None and kept[0] == generation:
            _pages.move_to_end(serial)
            return kept[1]
    body = render()
    if generation is not None:
        _pages[serial] = (generation, body)
        if len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return body


def forget() -> None:
    """Drop this worker's pages (tests: the database is rolled back under them)."""
    _pages.clear()
