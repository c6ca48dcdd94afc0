"""The pre-aggregated funds table (models.ProjectYearFunds): upkeep, rebuild and verification.

One row per project, unit and calendar year holds the year's twelve monthly amounts and 区外 amounts and a
bit per month with an entry. The funds services call ``refresh`` in the entry's transaction after every
create, update and delete: the row is recomputed from the (at most twelve) raw entries while the project
row is locked, so two concurrent changes to one project's funds cannot leave a stale sum (the second
waits for the first to commit, then recomputes with both). Breakdown keys (unit of the project, cluster,
chain, source, investor type, size band) and the counting exclusions are read from the project when the
dashboard runs, so project edits and stage changes need no upkeep.

``rebuild`` recomputes the whole table with one INSERT … SELECT (the data migration and
``qinqing investment_rebuild_aggregates``); ``differences`` compares the table with a recomputation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear

from qinqing.investment.models import MONTHS, ZERO, FundsEntry, Project, ProjectYearFunds

AMOUNT_FIELDS = tuple(f"a{m:02d}" for m in MONTHS)
OUTSIDE_FIELDS = tuple(f"o{m:02d}" for m in MONTHS)
VALUE_FIELDS = ("months", *AMOUNT_FIELDS, *OUTSIDE_FIELDS)


def month_bits(last_month: int) -> int:
    """The bits of months 1..LAST_MONTH."""
    return (1 << last_month) - 1


def grouped(funds: QuerySet[Any], money: Any = None) -> QuerySet[Any]:
    """FUNDS grouped by project, unit and year with the row's columns (the one definition of a row)."""
    from django.db.models import DecimalField

    money = money or DecimalField(max_digits=16, decimal_places=2)
    sums: dict[str, Any] = {
        "months": Sum(
            Case(
                *[When(mo=m, then=Value(1 << (m - 1))) for m in MONTHS],
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    }
    # the column order of VALUE_FIELDS (rebuild inserts the SELECT as it is)
    for prefix, column in (("a", "amount_wan"), ("o", "outside_amount_wan")):
        for m in MONTHS:
            sums[f"{prefix}{m:02d}"] = Sum(
                Case(When(mo=m, then=F(column)), default=Value(ZERO), output_field=money)
            )
    return (
        funds.annotate(yr=ExtractYear("month"), mo=ExtractMonth("month"))
        .values("project_id", "unit_id", "yr")
        .annotate(**sums)
        .order_by()
    )


def refresh(project_id: int, unit_id: int, year: int) -> None:
    """Recompute the row of (PROJECT_ID, UNIT_ID, YEAR) from the raw entries; call inside the transaction
    that changed an entry of that project, unit and year."""
    # serialise funds changes of one project (no-op on SQLite, which serialises every write)
    list(Project.objects.select_for_update().filter(pk=project_id).values_list("pk", flat=True))
    rows = list(
        FundsEntry.objects.filter(project_id=project_id, unit_id=unit_id, month__year=year).values_list(
            "month", "amount_wan", "outside_amount_wan"
        )
    )
    if not rows:
        ProjectYearFunds.objects.filter(project_id=project_id, unit_id=unit_id, year=year).delete()
        return
    values: dict[str, Any] = {"months": 0}
    values.update({f: ZERO for f in (*AMOUNT_FIELDS, *OUTSIDE_FIELDS)})
    for month, amount, outside in rows:
        values["months"] |= 1 << (month.month - 1)
        values[f"a{month.month:02d}"] = amount
        values[f"o{month.month:02d}"] = outside
    ProjectYearFunds.objects.update_or_create(
        project_id=project_id, unit_id=unit_id, year=year, defaults=values
    )


def _insert_select(target_table: str, select: QuerySet[Any]) -> None:
    sql, params = select.query.sql_with_params()
    columns = ", ".join(["project_id", "unit_id", "year", *VALUE_FIELDS])
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {target_table} ({columns}) {sql}", params)


def rebuild(funds_model: Any = FundsEntry, aggregate_model: Any = ProjectYearFunds) -> int:
    """Replace the table by a recomputation from every funds entry; returns the number of rows.
    The models can be a migration's historical ones."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # block funds writes until the new table is committed (reads go on)
            with connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {funds_model._meta.db_table} IN SHARE MODE")
        aggregate_model.objects.all().delete()
        # in year and unit order: a year's rows of a scope then sit in few heap pages
        rows = grouped(funds_model.objects.all()).order_by("yr", "unit_id", "project_id")
        _insert_select(aggregate_model._meta.db_table, rows)
        count: int = aggregate_model.objects.count()
    return count


def _key_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return (int(row["months"]), *(Decimal(row[f]) for f in (*AMOUNT_FIELDS, *OUTSIDE_FIELDS)))


def differences(project_ids: Any = None, limit: int = 20) -> list[str]:
    """The rows where the table and a recomputation from the raw entries disagree (empty when right).
    PROJECT_IDS narrows both sides (tests); None checks everything."""
    funds: QuerySet[Any] = FundsEntry.objects.all()
    table: QuerySet[Any] = ProjectYearFunds.objects.all()
    if project_ids is not None:
        funds = funds.filter(project_id__in=project_ids)
        table = table.filter(project_id__in=project_ids)
    expected = {(r["project_id"], r["unit_id"], r["yr"]): _key_values(r) for r in grouped(funds).iterator()}
    actual = {
        (r["project_id"], r["unit_id"], r["year"]): _key_values(r)
        for r in table.values("project_id", "unit_id", "year", *VALUE_FIELDS).iterator()
    }
    out: list[str] = []
    for key in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(key), actual.get(key)
        if want != got:
            out.append(f"project {key[0]} unit {key[1]} year {key[2]}: table {got}, entries {want}")
            if len(out) >= limit:
                break
    return out
