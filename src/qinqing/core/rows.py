"""Model instances from hand-written SQL, converted as the ORM converts them.

For the few statements on a hot path whose queryset would cost more to build and compile than to run (token
authentication: one join of token, user, unit, parent unit and roles). ``Columns(model, alias)`` lists a
model's concrete columns for a SELECT under a table alias; ``load(row, start)`` builds the instance from
that slice of a result row with the database converters the ORM applies (SQLite's dates and booleans …),
or None when the slice is the NULL side of an outer join.

    token, user = Columns(ApiToken, "t"), Columns(User, "u")
    sql = f"SELECT {token.select}, {user.select} FROM … t JOIN … u ON …"
    row = cursor.fetchone(); t = token.load(row, 0); u = user.load(row, token.width)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
