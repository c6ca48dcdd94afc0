"""Breakdowns, top terms, repeated problems and the dashboard: exact values, agreement with the
statistics page, drill-down, API and query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.analysis import queries
from qinqing.demands.stats import compute
from tests.factories import unit
from tests.liaison.conftest import Cast, category

D = dt.date


NOV = (D(2026, 11, 1), D(2026, 11, 30))


def test_breakdowns_with_previous_period(cast: Cast, data: dict[str, Any]) -> None:
    changji = unit("昌吉市")
    cats = queries.breakdown(cast.pref, changji, *NOV, "category")
    assert [(s.label, s.count, s.previous, s.change, s.share) for s in cats] == [
        ("要素保障", 4, 1, 300.0, 100.0),
    ]
    scales = queries.breakdown(cast.pref, changji, *NOV, "scale")
    assert [(s.label, s.count) for s in scales] == [("小型", 3), ("大型", 1)]
    assert [(s.label, s.count) for s in queries.breakdown(cast.pref, changji, *NOV, "ownership")] == [
        ("民营", 3),
        ("国有", 1),
    ]
    assert [(s.key, s.count) for s in queries.breakdown(cast.pref, changji, *NOV, "industry")] == [
        ("C", 3),
        ("D", 1),
    ]
    assert [(s.label, s.count) for s in queries.breakdown(cast.pref, changji, *NOV, "type")] == [("求助", 4)]
    assert [(s.label, s.count) for s in queries.breakdown(cast.pref, changji, *NOV, "channel")] == [
        ("企业自主提交", 4)
    ]
    months = queries.breakdown(cast.pref, changji, D(2026, 10, 1), D(2026, 11, 30), "month")
    assert [(s.key, s.count, s.closed) for s in months] == [("2026-10", 1, 0), ("2026-11", 4, 2)]
    units = queries.breakdown(cast.pref, changji, *NOV, "unit")
    assert [(s.label, s.count) for s in units] == [("昌吉市营商中心", 4), ("昌吉市自然资源局", 3)]
    prefecture = queries.breakdown(cast.pref, unit("昌吉回族自治州"), *NOV, "unit")
    assert [(s.label, s.count) for s in prefecture] == [("昌吉市", 4), ("玛纳斯县", 1)]


def test_dashboard_breakdowns_match_each_breakdown(cast: Cast, data: dict[str, Any]) -> None:
    """On PostgreSQL the dashboard takes all breakdowns in one GROUPING SETS scan: the same figures."""
    from django.utils import timezone

    now = timezone.now()
    for who, where, period in (
        (cast.pref, unit("昌吉回族自治州"), NOV),
        (cast.office, unit("昌吉市"), (D(2026, 10, 1), D(2026, 11, 30))),
    ):
        together = queries.dashboard_breakdowns(who, where, *period, now)
        for key in queries.DASHBOARD_DIMENSIONS:
            one = queries.breakdown(who, where, *period, key, now)
            assert [s.as_json() for s in together[key]] == [s.as_json() for s in one], key


def test_previous_period_rules() -> None:
    assert queries.previous_period(D(2026, 3, 1), D(2026, 3, 31)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert queries.previous_period(D(2026, 1, 1), D(2026, 12, 31)) == (D(2025, 1, 1), D(2025, 12, 31))
    assert queries.previous_period(D(2026, 3, 10), D(2026, 3, 19)) == (D(2026, 2, 28), D(2026, 3, 9))


def test_top_terms_with_trend_and_by_category(cast: Cast, data: dict[str, Any]) -> None:
    trends = queries.top_terms(cast.pref, unit("昌吉市"), *NOV, limit=5)
    # Document frequency in November (a term counts once per demand), October's count as the trend base.
    assert [(t.term, t.count, t.previous, t.arrow) for t in trends] == [
        ("用地指标", 2, 1, "↑"),
        ("融资难", 2, 0, "↑"),
        ("小微", 1, 0, "↑"),
        ("扩建", 1, 0, "↑"),
        ("批复", 1, 0, "↑"),
    ]
    by_cat = dict(queries.top_terms_by_category(cast.pref, unit("昌吉市"), *NOV))
    assert [t.term for t in by_cat["要素保障"]][:1] == ["用地指标"]


def test_repeated_problems_and_many_open(cast: Cast, data: dict[str, Any]) -> None:
    repeated = list(queries.repeated_problems(cast.pref, unit("昌吉市"), *NOV))
    # cast.ent raised 用地 on 10-12 and again on 11-02 (d1); d4 is another enterprise.
    assert [d.pk for d in repeated] == [data["d1"].pk]
    assert queries.enterprises_with_open_demands(cast.pref, unit("昌吉市"), minimum=2) == [
        {"enterprise_id": cast.ent.pk, "enterprise": "昌吉市示范制造有限公司", "open": 2}
    ]


def test_dashboard_agrees_with_the_statistics_page(cast: Cast, data: dict[str, Any]) -> None:
    board = queries.dashboard(cast.pref, unit("昌吉回族自治州"), *NOV)
    stats = compute(cast.pref, unit("昌吉回族自治州"), *NOV)
    assert board.stats.as_json() == stats.as_json()
    assert board.stats.total["submitted"] == sum(s.count for s in board.categories) == 5
    assert [u.name for u, _ in board.red_list] == [u.name for u, _ in stats.ranking][:5]
    payload = board.as_json()
    assert payload["total"] == stats.as_json()["total"]
    assert payload["coverage"]["enterprises"] == 5


def test_dashboard_page_drill_down_and_query_counts(
    cast: Cast, data: dict[str, Any], django_assert_num_queries: Any
) -> None:
    c = Client()
    c.force_login(cast.office)
    query = f"unit={unit('昌吉市').pk}&start=2026-11-01&end=2026-11-30"
    r = c.get(f"{reverse('analysis:dashboard')}?{query}")
    body = r.content.decode()
    assert r.status_code == 200 and "县级领导驾驶舱" in body and 'data-metric="submitted">4<' in body
    assert "chart-data" in body
    url = f"{reverse('analysis:drill')}?{query}&dimension=category&key={category('用地').parent_id}"
    c.get(url)
    # session, the user with unit, scope unit and roles, the unit filter's choice, the subtree's ids,
    # count, the filter's options, rows
    with django_assert_num_queries(7):
        r = c.get(url)
    assert r.content.decode().count("/demands/") >= 4
    r = c.get(f"{reverse('analysis:drill')}?{query}&dimension=scale&key=large")
    assert "电力增容慢" in r.content.decode() and "融资难" not in r.content.decode().split("data-testid")[-1]
    r = c.get(f"{reverse('analysis:drill')}?{query}&dimension=term&key=用地指标")
    assert r.content.decode().count("用地指标") >= 2
    bad = c.get(f"{reverse('analysis:dashboard')}?start=2026-11-30&end=2026-11-01")
    assert "结束日期不能早于开始日期" in bad.content.decode()
    for name in ("terms", "repeated", "reports"):
        assert c.get(f"{reverse(f'analysis:{name}')}?{query}").status_code == 200


def test_api_figures_and_errors(cast: Cast, data: dict[str, Any]) -> None:
    api = APIClient()
    api.force_authenticate(cast.office)
    base = "/api/v1/analysis/"
    r = api.get(f"{base}dashboard/?start=2026-11-01&end=2026-11-30")
    assert r.status_code == 200 and r.json()["total"]["submitted"] == 4
    r = api.get(f"{base}breakdown/?dimension=scale&start=2026-11-01&end=2026-11-30")
    assert [(x["label"], x["count"]) for x in r.json()] == [("小型", 3), ("大型", 1)]
    r = api.get(f"{base}breakdown/?dimension=colour")
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "dimension" in r.json()["fields"]
    r = api.get(f"{base}top-terms/?start=2026-11-01&end=2026-11-30&limit=1")
    assert r.json() == [{"term": "用地指标", "count": 2, "previous": 1, "trend": "↑"}]
    r = api.get(f"{base}dashboard/?unit={unit('玛纳斯县').pk}")
    assert r.status_code == 400
    schema = Client().get("/api/schema/").content.decode()
    for path in (
        "/api/v1/analysis/dashboard/",
        "/api/v1/analysis/top-terms/",
        "/api/v1/liaison/ledger/",
        "/api/v1/liaison/visits/",
        "/api/v1/liaison/proposals/{id}/decide/",
        "/api/v1/analysis/merge/",
    ):
        assert path in schema
