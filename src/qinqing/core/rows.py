"""Model instances from hand-written SQL, converted as the ORM converts them.

For the few statements on a hot path whose queryset would cost more to build and compile than to run (token
authentication: one join of token, user, unit, parent unit and roles). ``Columns(model, alias)`` lists a
model's concrete columns for a SELECT under a table alias; ``load(row, start)`` builds the instance from
that slice of a result row with the database converters the ORM applies (SQLite's dates and booleans …),
or None when the slice is the NULL side of an outer join.

    token, user = Columns(ApiToken, "t"), Columns(User, "u")
    sql = f"SELECT {token.select}, {user.select} FROM … t JOIN … u ON …"
    row = cursor.fetchone(); t = token.load(row, 0); u = user.load(row, token.width)

``JsonInsert(model, with_pk=…)``: the INSERT of many rows in one jsonb parameter (PostgreSQL), for
statements that write several tables in one round trip (the submission's).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


class Columns(Generic[M]):
    def __init__(self, model: type[M], alias: str, using: str = "default") -> None:
        self.model = model
        self.alias = alias
        self.using = using
        self.fields = list(model._meta.concrete_fields)
        self.width = len(self.fields)
        self.attnames = [f.attname for f in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        connection = connections[using]
        q = connection.ops.quote_name
        self.select = ", ".join(f"{alias}.{q(f.column)}" for f in self.fields)
        self._converters: list[tuple[int, list[Converter], Any]] = []
        for i, field in enumerate(self.fields):
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self._converters.append((i, found, col))

    def load(self, row: Sequence[Any], start: int = 0) -> M | None:
        values = list(row[start : start + self.width])
        if values[self.pk_index] is None:  # the missing side of an outer join
            return None
        if self._converters:
            connection = connections[self.using]
            for i, converters, col in self._converters:
                value = values[i]
                for convert in converters:
                    value = convert(value, col, connection)
                values[i] = value
        return self.model.from_db(self.using, self.attnames, values)


def json_value(value: Any) -> Any:
    """``json.dumps`` default for row values: full precision (DjangoJSONEncoder would cut microseconds)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | ipaddress.IPv4Address | ipaddress.IPv6Address | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


class JsonInsert:
    """An INSERT of MODEL rows that travel as one jsonb parameter typed by the table's own row type
    (``jsonb_populate_recordset``, PostgreSQL): the statement text is the same for any number of rows, and
    several of them can share one round trip as data-modifying CTEs (``WITH a AS (…) INSERT …``).

    ``with_pk``: the rows carry their ids (allocated from the sequence beforehand); otherwise the
    column default numbers them. ``ignore_conflicts``: ``ON CONFLICT DO NOTHING``, as bulk_create's.
    The values are those ``bulk_create`` would write (``pre_save`` and ``get_db_prep_save``; JSON fields
    as their Python value, which jsonb takes as it is).
    """

    def __init__(self, model: type[models.Model], *, with_pk: bool, ignore_conflicts: bool = False) -> None:
        connection = connections["default"]
        q = connection.ops.quote_name
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self._json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        table = q(model._meta.db_table)
        cols = [q(f.column) for f in self.fields]
        self.sql = (
            f"INSERT INTO {table} ({', '.join(cols)})"  # noqa: S608 - quoted names only
            f" SELECT {', '.join('r.' + c for c in cols)} FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) AS r"
            + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        )

    def param(self, objs: Sequence[models.Model]) -> str:
        connection = connections["default"]
        rows = []
        for obj in objs:
            # As bulk_create: a foreign key set as an object saved since (event.demand) gives its id.
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            row = {}
            for f in self.fields:
                value = f.pre_save(obj, True)
                row[f.column] = value if f.attname in self._json else f.get_db_prep_save(value, connection)
            rows.append(row)
        return json.dumps(rows, default=json_value)
