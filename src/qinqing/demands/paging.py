"""Paging the demand lists at province scale (a million rows; benchmark: bench/demands_bench.py).

Two measures keep a list page's cost independent of how many demands are in scope:

- the page is found on the ids alone (filters and ordering, no joins), then its 30 rows are loaded
  with their relations by primary key: the joins touch 30 rows instead of every candidate row;
- the list's total is counted up to ``COUNT_CAP`` only, and on PostgreSQL only when the planner
  expects that count to be cheap (``COUNT_COST_LIMIT``): beyond the cap the page says "超过 10000 件",
  when not counted "匹配较多，未统计总数"; either way it offers the first ``COUNT_CAP / page size``
  pages (narrow the filters to see the rest). An exact COUNT(*) over a prefecture's 400,000 demands
  costs seconds, and a keyword's matches can be mis-estimated badly enough that even a capped count
  reads the whole table.

The list, 我的待办 and statistics queries need PostgreSQL's JIT off (``without_jit``): the scope test's
subqueries give them cost estimates in the millions, and compiling them took longer (up to 2.5 s) than
running them. It is switched off once per database connection (deployments should also set
``jit = off`` for the application's role).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection, connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

from qinqing.demands.models import Demand

COUNT_CAP = 10_000
COUNT_COST_LIMIT = 30_000.0  # planner cost units: a count of a few thousand rows at most


def without_jit() -> None:
    """Switch JIT compilation off for this database connection (PostgreSQL; once per connection)."""
    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    raw: Any = connection.connection
    if getattr(raw, "qinqing_no_jit", False):
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    raw.qinqing_no_jit = True


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap`` (``capped`` tells whether there are more rows)."""

    cap = COUNT_CAP

    def __init__(self, *args: Any, cap: int = COUNT_CAP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def _capped_count(self) -> int | None:
        """Rows up to cap + 1; None when PostgreSQL expects even that count to be expensive."""
        rows: Any = self.object_list[: self.cap + 1]
        conn = connections[rows.db]  # the replica's, when the list reads there (core.replica)
        if conn.vendor == "postgresql":
            sql, params = rows.query.sql_with_params()
            with conn.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT count(*) FROM ({sql}) AS capped", params)  # noqa: S608 - Django-compiled SQL
                plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            if float(plan[0]["Plan"]["Total Cost"]) > COUNT_COST_LIMIT:
                return None
        return int(rows.count())

    @cached_property
    def uncounted(self) -> bool:
        return self._capped_count is None

    @cached_property
    def count(self) -> int:
        n = self._capped_count
        return self.cap if n is None else min(n, self.cap)

    @cached_property
    def capped(self) -> bool:
        n = self._capped_count
        return n is not None and n > self.cap


def page_of(
    qs: QuerySet[Demand],
    number: Any,
    per_page: int,
    related: tuple[str, ...],
    capped: bool | int = False,
    only: tuple[str, ...] = (),
    window: Callable[[int], QuerySet[Demand]] | None = None,
) -> tuple[Page, list[Demand]]:
    """The page NUMBER of QS (filtered and ordered) and its rows, loaded with RELATED by primary key
    (and with the fields ONLY, when given).

    CAPPED: count up to ``COUNT_CAP`` (True) or up to that many rows (an int). WINDOW(n), when given,
    returns the first n rows of QS in its order by a cheaper way; the page is cut from it.
    """
    ids_qs = qs.values_list("pk", flat=True)
    if capped:
        cap = COUNT_CAP if capped is True else int(capped)
        paginator: Paginator = CappedPaginator(ids_qs, per_page, cap=cap)
    else:
        paginator = Paginator(ids_qs, per_page)
    without_jit()
    page = paginator.get_page(number)
    if window is not None:
        bottom = (page.number - 1) * per_page
        page.object_list = window(bottom + per_page).values_list("pk", flat=True)[bottom : bottom + per_page]
    ids = list(page.object_list)
    rows_qs = Demand.objects.select_related(*related)
    if only:
        rows_qs = rows_qs.only(*only)
    by_id = rows_qs.in_bulk(ids) if ids else {}
    rows = [by_id[pk] for pk in ids if pk in by_id]
    page.object_list = rows
    return page, rows
