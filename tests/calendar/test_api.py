from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.accounts.models import User

pytestmark = pytest.mark.django_db
ADD = "/api/v1/calendar/add-working-days"
BETWEEN = "/api/v1/calendar/working-days-between"


@pytest.fixture
def signed_in(api_client: APIClient, handler: User) -> APIClient:
    api_client.force_authenticate(handler)
    return api_client


def test_urls_are_named() -> None:
    assert reverse("api:calendar-add-working-days") == ADD
    assert reverse("api:calendar-working-days-between") == BETWEEN


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-09-30", "3", {"date": "2026-10-10", "provisional": False}),
        ("2026-02-13", "2", {"date": "2026-02-24", "provisional": False}),
        ("2026-10-08", "-1", {"date": "2026-09-30", "provisional": False}),
        ("2026-10-03", "0", {"date": "2026-10-03", "provisional": False}),
        ("2026-12-30", "3", {"date": "2027-01-04", "provisional": True}),
    ],
)
def test_add_working_days(signed_in: APIClient, start: str, days: str, expected: dict[str, Any]) -> None:
    response = signed_in.get(ADD, {"start": start, "days": days})
    assert response.status_code == 200
    assert response.json() == expected


def test_working_days_between(signed_in: APIClient) -> None:
    response = signed_in.get(BETWEEN, {"start": "2026-09-30", "end": "2026-10-10"})
    assert (response.status_code, response.json()) == (200, {"days": 3, "provisional": False})
    response = signed_in.get(BETWEEN, {"start": "2026-10-10", "end": "2026-09-30"})
    assert (response.status_code, response.json()) == (200, {"days": -3, "provisional": False})
    response = signed_in.get(BETWEEN, {"start": "2026-12-25", "end": "2027-01-08"})
    assert (response.status_code, response.json()) == (200, {"days": 10, "provisional": True})


@pytest.mark.parametrize(
    ("url", "params", "fields"),
    [
        (ADD, {"start": "2026-13-01", "days": "3"}, {"start": ["日期格式应为 YYYY-MM-DD"]}),
        (ADD, {"start": "2026/09/30", "days": "3"}, {"start": ["日期格式应为 YYYY-MM-DD"]}),
        (ADD, {"days": "3"}, {"start": ["必填，格式 YYYY-MM-DD"]}),
        (ADD, {"start": "2026-09-30", "days": "three"}, {"days": ["应为整数"]}),
        (ADD, {"start": "2026-09-30"}, {"days": ["必填，整数"]}),
        (ADD, {"start": "2026-09-30", "days": "1001"}, {"days": ["不能大于 1000"]}),
        (ADD, {"start": "2026-09-30", "days": "-1001"}, {"days": ["不能小于 -1000"]}),
        (BETWEEN, {"start": "2026-09-30", "end": "x"}, {"end": ["日期格式应为 YYYY-MM-DD"]}),
        (BETWEEN, {"start": "2000-01-01", "end": "2026-01-01"}, {"end": ["起止日期相差不能超过 10 年"]}),
    ],
)
def test_bad_input_is_a_structured_400(
    signed_in: APIClient, url: str, params: dict[str, str], fields: dict[str, list[str]]
) -> None:
    response = signed_in.get(url, params)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "输入有误", "fields": fields}


def test_anonymous_is_refused(api_client: APIClient) -> None:
    response = api_client.get(ADD, {"start": "2026-09-30", "days": "3"})
    assert response.status_code == 403
    assert set(response.json()) == {"code", "detail"}


def test_in_the_openapi_schema_with_parameters(signed_in: APIClient) -> None:
    schema = signed_in.get("/api/schema/", {"format": "json"}).json()
    add = schema["paths"][ADD]["get"]
    assert {p["name"] for p in add["parameters"]} == {"start", "days"}
    assert {"200", "400"} <= set(add["responses"])
    between = schema["paths"][BETWEEN]["get"]
    assert {p["name"] for p in between["parameters"]} == {"start", "end"}
