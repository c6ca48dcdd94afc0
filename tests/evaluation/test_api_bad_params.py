"""Regressions found by schemathesis: malformed filters on the values list answer 400 with the error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.evaluation.models import Round


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"round": "null"}, "round"),
        ({"unit": "1e3"}, "unit"),
        ({"indicator": "9" * 30}, "indicator"),
        ({"round": "²"}, "round"),
        ({"status": "bogus"}, "status"),
    ],
)
def test_malformed_value_filters_answer_400(query: dict[str, str], field: str, office: User) -> None:
    client = APIClient()
    client.force_authenticate(office)
    response = client.get("/api/v1/evaluation/values/", query)
    assert response.status_code == 400, (query, response.content[:300])
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_value_filters_still_filter(office: User, rnd: Round) -> None:
    client = APIClient()
    client.force_authenticate(office)
    every = client.get("/api/v1/evaluation/values/", {"round": str(rnd.pk)}).json()["count"]
    assert every == rnd.values.count() > 0
    assert client.get("/api/v1/evaluation/values/", {"round": str(rnd.pk + 1000)}).json()["count"] == 0


def test_report_with_malformed_unit_answers_400(office: User, rnd: Round) -> None:
    client = APIClient()
    client.force_login(
        office
    )  # a session login: the report needs a recent re-authentication (accounts.reauth)
    response = client.get(f"/api/v1/evaluation/rounds/{rnd.pk}/report/", {"unit": "²"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"unit": ["须为整数编号"]}
