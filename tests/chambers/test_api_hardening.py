"""Regressions found by schemathesis: malformed filters answer 400 with the error shape, and the figures
answer as their schema documents them (decimal figures as strings)."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.chambers import services
from tests.chambers import builders

pytestmark = pytest.mark.django_db


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/chambers/organisations/?year=0.0", "year"),
        ("/api/v1/chambers/organisations/?year=99999", "year"),
        ("/api/v1/chambers/organisations/?year=2026.5", "year"),
        ("/api/v1/chambers/organisations/?inspection_year=null&conclusion=pass", "inspection_year"),
        ("/api/v1/chambers/certificates/?year=-5", "year"),
        ("/api/v1/chambers/certificates/?organisation=1.5", "organisation"),
        ("/api/v1/chambers/applications/?organisation=" + "9" * 30, "organisation"),
        ("/api/v1/chambers/reports/?campaign=0", "campaign"),
        ("/api/v1/chambers/reports/?year=1e9", "year"),
    ],
)
def test_malformed_filters_answer_400(url: str, field: str, staff: User) -> None:
    response = _client(staff).get(url)
    assert response.status_code == 400, (url, response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_year_filter_still_filters(staff: User) -> None:
    org, _ = builders.org_account(staff)
    org.registered_on = dt.date(2025, 6, 1)
    org.save(update_fields=["registered_on"])
    year = 2025
    client = _client(staff)
    assert client.get("/api/v1/chambers/organisations/", {"year": str(year)}).json()["count"] == 1
    assert client.get("/api/v1/chambers/organisations/", {"year": str(year - 1)}).json()["count"] == 0


def test_figures_answer_decimal_strings(staff: User) -> None:
    urumqi = builders.unit("乌鲁木齐市")
    services.set_targets(
        staff, area=urumqi, year=2026,
        values={"inspections": 600, "revocations": 25, "changes": 10, "registrations": 30, "certificates": 1000,
                "error_rate_max": "5", "ontime_rate_min": "95", "complaints_max": 5},
    )  # fmt: skip
    response = _client(staff).get("/api/v1/chambers/figures/", {"year": "2026"})
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2026
    assert body["ontime_rate"] is None and body["error_rate"] is None
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["inspections"]["actual"] == "0.00"
    assert rows["inspections"]["target"] == "600.00"
    assert rows["error_rate"]["actual"] is None
    assert rows["error_rate"]["target"] == "5.00"
    # a malformed year ("²" passes str.isdigit) falls back to this year, never a 500
    fallback = _client(staff).get("/api/v1/chambers/figures/", {"year": "²"})
    assert fallback.status_code == 200
    assert fallback.json()["year"] == dt.date.today().year
