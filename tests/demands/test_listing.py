"""The API list's rows built from plain values (demands.listing) are exactly what DemandListSerializer
renders: same keys in the same order, same values, for every party and state."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.demands import listing
from qinqing.demands.api import API_RELATED, DemandListSerializer
from qinqing.demands.models import Demand
from tests.demands.conftest import Clock, People, act, at, submit
from tests.factories import unit


def serialized(ids: list[int], user: Any) -> list[dict[str, Any]]:
    objs = Demand.objects.select_related(*API_RELATED).in_bulk(ids)
    data = DemandListSerializer(
        [objs[i] for i in ids], many=True, context={"request": SimpleNamespace(user=user)}
    ).data
    return [dict(row) for row in data]


def test_rows_match_the_serializer(people: People, flow: Callable[..., Demand], clock: Clock) -> None:
    flow("submitted")
    flow("rejected")
    flow("handling", assist=[unit("昌吉市住房和城乡建设局")])
    flow("suspended")
    flow("closed")
    hidden = flow("accepted", hide_below_tier=2)
    act(people.office, hidden, "dispatch", lead_unit=unit("榆树沟镇"))
    submit(people, by=people.office, enterprise=people.enterprise, channel="12345", external_ref="12345-A1")
    users = [people.office, people.pref, people.town_head, people.ent, people.lead_head, people.other]
    seen = 0
    lights: set[str] = set()
    for when in (at(2026, 11, 23, 15), at(2026, 12, 1), at(2027, 2, 1)):  # green/yellow, then red lights
        clock.set(when)
        for user in users:
            ids = list(
                Demand.objects.visible_to(user).order_by("-created_at", "-id").values_list("pk", flat=True)
            )
            expected = serialized(ids, user)
            got = listing.rows(ids, user)
            assert got == expected
            assert [list(r) for r in got] == [list(r) for r in expected]  # the keys' order too
            seen += len(got)
            lights |= {r["light"] for r in got}
    assert seen == 3 * (7 + 7 + 1 + 7 + 3 + 0)
    town = listing.rows([hidden.pk], people.town_head)[0]
    assert (town["enterprise"], town["enterprise_name"], town["contact_phone"]) == (
        None,
        "（企业身份已隐藏）",
        "（企业身份已隐藏）",
    )
    assert lights == {"green", "yellow", "red", "none"}


def test_api_list_answers_the_rows(people: People, flow: Callable[..., Demand]) -> None:
    flow("handling")
    flow("submitted")
    c = APIClient()
    c.force_authenticate(people.office)
    body = c.get(reverse("api:demand-list")).json()
    ids = [r["id"] for r in body["results"]]
    assert len(ids) == 2
    assert body["results"] == json.loads(json.dumps(serialized(ids, people.office), ensure_ascii=False))


def test_broad_and_narrow_unit_filters_agree(
    people: People, flow: Callable[..., Demand], monkeypatch: Any
) -> None:
    """A large subtree is filtered in one pass, a small one by a union of three lookups: same rows."""
    from django.test import RequestFactory

    from qinqing.demands import filters

    flow("submitted")
    flow("rejected")
    flow("handling", assist=[unit("昌吉市住房和城乡建设局")])
    flow("closed")
    towns = flow("accepted")
    act(people.office, towns, "dispatch", lead_unit=unit("榆树沟镇"))

    def ids(unit_name: str, broad: bool, **params: Any) -> tuple[list[int], str]:
        monkeypatch.setattr(filters, "BROAD_SUBTREE", 1 if broad else 10**6)
        request = RequestFactory().get("/", {"unit": unit(unit_name).pk, **params})
        request.user = people.pref
        qs = filters.DemandFilter(
            request.GET, queryset=Demand.objects.visible_to(people.pref).order_by("-id"), request=request
        ).qs
        return list(qs.values_list("pk", flat=True)), str(qs.query)

    expected = {
        "昌吉回族自治州": 5,
        "昌吉市": 5,
        "昌吉市自然资源局": 2,
        "昌吉市住房和城乡建设局": 1,
        "榆树沟镇": 1,
        "玛纳斯县": 0,
    }
    for name, n in expected.items():
        one_pass, sql_broad = ids(name, True)
        union, sql_narrow = ids(name, False)
        assert one_pass == union and len(one_pass) == n, name
        assert "UNION" not in sql_broad and "UNION" in sql_narrow
    open_only = ids("昌吉市", True, status=["submitted", "dispatched", "handling"])[0]
    assert len(open_only) == 3
    assert open_only == ids("昌吉市", False, status=["submitted", "dispatched", "handling"])[0]
