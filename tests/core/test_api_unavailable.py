"""A lost database connection answers 503 with Retry-After and the API's error shape, not a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from qinqing.accounts import authentication
from qinqing.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_a_dropped_connection_is_503_with_retry_after(
    make_user: Any, monkeypatch: pytest.MonkeyPatch, admin_client: Any
) -> None:
    from qinqing.accounts.services import create_token

    user = make_user("unavail", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER])
    raw = create_token(user, "t")[1]

    def gone(_raw: str) -> None:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(authentication, "load_live_token", gone)
    response = APIClient().get("/api/v1/demands/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "code": "unavailable",
        "detail": "服务暂时不可用（数据库连接中断），请稍后重试",
    }
    import yaml

    schema = yaml.safe_load(admin_client.get("/api/schema/").content)
    operations = [op for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert all("503" in op["responses"] for op in operations)
    assert "Retry-After" in operations[0]["responses"]["503"]["headers"]
