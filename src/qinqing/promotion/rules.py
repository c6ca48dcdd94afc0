"""Pure rules: place classes, allowances by the year's standards, 公务接待 limits, lights."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from qinqing.promotion.models import ZERO, PlaceClass, YearStandard

PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省",
    "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省",
    "青海省", "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区", "台湾省",
)  # fmt: skip
PROVINCE_CHOICES = [(p, p) for p in PROVINCES]
XQZ_PROVINCES = frozenset({"新疆维吾尔自治区", "青海省", "西藏自治区"})
CENT = Decimal("0.01")


def place_class(province: str) -> str:
    """新疆、青海、西藏 have the higher meal allowance; every other place is 'other'."""
    return PlaceClass.XQZ if province in XQZ_PROVINCES else PlaceClass.OTHER


def standard_for(year: int, configured: dict[int, YearStandard] | None = None) -> YearStandard:
    """The standards of YEAR: its row, else the latest earlier year's, else the official defaults."""
    rows = configured if configured is not None else {s.year: s for s in YearStandard.objects.all()}
    if year in rows:
        return rows[year]
    earlier = [y for y in rows if y < year]
    if earlier:
        return rows[max(earlier)]
    return YearStandard(year=year)


@dataclass(frozen=True)
class AllowanceLine:
    year: int
    place: str
    days: int
    people: int
    meal_rate: Decimal
    transport_rate: Decimal

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.days * self.people) * (self.meal_rate + self.transport_rate)).quantize(CENT)

    @property
    def place_label(self) -> str:
        return PlaceClass(self.place).label


def day_places(
    start: dt.date, end: dt.date, legs: Sequence[tuple[dt.date, str]], default_province: str
) -> list[tuple[dt.date, str]]:
    """Each day of [START, END] with the place class of the province the travellers were in that day.

    LEGS are (from_date, province): a leg lasts until the day before the next leg's date (the day of
    arrival counts for the new place), the first leg's province also covers days before it."""
    ordered = sorted(legs)
    out: list[tuple[dt.date, str]] = []
    day = start
    i = 0
    current = ordered[0][1] if ordered else default_province
    while day <= end:
        while i < len(ordered) and ordered[i][0] <= day:
            current = ordered[i][1]
            i += 1
        out.append((day, place_class(current)))
        day += dt.timedelta(days=1)
    return out


def allowance_lines(
    start: dt.date,
    end: dt.date,
    people: int,
    legs: Sequence[tuple[dt.date, str]],
    default_province: str,
    configured: dict[int, YearStandard] | None = None,
) -> list[AllowanceLine]:
    """Days × people × (meal + city transport), split by year and place class (rates per year and class)."""
    counts: Counter[tuple[int, str]] = Counter(
        (day.year, place) for day, place in day_places(start, end, legs, default_province)
    )
    lines: list[AllowanceLine] = []
    for (year, place), days in sorted(counts.items()):
        std = standard_for(year, configured)
        lines.append(AllowanceLine(year, place, days, people, std.meal(place), std.transport(place)))
    return lines


def allowance_total(lines: Sequence[AllowanceLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def reception_warnings(
    *,
    std: YearStandard,
    people: int,
    days: int,
    meal_yuan: Decimal,
    lodging_yuan: Decimal,
    lodging_nights: int,
    transport_yuan: Decimal,
) -> list[str]:
    """The 公务接待 limits a reception's costs exceed (the record is kept; the warning is shown)."""
    warnings: list[str] = []
    meal_cap = (std.reception_meal_yuan * people * days).quantize(CENT)
    if meal_yuan > meal_cap:
        warnings.append(
            f"用餐费 {meal_yuan} 元超过标准 {meal_cap} 元（{std.reception_meal_yuan} 元/人/天 × {people} 人 × {days} 天）"
        )
    lodging_cap = (std.reception_lodging_yuan * lodging_nights).quantize(CENT)
    if lodging_yuan > lodging_cap:
        warnings.append(
            f"住宿费 {lodging_yuan} 元超过标准 {lodging_cap} 元（{std.reception_lodging_yuan} 元/人/晚 × {lodging_nights} 人·晚）"
        )
    transport_cap = (std.reception_transport_yuan * days).quantize(CENT)
    if transport_yuan > transport_cap:
        warnings.append(
            f"交通费 {transport_yuan} 元超过标准 {transport_cap} 元（{std.reception_transport_yuan} 元/天 × {days} 天）"
        )
    return warnings


@dataclass(frozen=True)
class Light:
    code: str  # green / yellow / red / none
    label: str


def year_elapsed_pct(year: int, today: dt.date) -> Decimal:
    """The share of YEAR gone by on TODAY, by month (as the investment targets): past years 100."""
    if year < today.year:
        return Decimal(100)
    if year > today.year:
        return ZERO
    return (Decimal(today.month) * 100 / 12).quantize(Decimal("0.1"))


def target_light(actual: Decimal | int, target: int, elapsed: Decimal) -> Light:
    """A '≥ target' figure: lag = time elapsed % − completion %; > 10 points yellow, > 30 red."""
    if not target:
        return Light("none", "未设目标")
    completion = Decimal(actual) * 100 / Decimal(target)
    lag = elapsed - completion
    if lag > 30:
        return Light("red", "红灯")
    if lag > 10:
        return Light("yellow", "黄灯")
    return Light("green", "绿灯")


def budget_light(spent: Decimal, budget: Decimal, warn_share: Decimal) -> Light:
    """The spending ceiling: red beyond the budget, yellow from WARN_SHARE % of it, green below."""
    if not budget:
        return Light("none", "未设预算")
    if spent > budget:
        return Light("red", "红灯")
    if spent * 100 >= budget * warn_share:
        return Light("yellow", "黄灯")
    return Light("green", "绿灯")
