from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qinqing.accounts.models import User
from qinqing.investment import queries, rules, services
from qinqing.investment.models import InvestmentSettings, Project
from tests.factories import unit

W = Decimal
D = dt.date


def test_efficacy_scores_exact() -> None:
    scores = rules.efficacy_scores({1: W("50"), 2: W("100"), 3: W("75")}, W("25"))
    # 15 + 10 × (v − 50) ÷ 50
    assert scores == {1: W("15.00"), 2: W("25.00"), 3: W("20.00")}
    assert rules.efficacy_scores({1: W("3"), 2: W("3")}, W("25")) == {1: W("25.00"), 2: W("25.00")}
    assert rules.efficacy_scores({}, W("25")) == {}


def test_lights_boundaries(db: None) -> None:
    settings = InvestmentSettings.current()
    elapsed = rules.time_elapsed_pct(6)
    assert elapsed == W("50.0")
    assert rules.light(W("40.0"), elapsed, settings).code == "green"  # 10 points behind: still green
    assert rules.light(W("39.9"), elapsed, settings).code == "yellow"
    assert rules.light(W("20.0"), elapsed, settings).code == "yellow"  # exactly 30 behind
    assert rules.light(W("19.9"), elapsed, settings).code == "red"
    assert rules.light(None, elapsed, settings).code == "none"
    settings.light_yellow_points = W("5")
    assert rules.light(W("44"), elapsed, settings).code == "yellow"


def _targets(user: User, pairs: dict[tuple[str, str], str]) -> None:
    services.set_targets(user, year=2026, values={(unit(u).pk, ind): W(v) for (u, ind), v in pairs.items()})


def test_decomposition_says_by_how_much(reviewer: User) -> None:
    _targets(
        reviewer,
        {
            ("昌吉回族自治州", "outside_funds"): "500",
            ("昌吉市", "outside_funds"): "120",
            ("准东经济技术开发区", "outside_funds"): "300",
            ("昌吉回族自治州", "new_signings"): "40",
            ("昌吉市", "new_signings"): "40",
        },
    )
    result = {d.indicator: d for d in queries.decomposition(unit("昌吉回族自治州"), 2026)}
    assert result["outside_funds"].message == "分解合计比州级目标少 80 亿元"
    assert result["outside_funds"].difference == W("-80")
    assert result["new_signings"].message == "分解合计与州级目标一致"
    assert result["in_execution"].message == "州级目标未设定"
    _targets(reviewer, {("奇台县", "outside_funds"): "95.5"})
    result = {d.indicator: d for d in queries.decomposition(unit("昌吉回族自治州"), 2026)}
    assert result["outside_funds"].message == "分解合计比州级目标多 15.5 亿元"


def test_targets_set_at_prefecture_only_and_validated(
    reviewer: User, filer: User, county_dispatcher: User
) -> None:
    with pytest.raises(PermissionDenied):
        _targets(county_dispatcher, {("昌吉市", "new_signings"): "3"})
    with pytest.raises(PermissionDenied):
        _targets(filer, {("昌吉市", "new_signings"): "3"})
    with pytest.raises(ValidationError) as err:
        _targets(reviewer, {("昌吉市", "new_signings"): "2.5"})
    assert "项目个数应为整数" in str(err.value)


def test_progress_ranking_and_scores(
    reviewer: User, filer: User, manas_filer: User, make_project: Callable[..., Project]
) -> None:
    _targets(
        reviewer,
        {
            ("昌吉市", "outside_funds"): "1",
            ("玛纳斯县", "outside_funds"): "1",
            ("昌吉市", "new_signings"): "2",
            ("玛纳斯县", "new_signings"): "4",
        },
    )
    p = make_project(signed_on=D(2026, 2, 1))
    services.record_funds(filer, p, month=D(2026, 2, 1), amount_wan=W("9000"), outside_amount_wan=W("6000"))
    m = make_project(user=manas_filer, unit_name="玛纳斯县", signed_on=D(2026, 3, 1))
    services.record_funds(
        manas_filer, m, month=D(2026, 3, 1), amount_wan=W("3000"), outside_amount_wan=W("3000")
    )
    rows = {r["unit"]: r for r in queries.progress(unit("昌吉回族自治州"), 2026, 6)}
    cj, mn = rows["昌吉市"], rows["玛纳斯县"]
    assert cj["indicators"]["outside_funds"]["actual"] == W("0.6000")
    assert cj["indicators"]["outside_funds"]["completion_pct"] == W("60.0")
    assert cj["indicators"]["outside_funds"]["light"] == "green"
    assert mn["indicators"]["outside_funds"]["completion_pct"] == W("30.0")
    assert mn["indicators"]["outside_funds"]["light"] == "yellow"  # 20 points behind 50%
    assert mn["indicators"]["new_signings"]["completion_pct"] == W("25.0")
    assert mn["indicators"]["new_signings"]["light"] == "yellow"
    assert cj["indicators"]["new_signings"]["completion_pct"] == W("50.0")
    assert cj["score"] == W("50.00") and mn["score"] == W("30.00")
    assert (cj["rank"], mn["rank"]) == (1, 2)
    assert rows["奇台县"]["indicators"]["outside_funds"]["light"] == "none"
