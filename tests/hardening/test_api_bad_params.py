"""Regressions found by schemathesis: malformed query parameters answer 400 with the error shape, not 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/analysis/top-terms/?category=null&category=null", "category"),
        ("/api/v1/investment/dashboard/?unit=null", "unit"),
        ("/api/v1/liaison/ledger/?unit=null", "unit"),
        ("/api/v1/liaison/ledger/?leader=1e3", "leader"),
        ("/api/v1/investment/funds/?year=0.0", "year"),
        ("/api/v1/investment/funds/?year=2026.5", "year"),
        ("/api/v1/investment/reports/?year=99999", "year"),
        ("/api/v1/investment/dashboard/?unit=%C2%B2", "unit"),  # "²" is a digit to str.isdigit()
    ],
)
def test_malformed_parameters_answer_400(url: str, field: str, make_user: Callable[..., User]) -> None:
    user = make_user("param_user", unit_name="昌吉州营商环境服务中心", roles=["dispatcher", "leader"])
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_unknown_api_url_answers_json_404(client: object) -> None:
    from django.test import Client

    response = Client().get("/api/v1/tokens/0.5/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "未找到，或无权访问", "fields": {}}


def test_a_page_number_past_the_largest_offset_answers_404(make_user: Callable[..., User]) -> None:
    user = make_user("page_user", unit_name="昌吉州营商环境服务中心", roles=["dispatcher"])
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/enterprises/?page=99999999999999999999")
    assert response.status_code == 404, response.content[:300]
    assert response.json()["code"] == "not_found"
