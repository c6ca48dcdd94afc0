"""Regressions found by schemathesis: malformed years on the promotion lists answer 400 with the error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User


@pytest.mark.parametrize("resource", ["receptions", "trips"])
@pytest.mark.parametrize("year", ["0", "0.0", "99999", "²", "9" * 30, "null", "2026.5"])
def test_malformed_year_answers_400(resource: str, year: str, officer: User) -> None:
    client = APIClient()
    client.force_authenticate(officer)
    response = client.get(f"/api/v1/promotion/{resource}/", {"year": year})
    assert response.status_code == 400, (year, response.content[:300])
    assert response.json() == {
        "code": "invalid",
        "detail": "输入有误",
        "fields": {"year": ["年度应为 2000—2100 的整数"]},
    }


@pytest.mark.parametrize("resource", ["receptions", "trips"])
def test_valid_year_filters(resource: str, officer: User) -> None:
    client = APIClient()
    client.force_authenticate(officer)
    response = client.get(f"/api/v1/promotion/{resource}/", {"year": "2026"})
    assert response.status_code == 200
    assert response.json()["count"] == 0
