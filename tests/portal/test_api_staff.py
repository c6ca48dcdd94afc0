from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from qinqing.portal import inquiries

pytestmark = pytest.mark.django_db


def test_staff_api_inquiries_masked_and_scoped(
    site: dict[str, Any], cj_dispatcher: Any, reviewer: Any, django_assert_num_queries: Any
) -> None:
    for i in range(3):
        inquiries.submit_inquiry(
            {
                "company": f"公司{i}",
                "contact": "王",
                "phone": f"1390000000{i}",
                "message": "希望洽谈投资合作事宜，请联系。",
                "consent": True,
                "project": site["project"].pk,
            },
            ip=f"1.1.1.{i}",
        )
    client = APIClient()
    client.force_authenticate(cj_dispatcher)
    with django_assert_num_queries(2):  # the page (rows with their unit) and the capped count
        body = client.get("/api/v1/portal/inquiries/").json()
    assert body["count"] == 3
    assert {r["phone"] for r in body["results"]} == {"139****0000", "139****0001", "139****0002"}
    assert all(r["light"] == "green" and r["unit"] == "昌吉市" for r in body["results"])
    client.force_authenticate(reviewer)
    assert client.get("/api/v1/portal/inquiries/").json()["count"] == 0
    figures = client.get("/api/v1/portal/figures/?year=2026").json()
    assert figures["unit"] == "乌鲁木齐市" and len(figures["rows"]["received"]) == 12
    assert client.get("/api/v1/portal/figures/?year=abc").status_code == 400
    client.force_authenticate(cj_dispatcher)
    year = timezone.localdate().year
    rows = client.get(f"/api/v1/portal/figures/?year={year}").json()["rows"]
    assert sum(rows["received"]) == 3 and sum(rows["answered"]) == 0
