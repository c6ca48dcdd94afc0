from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from chinese_calendar.constants import holidays, workdays

from qinqing.calendar.models import CalendarDay, CalendarYear, DayKind
from qinqing.calendar.services import (
    CountResult,
    DeadlineResult,
    WorkdayResult,
    add_working_days,
    deadline_end,
    is_working_day,
    working_days_between,
    years_missing,
)

pytestmark = pytest.mark.django_db
D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_seed_matches_the_package_for_2026() -> None:
    # Spring Festival 2026: rest 15–23 Feb, adjusted workdays Sat 14 Feb and Sat 28 Feb.
    spring = [D(2026, 2, d) for d in range(15, 24)]
    assert all(holidays[d] == "Spring Festival" for d in spring)
    assert workdays[D(2026, 2, 14)] == "Spring Festival"
    assert workdays[D(2026, 2, 28)] == "Spring Festival"
    # National Day 2026: rest 1–7 Oct, adjusted workdays Sun 20 Sep and Sat 10 Oct.
    assert all(holidays[D(2026, 10, d)] == "National Day" for d in range(1, 8))
    assert workdays[D(2026, 9, 20)] == "National Day"
    assert workdays[D(2026, 10, 10)] == "National Day"
    assert D(2026, 9, 20).weekday() == 6 and D(2026, 10, 10).weekday() == 5

    rows = CalendarDay.objects.filter(date__year=2026)
    assert set(rows.filter(kind=DayKind.HOLIDAY).values_list("date", flat=True)) == {
        d for d in holidays if d.year == 2026
    }
    assert set(rows.filter(kind=DayKind.WORKDAY).values_list("date", flat=True)) == {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
    assert CalendarDay.objects.get(date=D(2026, 2, 17)).name == "春节"
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2015, 9, 3)).name == "抗战胜利70周年纪念日"
    assert set(CalendarDay.objects.values_list("source", flat=True)) == {"package"}
    assert list(CalendarYear.objects.order_by("year").values_list("year", flat=True)) == list(
        range(2004, 2027)
    )


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 13), True),  # Friday before the Spring Festival
        (D(2026, 2, 14), True),  # Saturday, adjusted workday
        (D(2026, 2, 16), False),  # Monday in the holiday
        (D(2026, 2, 23), False),  # Monday, last holiday day
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday, adjusted workday
        (D(2026, 3, 1), False),  # ordinary Sunday
        (D(2026, 9, 20), True),  # Sunday, adjusted workday
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),  # Saturday, adjusted workday
        (D(2026, 10, 11), False),
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # National Day: Oct 1–7 off, Thu 8, Fri 9, Sat 10 (adjusted) work.
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        # Start on a holiday (rest day): counting starts on the next working day.
        (D(2026, 10, 3), 1, D(2026, 10, 8)),
        (D(2026, 10, 3), 2, D(2026, 10, 9)),
        # Start on an ordinary Saturday: Monday is day 1.
        (D(2026, 3, 7), 1, D(2026, 3, 9)),
        # Friday start: the following Monday is day 1.
        (D(2026, 3, 6), 1, D(2026, 3, 9)),
        # Spring Festival: Fri 13 Feb → Sat 14 (adjusted) is day 1, then Tue 24 Feb.
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 13), 5, D(2026, 2, 27)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),
        (D(2026, 2, 13), 7, D(2026, 3, 2)),
        # Mid-autumn (Fri 25–Sun 27 Sep) and the Sunday 20 Sep adjusted workday.
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        # 15 working days from receipt on Mon 21 Sep 2026.
        (D(2026, 9, 21), 15, D(2026, 10, 19)),
        # n = 0 is the start itself, whatever day it is.
        (D(2026, 10, 3), 0, D(2026, 10, 3)),
        (D(2026, 3, 4), 0, D(2026, 3, 4)),
        # Backwards: the mirror image.
        (D(2026, 10, 8), -1, D(2026, 9, 30)),
        (D(2026, 10, 12), -3, D(2026, 10, 8)),
        (D(2026, 2, 24), -1, D(2026, 2, 14)),
        (D(2026, 2, 24), -2, D(2026, 2, 13)),
        (D(2026, 10, 4), -1, D(2026, 9, 30)),
    ],
)
def test_add_working_days(start: dt.date, n: int, expected: dt.date) -> None:
    assert add_working_days(start, n) == WorkdayResult(expected, False)


