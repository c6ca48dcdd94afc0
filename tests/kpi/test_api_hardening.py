"""Regression found by schemathesis: an incident or request dated in year 279 was stored and then answered
as "0279-11-04T13:50:05+08:05:43" (Asia/Shanghai's local mean time offset), which is no RFC 3339 date-time
as the schema documents; such times are refused with 400 now."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.kpi.models import Incident, MaintenanceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user: Callable[..., User]) -> APIClient:
    admin = make_user("ops_fuzz", unit_name="昌吉州营商环境服务中心", roles=[Role.SYSADMIN])
    client = APIClient()
    client.force_authenticate(admin)
    return client


@pytest.mark.parametrize("field", ["started_at", "ended_at"])
def test_incident_time_outside_2000_2100_answers_400(admin_client: APIClient, field: str) -> None:
    data = {
        "system": "platform",
        "started_at": "2026-04-02T08:00:00+08:00",
        "ended_at": "2026-04-02T09:00:00+08:00",
        "detected_by": "user",
        "affected": "全部",
    }
    data[field] = "0279-11-04T05:44:22Z"
    response = admin_client.post("/api/v1/kpi/incidents/", data, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "输入有误",
        "fields": {field: ["时间应在 2000—2100 年之间"]},
    }
    assert not Incident.objects.exists()


def test_request_time_outside_2000_2100_answers_400(admin_client: APIClient) -> None:
    response = admin_client.post(
        "/api/v1/kpi/requests/",
        {"system": "platform", "title": "无法登录", "raised_at": "1899-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"raised_at": ["时间应在 2000—2100 年之间"]}
    assert not MaintenanceRequest.objects.exists()


def test_incident_time_answers_rfc3339(admin_client: APIClient) -> None:
    response = admin_client.post(
        "/api/v1/kpi/incidents/",
        {
            "system": "platform",
            "started_at": "2000-01-01T00:00:00Z",
            "detected_by": "user",
            "affected": "全部",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["started_at"] == "2000-01-01T08:00:00+08:00"
