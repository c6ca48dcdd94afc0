from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from tests.factories import unit

pytestmark = pytest.mark.django_db


def test_org_list_filters_by_parent_and_kind(api_client: APIClient, county_dispatcher: User) -> None:
    api_client.force_login(county_dispatcher)
    changji = unit("昌吉回族自治州")
    response = api_client.get("/api/v1/orgs/", {"parent": changji.pk, "kind": "county", "page_size": 100})
    assert response.status_code == 200
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["昌吉市", "阜康市", "呼图壁县", "玛纳斯县", "奇台县", "吉木萨尔县", "木垒哈萨克自治县"]
    first = response.json()["results"][0]
    assert first["division_code"] == "652301"
    assert first["kind_display"] == "县市区"
    assert first["parent"] == changji.pk
    parks = api_client.get("/api/v1/orgs/", {"parent": changji.pk, "kind": "park"}).json()["results"]
    assert [p["name"] for p in parks] == ["准东经济技术开发区", "昌吉国家高新技术产业开发区"]


def test_org_root_and_within(api_client: APIClient, county_dispatcher: User) -> None:
    api_client.force_login(county_dispatcher)
    roots = api_client.get("/api/v1/orgs/", {"root": "true"}).json()["results"]
    assert [r["name"] for r in roots] == ["新疆维吾尔自治区"]
    within = api_client.get("/api/v1/orgs/", {"within": unit("昌吉市").pk, "page_size": 100}).json()
    assert within["count"] == 13  # the county, its lead office, 7 departments, 4 townships


def test_org_list_query_count_is_constant(
    api_client: APIClient, county_dispatcher: User, django_assert_num_queries: Any
) -> None:
    api_client.force_login(county_dispatcher)
    api_client.get("/api/v1/orgs/")  # first request stamps the idle clock in the session
    # session, user, count, page of units — whatever the page size
    with django_assert_num_queries(4):
        small = api_client.get("/api/v1/orgs/", {"page_size": 5})
    with django_assert_num_queries(4):
        large = api_client.get("/api/v1/orgs/", {"page_size": 200})
    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) == 200


def test_orgs_require_authentication(api_client: APIClient, tree: None) -> None:
    response = api_client.get("/api/v1/orgs/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"code", "detail"}


def test_bad_filter_gives_field_errors(api_client: APIClient, county_dispatcher: User) -> None:
    api_client.force_login(county_dispatcher)
    response = api_client.get("/api/v1/orgs/", {"kind": "planet"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "kind" in body["fields"]
