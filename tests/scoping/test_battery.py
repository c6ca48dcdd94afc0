"""The scoping battery: every scoped model × role × page/API, in and out of scope.

In scope: a row attached to 昌吉市 (and to an enterprise registered there). Out of scope: a row attached to
玛纳斯县 (and its enterprise). A 昌吉市 staff user sees the first and gets 404 for the second, by queryset,
page and API; a prefecture user sees both; the enterprise's own user sees only its own row.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from qinqing.core.scoping import scoped_models
from tests.factories import EnterpriseFactory, make_user, unit
from tests.scoping.registry import EXEMPT, PROVED, REGISTRY

LABELS = sorted(REGISTRY)
WITH_PAGE = [label for label in LABELS if REGISTRY[label].page_url]
WITH_API = [label for label in LABELS if REGISTRY[label].api_url]


def test_every_scoped_model_is_in_the_battery() -> None:
    declared = {m._meta.label_lower for m in scoped_models()}
    assert declared - set(REGISTRY) - set(EXEMPT) == set(), (
        "register a ScopedCase in tests/scoping/registry.py"
    )
    assert set(REGISTRY) - declared == set()


@pytest.fixture
def rows(tree: None) -> dict[str, Any]:
    inside_ent = EnterpriseFactory(registered_unit=unit("昌吉市"), name="域内企业有限公司")
    outside_ent = EnterpriseFactory(registered_unit=unit("玛纳斯县"), name="域外企业有限公司")
    return {"inside_ent": inside_ent, "outside_ent": outside_ent}


def _objects(label: str, rows: dict[str, Any]) -> tuple[Any, Any]:
    case = REGISTRY[label]
    inside = case.make(unit("昌吉市"), rows["inside_ent"])
    outside = case.make(unit("玛纳斯县"), rows["outside_ent"])
    return inside, outside


def _actors(label: str, rows: dict[str, Any]) -> dict[str, Any]:
    case = REGISTRY[label]
    role = case.staff_roles[0]
    actors = {
        "county": make_user(f"county_{role}", unit_name="昌吉市营商环境服务中心", roles=[role]),
        "county_unit": make_user(f"unit_{role}", unit_name="昌吉市", roles=[role]),
        "prefecture": make_user(f"pref_{role}", unit_name="昌吉州营商环境服务中心", roles=[role]),
    }
    if case.enterprise_visible:
        actors["enterprise"] = make_user("ent_user", enterprise=rows["inside_ent"], roles=["enterprise"])
    return actors


@pytest.mark.parametrize("label", LABELS)
def test_queryset_scope(label: str, rows: dict[str, Any]) -> None:
    inside, outside = _objects(label, rows)
    model = type(inside)
    actors = _actors(label, rows)
    for name in ("county", "county_unit"):
        visible = set(model.objects.visible_to(actors[name]).values_list("pk", flat=True))
        assert inside.pk in visible, name
        assert outside.pk not in visible, name
    visible = set(model.objects.visible_to(actors["prefecture"]).values_list("pk", flat=True))
    assert {inside.pk, outside.pk} <= visible
    other_pref = make_user(
        "urumqi_x", unit_name="乌鲁木齐市招商服务局", roles=[REGISTRY[label].staff_roles[0]]
    )
    visible = set(model.objects.visible_to(other_pref).values_list("pk", flat=True))
    assert not ({inside.pk, outside.pk} & visible)
    if "enterprise" in actors:
        visible = set(model.objects.visible_to(actors["enterprise"]).values_list("pk", flat=True))
        assert inside.pk in visible
        assert outside.pk not in visible
    # object (in, out) × actor (county, county unit, prefecture, other prefecture[, enterprise]) × read
    PROVED["queryset"] += 2 * (4 + ("enterprise" in actors))


def _status_pairs(label: str, rows: dict[str, Any], kind: str) -> list[tuple[str, int, int]]:
    case = REGISTRY[label]
    url_of = case.page_url if kind == "page" else case.api_url
    assert url_of is not None
    inside, outside = _objects(label, rows)
    results = []
    for name, actor in _actors(label, rows).items():
        if name == "enterprise" and not getattr(case, f"enterprise_{kind}", True):
            continue
        client = Client() if kind == "page" else APIClient()
        client.force_login(actor)
        results.append(
            (name, client.get(url_of(inside)).status_code, client.get(url_of(outside)).status_code)
        )
    return results


@pytest.mark.parametrize("label", WITH_PAGE)
def test_page_scope(label: str, rows: dict[str, Any]) -> None:
    for name, inside_status, outside_status in _status_pairs(label, rows, "page"):
        expected_outside = 200 if name == "prefecture" else 404
        assert (name, inside_status, outside_status) == (name, 200, expected_outside)
        PROVED["page"] += 2


@pytest.mark.parametrize("label", WITH_API)
def test_api_scope(label: str, rows: dict[str, Any]) -> None:
    for name, inside_status, outside_status in _status_pairs(label, rows, "api"):
        expected_outside = 200 if name == "prefecture" else 404
        assert (name, inside_status, outside_status) == (name, 200, expected_outside)
        PROVED["api"] += 2
