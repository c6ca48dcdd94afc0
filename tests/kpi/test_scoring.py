"""Operators, the scoring rule of 财预〔2020〕10号, default points, projection and lights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from qinqing.core.metrics import Period
from qinqing.kpi import scoring
from qinqing.kpi.models import BudgetProject, Indicator

W = Decimal


def ind(op: str, target: str | None, points: str = "10", unit: str = "%", **kw: object) -> Indicator:
    return Indicator(
        level1=kw.pop("level1", "产出指标"),  # type: ignore[arg-type]
        level2="质量指标",
        name="x",
        operator=op,
        target_value=None if target is None else W(target),
        value_unit=unit,
        points=W(points),
        source=kw.pop("source", "manual"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_operator_semantics() -> None:
    assert scoring.is_met("ge", W(90), W(90)) is True
    assert scoring.is_met("ge", W("89.9"), W(90)) is False
    assert scoring.is_met("le", W(5), W(5)) is True
    assert scoring.is_met("le", W("5.01"), W(5)) is False
    assert scoring.is_met("eq", W(1000), W(1000)) is True
    assert scoring.is_met("eq", W(999), W(1000)) is False
    assert scoring.is_met("ge", None, W(1)) is None
    assert scoring.is_met("qual", W(1), W(1)) is None


def test_scores_full_when_met_proportional_otherwise() -> None:
    assert scoring.score(ind("ge", "90"), W(95)) == W("10.00")
    assert scoring.score(ind("ge", "90"), W(72)) == W("8.00")  # 72 ÷ 90
    assert scoring.score(ind("ge", "200", unit="个"), W(0)) == W("0.00")
    assert scoring.score(ind("le", "24", unit="小时"), W(12)) == W("10.00")
    assert scoring.score(ind("le", "24", unit="小时"), W(32)) == W("7.50")  # 24 ÷ 32
    assert scoring.score(ind("le", "5"), W(0)) == W("10.00")
    assert scoring.score(ind("eq", "1000", unit="套"), W(800)) == W("8.00")
    assert scoring.score(ind("eq", "1000", unit="套"), W(1250)) == W("8.00")  # 1000 ÷ 1250
    assert scoring.score(ind("ge", "90"), None) is None


def test_qualitative_judged_within_bands() -> None:
    q = ind("qual", None, source="judged")
    assert scoring.score(q, None) is None  # not judged yet
    q.judgement = "met"
    assert scoring.score(q, None) == W("10.00")
    q.judgement, q.judged_pct = "partly", W(65)
    assert scoring.score(q, None) == W("6.50")
    q.judgement, q.judged_pct = "not_met", None
    assert scoring.score(q, None) == W("3.00")
    q.judgement, q.judged_pct = "partly", W(85)
    with pytest.raises(ValidationError) as err:
        q.clean()
    assert "60%–80%" in str(err.value)
    q.judgement, q.judged_pct = "met", W(80)
    q.clean()


def test_execution_score_and_grade() -> None:
    assert scoring.execution_score(W("96.5")) == W("9.65")
    assert scoring.execution_score(W("104")) == W("10.00")
    assert scoring.execution_score(None) is None
    p = BudgetProject(funds_total_wan=W(30), executed_wan=W("28.5"))
    assert p.execution_rate == W("95.00")


def test_default_points_follow_the_weights() -> None:
    levels = ["产出指标"] * 3 + ["效益指标"] * 2 + ["满意度指标"]
    assert scoring.default_points(levels) == [W("16.67"), W("16.67"), W("16.66"), W(15), W(15), W(10)]
    # No satisfaction row (the printing project): its 10 points go to 产出.
    assert scoring.default_points(["产出指标", "产出指标", "效益指标"]) == [W(30), W(30), W(30)]
    assert sum(scoring.default_points(levels)) == W(90)


def test_projection_linear_for_counts_carried_for_rates() -> None:
    half = Period(dt.date(2026, 1, 1), dt.date(2026, 7, 2))  # 183 of 365 days
    assert scoring.projection(ind("ge", "450", unit="项"), W(183), half) == W("365.00")
    assert scoring.projection(ind("ge", "90", unit="%"), W("88.5"), half) == W("88.5")
    assert scoring.projection(ind("ge", "200", unit="个"), W(150), half) == W(150)
    stock = ind("ge", "450", unit="项", source="metric", metric="investment.projects")
    assert scoring.projection(stock, W(183), half) == W(183)  # projects in execution: a stock
    whole = Period.year(2026)
    assert scoring.projection(ind("ge", "450", unit="项"), W(300), whole) == W(300)
    assert scoring.projection(ind("ge", "450", unit="项"), None, half) is None


def test_lights() -> None:
    assert scoring.light(ind("ge", "90"), W(90)) == "green"
    assert scoring.light(ind("ge", "90"), W(81)) == "yellow"  # within 10 % of 90
    assert scoring.light(ind("ge", "90"), W("80.9")) == "red"
    assert scoring.light(ind("le", "24"), W("26.4")) == "yellow"
    assert scoring.light(ind("le", "24"), W("26.5")) == "red"
    assert scoring.light(ind("eq", "1000"), W(1000)) == "green"
    assert scoring.light(ind("eq", "1000"), W(1100)) == "yellow"
    assert scoring.light(ind("ge", "90"), None) == "none"


def test_to_date() -> None:
    assert scoring.to_date(2021, dt.date(2021, 3, 15)) == Period(dt.date(2021, 1, 1), dt.date(2021, 3, 15))
    assert scoring.to_date(2021, dt.date(2026, 3, 15)) == Period.year(2021)
    assert scoring.to_date(2027, dt.date(2026, 3, 15)) is None
