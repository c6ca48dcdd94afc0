"""The session's user (``accounts.authentication.UserBackend``): loaded with its unit, the unit's parent and
its roles in one statement, so the permission and scope checks of the request query nothing more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user
from django.test import Client, RequestFactory

from qinqing.accounts.authentication import UserBackend, load_user
from qinqing.accounts.models import User
from qinqing.accounts.roles import Role

pytestmark = pytest.mark.django_db


def _request_of(client: Client) -> Any:
    request = RequestFactory().get("/")
    request.session = client.session
    return request


def test_one_statement_loads_user_unit_parent_and_roles(
    make_user: Callable[..., User], django_assert_num_queries: Any
) -> None:
    made = make_user("office", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER, Role.UNIT_HEAD])
    with django_assert_num_queries(1):
        user = load_user(made.pk)
        assert user is not None and user.pk == made.pk and user.username == "office"
        assert user.role_codes == {Role.DISPATCHER, Role.UNIT_HEAD}
        assert user.unit is not None and user.unit.name == "昌吉市营商环境服务中心"
        assert user.unit.parent is not None and user.unit.parent.name == "昌吉市"
        scope, can_export = user.scope_unit, user.can("demands.export")
    assert scope == made.scope_unit and scope is not None and scope.name == "昌吉市"
    assert can_export is made.can("demands.export") is True


def test_a_user_without_unit_or_roles(make_user: Callable[..., User]) -> None:
    made = make_user("nobody")
    user = load_user(made.pk)
    assert user is not None and user.unit is None and user.role_codes == frozenset()
    assert load_user("not-an-id") is None and load_user(made.pk + 1000) is None


def test_the_session_gives_that_user_and_refuses_an_inactive_one(
    make_user: Callable[..., User], django_assert_num_queries: Any
) -> None:
    made = make_user("handler", unit_name="昌吉市自然资源局", roles=[Role.HANDLER])
    client = Client()
    client.force_login(made)
    request = _request_of(client)
    with django_assert_num_queries(2):  # the session, the user with unit, parent and roles
        user = get_user(request)
        assert (
            user.pk == made.pk and user.role_codes == {Role.HANDLER} and user.unit.name == "昌吉市自然资源局"
        )
        assert user.unit.parent.name == "昌吉市"
    User.objects.filter(pk=made.pk).update(is_active=False)
    assert get_user(_request_of(client)).is_anonymous
    assert UserBackend().get_user(made.pk) is None
