"""Allowances by the year's standards and place classes; 公务接待 limits; lights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qinqing.promotion import rules
from qinqing.promotion.models import YearStandard


def test_place_classes() -> None:
    assert rules.place_class("新疆维吾尔自治区") == "xqz"
    assert rules.place_class("青海省") == "xqz"
    assert rules.place_class("西藏自治区") == "xqz"
    assert rules.place_class("浙江省") == "other"


def test_allowance_default_rates_one_place() -> None:
    # 3 people, 4 days in 浙江: 4 × 3 × (100 + 80) = 2160
    lines = rules.allowance_lines(dt.date(2026, 5, 1), dt.date(2026, 5, 4), 3, [], "浙江省", configured={})
    assert [(x.place, x.days, x.meal_rate, x.transport_rate, x.amount) for x in lines] == [
        ("other", 4, Decimal("100"), Decimal("80"), Decimal("2160.00"))
    ]


def test_allowance_crossing_place_classes_splits_by_days() -> None:
    # 5 days, 2 people: 2 days 青海 (xqz: 120+80), then 3 days 甘肃 (other: 100+80)
    legs = [(dt.date(2026, 6, 1), "青海省"), (dt.date(2026, 6, 3), "甘肃省")]
    lines = rules.allowance_lines(dt.date(2026, 6, 1), dt.date(2026, 6, 5), 2, legs, "甘肃省", configured={})
    assert [(x.place, x.days, x.amount) for x in lines] == [
        ("other", 3, Decimal("1080.00")),
        ("xqz", 2, Decimal("800.00")),
    ]
    assert rules.allowance_total(lines) == Decimal("1880.00")


def test_first_leg_covers_days_before_it_and_days_stay_whole() -> None:
    days = rules.day_places(
        dt.date(2026, 6, 1), dt.date(2026, 6, 4), [(dt.date(2026, 6, 3), "新疆维吾尔自治区")], "北京市"
    )
    # before the first leg the travellers count in that leg's province
    assert [p for _, p in days] == ["xqz", "xqz", "xqz", "xqz"]
    days = rules.day_places(
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 4),
        [(dt.date(2026, 6, 1), "北京市"), (dt.date(2026, 6, 3), "西藏自治区")],
        "北京市",
    )
    assert [p for _, p in days] == ["other", "other", "xqz", "xqz"]


@pytest.mark.django_db
def test_rates_per_year_across_new_year() -> None:
    YearStandard.objects.create(year=2026, meal_xqz_yuan=Decimal("120"), meal_other_yuan=Decimal("100"))
    YearStandard.objects.create(
        year=2027,
        meal_xqz_yuan=Decimal("130"),
        meal_other_yuan=Decimal("110"),
        transport_other_yuan=Decimal("90"),
    )
    configured = {s.year: s for s in YearStandard.objects.all()}
    lines = rules.allowance_lines(dt.date(2026, 12, 30), dt.date(2027, 1, 2), 1, [], "广东省", configured)
    assert [(x.year, x.days, x.amount) for x in lines] == [
        (2026, 2, Decimal("360.00")),
        (2027, 2, Decimal("400.00")),
    ]
    # a year without its own row uses the latest earlier one
    assert rules.standard_for(2029, configured).meal_other_yuan == Decimal("110")
    assert rules.standard_for(2020, configured).meal_other_yuan == Decimal("100")  # defaults


def test_reception_warnings_name_each_excess() -> None:
    std = YearStandard(
        year=2026,
        reception_meal_yuan=Decimal("150"),
        reception_lodging_yuan=Decimal("380"),
        reception_transport_yuan=Decimal("600"),
    )
    ok = rules.reception_warnings(
        std=std,
        people=4,
        days=2,
        meal_yuan=Decimal("1200"),
        lodging_yuan=Decimal("1520"),
        lodging_nights=4,
        transport_yuan=Decimal("1200"),
    )
    assert ok == []
    over = rules.reception_warnings(
        std=std,
        people=4,
        days=2,
        meal_yuan=Decimal("1200.01"),
        lodging_yuan=Decimal("1521"),
        lodging_nights=4,
        transport_yuan=Decimal("1200"),
    )
    assert over == [
        "用餐费 1200.01 元超过标准 1200.00 元（150 元/人/天 × 4 人 × 2 天）",
        "住宿费 1521 元超过标准 1520.00 元（380 元/人/晚 × 4 人·晚）",
    ]


def test_lights() -> None:
    elapsed = rules.year_elapsed_pct(2026, dt.date(2026, 6, 20))
    assert elapsed == Decimal("50.0")
    assert rules.target_light(160, 320, elapsed).code == "green"
    assert rules.target_light(100, 320, elapsed).code == "yellow"  # 31.25 % done, lag 18.75
    assert rules.target_light(50, 320, elapsed).code == "red"
    assert rules.target_light(5, 0, elapsed).code == "none"
    assert rules.year_elapsed_pct(2025, dt.date(2026, 6, 20)) == Decimal(100)
    assert rules.budget_light(Decimal("100"), Decimal("1000"), Decimal("90")).code == "green"
    assert rules.budget_light(Decimal("900"), Decimal("1000"), Decimal("90")).code == "yellow"
    assert rules.budget_light(Decimal("1000.01"), Decimal("1000"), Decimal("90")).code == "red"
