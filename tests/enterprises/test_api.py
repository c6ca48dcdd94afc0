"""API: scoped lists with the shared filters, masked mobiles, services behind create/update, schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.enterprises.models import Enterprise
from tests.factories import ContactFactory, EnterpriseFactory, unit

pytestmark = pytest.mark.django_db


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_enterprise_list_masks_the_primary_contact(county_dispatcher: Any) -> None:
    contact = ContactFactory(enterprise__name="甲有限公司", mobile="13812345678", title="总经理")
    response = _client(county_dispatcher).get(reverse("api:enterprise-list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["primary_contact"] == {"name": "李四", "title": "总经理", "mobile_masked": "138****5678"}
    assert (row["id"], row["name"], row["registered_unit_name"], row["scale_display"]) == (
        contact.enterprise_id, "甲有限公司", "昌吉市", "小型",
    )  # fmt: skip
    assert "13812345678" not in response.content.decode()


def test_enterprise_list_uses_the_shared_filters(county_dispatcher: Any) -> None:
    EnterpriseFactory(name="昌吉粮油有限公司", credit_code="91652301MA775LWQ1R")
    EnterpriseFactory(
        name="六工物流有限公司", industry_section="G", industry_division="54", registered_unit=unit("六工镇")
    )
    EnterpriseFactory(name="玛纳斯企业", registered_unit=unit("玛纳斯县"))
    client = _client(county_dispatcher)

    def names(**params: Any) -> list[str]:
        return [r["name"] for r in client.get(reverse("api:enterprise-list"), params).json()["results"]]

    assert names() == ["六工物流有限公司", "昌吉粮油有限公司"]
    assert names(q="ma775lwq1r") == ["昌吉粮油有限公司"]
    assert names(industry_section="G") == ["六工物流有限公司"]
    assert names(unit=unit("六工镇").pk) == ["六工物流有限公司"]
    response = client.get(reverse("api:enterprise-list"), {"unit": unit("玛纳斯县").pk})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["unit"]


def test_enterprise_list_query_count_is_constant(
    county_dispatcher: Any, django_assert_num_queries: Any
) -> None:
    client = _client(county_dispatcher)
    for _ in range(5):
        ContactFactory()
    client.get(reverse("api:enterprise-list"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(reverse("api:enterprise-list")).json()["results"]) == 5
    for _ in range(25):
        ContactFactory(enterprise__registered_unit=unit("六工镇"))
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(client.get(reverse("api:enterprise-list")).json()["results"]) == 30
    assert len(five.captured_queries) <= 8


def test_contact_list_and_detail_are_masked(county_dispatcher: Any, django_assert_num_queries: Any) -> None:
    client = _client(county_dispatcher)
    contact = ContactFactory(mobile="13812345678")
    response = client.get(reverse("api:contact-detail", args=[contact.pk]))
    assert response.json() == {
        "id": contact.pk,
        "enterprise": contact.enterprise_id,
        "enterprise_name": contact.enterprise.name,
        "name": "李四",
        "title": "总经理",
        "mobile_masked": "138****5678",
        "is_primary": True,
    }
    for _ in range(4):
        ContactFactory()
    client.get(reverse("api:contact-list"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        listed = client.get(reverse("api:contact-list"))
    assert listed.json()["count"] == 5
    assert "13812345678" not in listed.content.decode()
    for _ in range(25):
        ContactFactory()
    with django_assert_num_queries(len(five.captured_queries)):
        assert client.get(reverse("api:contact-list")).json()["count"] == 30
    filtered = client.get(reverse("api:contact-list"), {"enterprise": contact.enterprise_id}).json()
    assert [r["id"] for r in filtered["results"]] == [contact.pk]


def test_create_through_the_api(county_dispatcher: Any) -> None:
    payload = {
        "name": "新疆胡杨物流有限公司",
        "credit_code": "9135 0100 m000100y43",
        "industry_section": "G",
        "industry_division": "54",
        "scale": "medium",
        "ownership": "private",
        "registered_unit": unit("六工镇").pk,
    }
    response = _client(county_dispatcher).post(reverse("api:enterprise-list"), payload, format="json")
    assert response.status_code == 201
    assert response.json()["credit_code"] == "91350100M000100Y43"
    assert response.json()["primary_contact"] is None
    assert AuditEvent.objects.get().action == AuditAction.CREATE


def test_create_errors_are_structured(county_dispatcher: Any) -> None:
    client = _client(county_dispatcher)
    base = {
        "name": "某公司",
        "industry_section": "C",
        "scale": "small",
        "ownership": "private",
        "registered_unit": unit("昌吉市").pk,
    }
    response = client.post(
        reverse("api:enterprise-list"), {**base, "credit_code": "91350100M000100Y44"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "输入有误",
        "fields": {"credit_code": ["第18位校验码应为 3"]},
    }
    response = client.post(
        reverse("api:enterprise-list"),
        {**base, "credit_code": "91350100M000100Y43", "registered_unit": unit("玛纳斯县").pk},
        format="json",
    )
    assert response.json() == {
        "code": "invalid",
        "detail": "输入有误",
        "fields": {"registered_unit": ["属地单位不在您的数据范围内"]},
    }
    assert not Enterprise.objects.exists()


def test_partial_update_is_audited(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory(name="旧名有限公司")
    response = _client(county_dispatcher).patch(
        reverse("api:enterprise-detail", args=[enterprise.pk]), {"name": "新名有限公司"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "新名有限公司"
    assert AuditEvent.objects.get().changes == {"name": ["旧名有限公司", "新名有限公司"]}


def test_write_needs_the_capability(county_handler: Any) -> None:
    enterprise = EnterpriseFactory()
    response = _client(county_handler).patch(
        reverse("api:enterprise-detail", args=[enterprise.pk]), {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "无权执行此操作"}


def test_another_county_gets_404(other_county_dispatcher: Any) -> None:
    contact = ContactFactory()
    client = _client(other_county_dispatcher)
    response = client.get(reverse("api:enterprise-detail", args=[contact.enterprise_id]))
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "detail": "未找到，或无权访问"},
    )
    assert client.get(reverse("api:contact-detail", args=[contact.pk])).status_code == 404
    assert (
        client.patch(
            reverse("api:enterprise-detail", args=[contact.enterprise_id]), {"name": "x"}, format="json"
        ).status_code
        == 404
    )
    assert client.get(reverse("api:enterprise-list")).json()["count"] == 0


def test_schema_documents_the_enterprise_endpoints(county_dispatcher: Any) -> None:
    response = _client(county_dispatcher).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/enterprises/"]) == {"get", "post"}
    assert set(paths["/api/v1/enterprises/{id}/"]) == {"get", "put", "patch"}
    assert set(paths["/api/v1/contacts/{id}/"]) == {"get"}
    import_op = paths["/api/v1/enterprises/import/"]["post"]
    assert "multipart/form-data" in import_op["requestBody"]["content"]
    assert {"200", "400", "403"} <= set(import_op["responses"])
    create_400 = paths["/api/v1/enterprises/"]["post"]["responses"]["400"]
    assert create_400["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    contact_schema = response.json()["components"]["schemas"]["Contact"]["properties"]
    assert "mobile" not in contact_schema and "mobile_masked" in contact_schema
