"""The REST API: list with filters and query counts, detail, idempotent 12345 intake, events, actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.demands.models import Demand, Status
from tests.demands.conftest import People, category
from tests.factories import unit


def client_for(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def payload(**kw: Any) -> dict[str, Any]:
    return {
        "category": category().pk,
        "demand_type": "help",
        "title": "用电扩容",
        "description": "新生产线需要扩容 2000kVA",
        "contact_name": "王五",
        "contact_phone": "13900001111",
        **kw,
    }


def test_12345_intake_is_idempotent(people: People) -> None:
    c = client_for(people.office)
    url = reverse("api:demand-list")
    body = payload(channel="12345", enterprise=people.enterprise.pk, external_ref="12345-2026-000001")
    first = c.post(url, body, format="json")
    assert first.status_code == 201, first.json()
    again = c.post(url, body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert Demand.objects.filter(external_ref="12345-2026-000001").count() == 1
    assert first.json()["contact_phone"] == "139****1111"


def test_create_errors_are_structured(people: People) -> None:
    c = client_for(people.ent)
    r = c.post(reverse("api:demand-list"), payload(title="", description="x" * 4001), format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and body["detail"] == "输入有误"
    assert "title" in body["fields"]
    r = c.post(reverse("api:demand-list"), payload(description="x" * 4001), format="json")
    assert r.json()["fields"] == {"description": ["诉求内容不能超过4000个字（现为4001个字）"]}
    assert Demand.objects.count() == 0


def test_actions_through_the_api(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("submitted")
    office = client_for(people.office)
    url = reverse("api:demand-action", args=[d.pk, "accept"])
    r = office.post(url, {"version": d.version}, format="json")
    assert r.status_code == 200 and r.json()["status"] == Status.ACCEPTED
    stale = office.post(url, {"version": d.version}, format="json")
    assert stale.status_code == 409
    assert stale.json() == {"code": "stale", "detail": "该诉求已被他人处理，请刷新后重试"}
    d.refresh_from_db()
    r = office.post(
        reverse("api:demand-action", args=[d.pk, "dispatch"]), {"version": d.version}, format="json"
    )
    assert r.status_code == 400 and r.json()["fields"] == {"lead_unit": ["此字段为必填项。"]}
    lead = unit("昌吉市自然资源局").pk
    r = office.post(
        reverse("api:demand-action", args=[d.pk, "dispatch"]),
        {"version": d.version, "lead_unit": lead},
        format="json",
    )
    assert r.status_code == 200 and r.json()["lead_unit_name"] == "昌吉市自然资源局"
    d.refresh_from_db()
    r = client_for(people.handler).post(
        reverse("api:demand-action", args=[d.pk, "sign"]), {"version": d.version}, format="json"
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = office.post(
        reverse("api:demand-action", args=[d.pk, "accept"]), {"version": d.version}, format="json"
    )
    assert r.status_code == 409 and r.json() == {
        "code": "invalid_state",
        "detail": "诉求当前状态为“待签收”，不能受理",
    }


def test_out_of_scope_is_404(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("dispatched")
    other = client_for(people.other)
    assert other.get(reverse("api:demand-detail", args=[d.pk])).status_code == 404
    r = other.post(reverse("api:demand-action", args=[d.pk, "sign"]), {"version": d.version}, format="json")
    assert r.status_code == 404


def test_enterprise_sees_only_public_events(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("handling")
    r = client_for(people.ent).get(reverse("api:demand-events", args=[d.pk]))
    assert [e["action"] for e in r.json()] == ["submit", "accept", "dispatch", "sign"]
    r = client_for(people.office).get(reverse("api:demand-events", args=[d.pk]))
    assert [e["action"] for e in r.json()] == ["submit", "accept", "dispatch", "sign", "assign"]


def test_hidden_identity_below_the_chosen_level(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("accepted", hide_below_tier=2)
    from tests.demands.conftest import act

    act(people.office, d, "dispatch", lead_unit=unit("榆树沟镇"))
    town = client_for(people.town_head).get(reverse("api:demand-detail", args=[d.pk])).json()
    assert (town["enterprise"], town["enterprise_name"], town["contact_phone"]) == (
        None,
        "（企业身份已隐藏）",
        "（企业身份已隐藏）",
    )
    county = client_for(people.office).get(reverse("api:demand-detail", args=[d.pk])).json()
    assert county["enterprise_name"] == "昌吉市示范制造有限公司"
    found = client_for(people.town_head).get(reverse("api:demand-list"), {"q": "示范制造"}).json()
    assert found["count"] == 0


def test_list_filters_and_query_count(
    people: People, flow: Callable[..., Demand], django_assert_num_queries: Any
) -> None:
    for state in ("submitted", "accepted", "handling", "closed"):
        flow(state)
    flow("submitted", demand_type="consult", category=category("用电"))
    c = client_for(people.office)
    url = reverse("api:demand-list")
    assert c.get(url, {"status": "submitted"}).json()["count"] == 2
    assert c.get(url, {"demand_type": "consult"}).json()["count"] == 1
    parent = category("用电").parent
    assert parent is not None
    assert c.get(url, {"category": parent.pk}).json()["count"] == 5
    assert c.get(url, {"unit": unit("昌吉市自然资源局").pk}).json()["count"] == 2
    # One page of ids, the count (up to 10,001 rows), the page's rows with their relations: independent
    # of the row count.
    with django_assert_num_queries(3):
        r = c.get(url)
    assert r.json()["count"] == 5


def test_unit_filter_inside_the_scope_replaces_the_scope_test(
    people: People, flow: Callable[..., Demand]
) -> None:
    """A unit of the user's subtree already confines the list to the scope: the list runs the unit
    lookups without the scope's subqueries and answers the same rows; a unit outside it is refused."""
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from qinqing.demands.filters import DemandFilter

    for state in ("submitted", "accepted", "handling", "closed"):
        flow(state)
    nr = unit("昌吉市自然资源局")
    c = client_for(people.office)
    url = reverse("api:demand-list")
    with CaptureQueriesContext(connection) as ctx:
        body = c.get(url, {"unit": nr.pk}).json()
    request = RequestFactory().get(url, {"unit": nr.pk})
    request.user = people.office
    scoped = Demand.objects.visible_to(people.office).order_by("-created_at", "-id")
    expected = list(
        DemandFilter(request.GET, queryset=scoped, request=request).qs.values_list("pk", flat=True)
    )
    assert len(expected) == 2
    assert [row["id"] for row in body["results"]] == expected
    assert body["count"] == 2
    assert not [q for q in ctx.captured_queries if '"transferred_from_id" IN (SELECT' in q["sql"]]
    unfiltered = " ".join(q["sql"] for q in _queries(c, url, {}))
    assert '"transferred_from_id" IN (SELECT' in unfiltered  # without a unit the scope test stays
    outside = c.get(url, {"unit": unit("呼图壁县").pk})
    assert outside.status_code == 400
    assert "unit" in outside.json()["fields"]


