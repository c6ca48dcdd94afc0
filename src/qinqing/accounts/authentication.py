"""Who makes a request, loaded in one statement: the API token (``Authorization: Bearer qq_...``; only the
digest is stored) and the signed-in user of a session (``UserBackend``).

One statement loads the live token (or the session's user) with the user, the user's unit and that
unit's parent (the scope root of a lead office) and the user's roles (one row per role), so the
permission and scope checks that follow in the request (``user.can``, ``user.scope_unit``,
``visible_to``) read them without querying again.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from qinqing.accounts.models import ApiToken, User, UserRole, hash_token
from qinqing.core.rows import Columns
from qinqing.orgs.models import Unit


class _UserRows:
    """The user's part of both statements: its columns, its unit's and the parent's, then the role (one
    row per role), and the joins that bring them; ``attach`` builds the user from the rows."""

    def __init__(self) -> None:
        q = connection.ops.quote_name
        self.user, self.unit, self.parent = Columns(User, "u"), Columns(Unit, "un"), Columns(Unit, "p")
        units, roles = q(Unit._meta.db_table), q(UserRole._meta.db_table)
        self.select = f"{self.user.select}, {self.unit.select}, {self.parent.select}, r.{q('role')}"
        self.joins = (
            f" LEFT JOIN {units} un ON un.{q('id')} = u.{q('unit_id')}"
            f" LEFT JOIN {units} p ON p.{q('id')} = un.{q('parent_id')}"
            f" LEFT JOIN {roles} r ON r.{q('user_id')} = u.{q('id')}"
        )

    def attach(self, rows: list[Any], at: int = 0) -> User:
        """The user of ROWS (its columns from AT), with its unit, the unit's parent and its roles."""
        first = rows[0]
        user = self.user.load(first, at)
        assert user is not None
        at += self.user.width
        unit = self.unit.load(first, at)
        if unit is not None:
            parent = self.parent.load(first, at + self.unit.width)
            if parent is not None:
                unit.parent = parent
            user.unit = unit
        user.prime_roles(row[-1] for row in rows if row[-1] is not None)
        return user


@functools.cache
def _token_query(vendor: str) -> tuple[str, Columns[ApiToken], _UserRows]:
    """The statement (for the connection's VENDOR), the token's columns and the user's part."""
    q = connection.ops.quote_name
    token, user = Columns(ApiToken, "t"), _UserRows()
    sql = (
        f"SELECT {token.select}, {user.select}"  # noqa: S608 - quoted names
        f" FROM {q(ApiToken._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')}"
        f"{user.joins}"
        f" WHERE t.{q('key_hash')} = %s AND t.{q('revoked_at')} IS NULL"
        f" AND (t.{q('expires_at')} IS NULL OR t.{q('expires_at')} > %s)"
    )
    return sql, token, user


def load_live_token(raw: str) -> ApiToken | None:
    """The live (not revoked, not expired) token RAW with ``token.user`` loaded as described above."""
    sql, token_cols, user_rows = _token_query(connection.vendor)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_token(raw), now])
        rows = cursor.fetchall()
    if not rows:
        return None
    token = token_cols.load(rows[0])
    assert token is not None
    token.user = user_rows.attach(rows, token_cols.width)
    return token


@functools.cache
def _user_query(vendor: str) -> tuple[str, _UserRows]:
    q = connection.ops.quote_name
    user = _UserRows()
    sql = f"SELECT {user.select} FROM {q(User._meta.db_table)} u{user.joins} WHERE u.{q('id')} = %s"  # noqa: S608
    return sql, user


def load_user(pk: Any) -> User | None:
    """The user PK with its unit, the unit's parent and its roles (one statement)."""
    try:
        pk = User._meta.pk.to_python(pk)
    except ValidationError:  # not an id (a session of another schema): nobody
        return None
    sql, user_rows = _user_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        rows = cursor.fetchall()
    return user_rows.attach(rows) if rows else None


class UserBackend(ModelBackend):
    """Django's model backend (passwords, ``is_active``), whose ``get_user`` — the session's user on every
    request — loads the user's unit, its parent and the roles in the same statement."""

    def get_user(self, user_id: Any) -> User | None:
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if not parts or parts[0] != self.keyword:
            return None
        if len(parts) != 2 or not parts[1].startswith(ApiToken.PREFIX):
            raise exceptions.AuthenticationFailed("令牌格式错误")
        token = load_live_token(parts[1])
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效、已过期或已吊销")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str | None:
        """401 with ``WWW-Authenticate: Bearer`` when a token was presented and refused; requests without
        one keep DRF's 403 for "not signed in" (the session is the other way in)."""
        header = authentication.get_authorization_header(request).decode("latin-1")
        return self.keyword if header.split()[:1] == [self.keyword] else None