def test_working_days_between_examples() -> None:
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == CountResult(3, False)
    assert working_days_between(D(2026, 10, 10), D(2026, 9, 30)) == CountResult(-3, False)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == CountResult(2, False)
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == CountResult(0, False)
    assert working_days_between(D(2026, 5, 5), D(2026, 5, 5)) == CountResult(0, False)
    # The whole of 2026: 365 days − 104 weekend days − 19 weekday holidays + 6 adjusted workdays.
    weekday_holidays = sum(1 for d in holidays if d.year == 2026 and d.weekday() < 5)
    assert weekday_holidays == 19
    assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == CountResult(248, False)
    assert len(chinese_calendar.get_workdays(D(2026, 1, 1), D(2026, 12, 31))) == 248


def test_agrees_with_the_package_every_day_2020_to_2026() -> None:
    day = D(2020, 1, 1)
    while day <= D(2026, 12, 31):
        assert is_working_day(day) is chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_between_is_the_inverse_of_add_over_two_years() -> None:
    start = D(2025, 9, 1)
    for offset in range(0, 500, 3):
        a = start + dt.timedelta(days=offset)
        for n in (-23, -7, -1, 0, 1, 2, 5, 10, 30):
            b = add_working_days(a, n)
            assert working_days_between(a, b.date) == CountResult(n, b.provisional), (a, n)


def test_deadline_end_is_the_end_of_the_local_day() -> None:
    # 2026-09-30 17:00 UTC is already 1 Oct 01:00 in Shanghai: counting starts from 1 Oct.
    received = dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.UTC)
    result = deadline_end(received, 3)
    assert result == DeadlineResult(dt.datetime(2026, 10, 10, 23, 59, 59, 999999, tzinfo=SHANGHAI), False)
    assert result.at.utcoffset() == dt.timedelta(hours=8)
    local = dt.datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    assert deadline_end(local, 1).at == dt.datetime(2026, 10, 8, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_end(dt.datetime(2026, 9, 30, 9, 0), 1)


def test_year_without_arrangement_is_provisional_and_warns_once(caplog: Any) -> None:
    assert years_missing([2025, 2026, 2027, 2028, 2027]) == [2027, 2028]
    with caplog.at_level(logging.WARNING, logger="qinqing.calendar.services"):
        # Fri 1 Jan 2027 would be New Year's Day, but 2027 is not entered: weekends only.
        assert add_working_days(D(2026, 12, 30), 3) == WorkdayResult(D(2027, 1, 4), True)
        assert add_working_days(D(2027, 3, 5), 1) == WorkdayResult(D(2027, 3, 8), True)
        assert is_working_day(D(2027, 1, 1)) is True
        assert working_days_between(D(2026, 12, 25), D(2027, 1, 8)) == CountResult(10, True)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    # Within 2026 alone the result is final, even right before the new year.
    assert add_working_days(D(2026, 12, 29), 2) == WorkdayResult(D(2026, 12, 31), False)


def test_days_typed_in_for_a_year_not_entered_are_ignored_until_it_is() -> None:
    CalendarDay.objects.create(date=D(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    assert add_working_days(D(2026, 12, 31), 1) == WorkdayResult(D(2027, 1, 1), True)
    CalendarYear.objects.create(year=2027, source="admin", notice="国办发明电〔2026〕1号")
    assert add_working_days(D(2026, 12, 31), 1) == WorkdayResult(D(2027, 1, 4), False)


def test_counting_does_not_query_per_day(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):  # the snapshot: years, then days
        assert add_working_days(D(2026, 9, 1), 30).date == D(2026, 10, 19)
    with django_assert_num_queries(0):
        assert add_working_days(D(2026, 1, 5), 30) == WorkdayResult(D(2026, 2, 14), False)
        assert working_days_between(D(2026, 1, 1), D(2026, 6, 30)).days == 120
        assert is_working_day(D(2026, 10, 10))