def _queries(c: APIClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url, params).status_code == 200
    return list(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/api/schema/"])
def test_schema_lists_demand_endpoints(people: People, path: str) -> None:
    c = client_for(people.office)
    text = c.get(path).content.decode()
    for fragment in (
        "/api/v1/demands/",
        "/api/v1/demands/{id}/events/",
        "/api/v1/demands/{id}/actions/",
        "/api/v1/demand-stats/",
    ):
        assert fragment in text


def test_api_count_is_capped_and_every_page_reachable(
    people: People, flow: Callable[..., Demand], monkeypatch: pytest.MonkeyPatch
) -> None:
    from qinqing.core.api import Pagination

    for _ in range(5):
        flow("submitted")
    c = client_for(people.office)
    url = reverse("api:demand-list")
    body = c.get(url, {"page_size": 2}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (5, False, 2)
    monkeypatch.setattr(Pagination, "count_cap", 3)
    body = c.get(url, {"page_size": 2}).json()
    assert (body["count"], body["count_capped"]) == (3, True)
    assert body["previous"] is None and body["next"].endswith("page=2&page_size=2")
    last = c.get(url, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert last["previous"].endswith("page=2&page_size=2")
    numbers = [
        r["number"] for p in (1, 2, 3) for r in c.get(url, {"page_size": 2, "page": p}).json()["results"]
    ]
    assert numbers == list(Demand.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    for page in ("4", "0", "x"):
        r = c.get(url, {"page_size": 2, "page": page})
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    schema = c.get("/api/schema/", {"format": "json"}).json()
    paginated = schema["components"]["schemas"]["PaginatedDemandListList"]
    assert paginated["properties"]["count_capped"]["type"] == "boolean"
