"""Public pages and API: no login, no cookie, nothing unpublished or internal ever reaches them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qinqing.portal import public_urls
from qinqing.portal.models import Inquiry
from tests.portal.conftest import SECRET_INVESTOR, SECRET_LEADER, SECRET_NEGOTIATION, UNPUBLISHED_PROJECT

pytestmark = pytest.mark.django_db

INTERNAL = [
    SECRET_INVESTOR,
    SECRET_LEADER,
    SECRET_NEGOTIATION,
    UNPUBLISHED_PROJECT,
    "草稿政策不应公开",
    "investor_name",
    "responsible_leader",
    "publish_comment",
    "investor_credit_code",
    "contract_amount",
    "negotiation",
    "13800000000",
    "created_by",
]


def public_urls_for(site: dict[str, Any], token: str) -> list[str]:
    p, pol, park, news = site["project"].pk, site["policy"].pk, site["park"].pk, site["news"].pk
    pages = [
        "",
        "profile/",
        "parks/",
        f"parks/{park}/",
        "clusters/",
        "policies/",
        f"policies/{pol}/",
        "policies/?q=制造业",
        "match/?industry=C&investment_wan=20000&jobs=200",
        "projects/",
        f"projects/{p}/",
        "news/",
        f"news/{news}/",
        f"inquiry/?project={p}",
        f"track/{token}/",
    ]
    urls = [f"/portal/{x}" for x in pages] + [f"/portal/en/{x}" for x in pages]
    api = [
        "profile/",
        "parks/",
        f"parks/{park}/",
        "clusters/",
        "policies/",
        f"policies/{pol}/",
        "projects/",
        f"projects/{p}/",
        "news/",
        f"news/{news}/",
        f"inquiries/{token}/",
    ]
    return urls + [f"/api/public/v1/{x}" for x in api]


def test_every_public_endpoint_hides_internal_fields_and_unpublished_objects(site: dict[str, Any]) -> None:
    client = Client()
    created = client.post(
        "/api/public/v1/inquiries/",
        data=json.dumps(
            {
                "project": site["project"].pk,
                "company": "某新材料公司",
                "contact": "王经理",
                "phone": "13800000000",
                "message": "希望了解项目用地和用电条件。",
                "consent": True,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201
    token = created.json()["token"]
    walked = public_urls_for(site, token)
    # the walk covers every public API route
    api_routes = {str(p.pattern) for p in public_urls.v1_patterns}
    assert len(api_routes) == 15  # the writes (inquiries, rating, sms-codes) answer no stored content
    for url in walked:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for word in INTERNAL:
            if (word == "13800000000" and "/track/" in url) or (
                word == "13800000000" and "inquiries/" in url
            ):
                assert word not in body, url  # the tracking page never repeats the phone either
            else:
                assert word not in body, (url, word)
        assert "set-cookie" not in {k.lower() for k in response.headers}, url
    policy_list = client.get("/api/public/v1/policies/").json()
    assert {r["title"] for r in policy_list["results"]} == {
        "支持制造业高质量发展的若干措施",
        "2020年招商引资奖励办法",
    }
    projects = client.get("/api/public/v1/projects/").json()
    assert [r["name"] for r in projects["results"]] == ["年产10万吨铝合金型材项目"]
    assert set(projects["results"][0]) == {
        "id",
        "name",
        "summary",
        "industry_section",
        "industry_section_name",
        "industry_division",
        "industry_division_name",
        "cluster_id",
        "cluster",
        "chain_id",
        "chain",
        "chain_role",
        "location_unit_id",
        "location",
        "planned_investment_wan",
        "size_band",
        "size_band_label",
        "construction",
        "expected_jobs",
        "contact_unit",
    }
    assert client.get(f"/portal/projects/{site['hidden'].pk}/").status_code == 404
    assert client.get(f"/api/public/v1/projects/{site['hidden'].pk}/").status_code == 404
    assert client.get(f"/portal/policies/{site['draft'].pk}/").status_code == 404
    assert Inquiry.objects.count() == 1


def test_pages_are_cached_with_etag_and_304(site: dict[str, Any]) -> None:
    client = Client()
    first = client.get("/portal/projects/")
    etag = first["ETag"]
    assert first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=60"
    again = client.get("/portal/projects/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert len(first.content) < 100_000


def test_english_version_and_language_switch(site: dict[str, Any]) -> None:
    client = Client()
    zh = client.get("/portal/profile/").content.decode()
    en = client.get("/portal/en/profile/").content.decode()
    assert "区位优势" in zh and "亚欧大陆中心" in zh
    assert "At the heart of Eurasia" in en and "City profile" in en
    assert 'href="/portal/en/profile/"' in zh
    assert 'href="/portal/profile/"' in en


def test_policy_search_filters_and_expired_marking(site: dict[str, Any]) -> None:
    client = Client()
    found = client.get("/api/public/v1/policies/?q=制造业").json()
    assert [r["title"] for r in found["results"]] == ["支持制造业高质量发展的若干措施"]
    expired = client.get("/api/public/v1/policies/?status=expired").json()
    assert [(r["title"], r["expired"]) for r in expired["results"]] == [("2020年招商引资奖励办法", True)]
    by_type = client.get("/api/public/v1/policies/?type=land").json()
    assert by_type["count"] == 1
    page = client.get("/portal/policies/").content.decode()
    assert "已失效" in page


def test_public_schema_holds_only_public_endpoints(site: dict[str, Any]) -> None:
    client = Client()
    doc = client.get("/api/public/schema/?format=json")
    assert doc.status_code == 200
    paths = set(json.loads(doc.content)["paths"])
    assert paths and all(p.startswith("/api/public/v1/") for p in paths)
    assert "/api/public/v1/policies/match/" in paths
    assert "/api/public/v1/inquiries/" in paths


def test_match_api(site: dict[str, Any]) -> None:
    client = Client()
    r = client.post(
        "/api/public/v1/policies/match/",
        data=json.dumps({"industry": "C", "investment_wan": "20000"}),
        content_type="application/json",
    ).json()
    assert [m["policy"]["title"] for m in r["results"]] == ["支持制造业高质量发展的若干措施"]
    assert r["results"][0]["reasons"] == ["行业属于：制造业", "计划投资不少于 10000 万元"]
    assert r["results"][0]["to_check"] == ["计划用工不少于 100 人", "在本市注册并纳税"]
    small = client.post(
        "/api/public/v1/policies/match/",
        data=json.dumps({"industry": "C", "investment_wan": "500"}),
        content_type="application/json",
    ).json()
    assert small["results"] == []
    assert reverse("public_api:schema") == "/api/public/schema/"
