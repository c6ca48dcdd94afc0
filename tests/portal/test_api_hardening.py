"""Regression: a figures year of non-ASCII digits ("²" passes str.isdigit(), then int() fails) or of huge
length answered 500; it answers 400 in the error shape now."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User


@pytest.mark.parametrize("year", ["²", "٢٠٢٦", "9" * 5000, "2026.0", "0"])
def test_malformed_figures_year_answers_400(cj_dispatcher: User, year: str) -> None:
    client = APIClient()
    client.force_authenticate(cj_dispatcher)
    response = client.get("/api/v1/portal/figures/", {"year": year})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "年份有误", "fields": {"year": ["年份有误"]}}


def test_figures_year_still_accepted(cj_dispatcher: User) -> None:
    client = APIClient()
    client.force_authenticate(cj_dispatcher)
    response = client.get("/api/v1/portal/figures/", {"year": "2026"})
    assert response.status_code == 200
    assert response.json()["year"] == 2026
