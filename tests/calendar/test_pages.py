from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.calendar import services
from qinqing.calendar.models import CalendarDay, CalendarYear, DayKind, Source

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def admin_client(client: Client, sysadmin: User) -> Client:
    client.force_login(sysadmin)
    return client


def _freeze_today(monkeypatch: Any, day: dt.date) -> None:
    monkeypatch.setattr("qinqing.calendar.views.timezone.localdate", lambda: day)


def test_years_page_lists_counts_and_warns_for_missing_years(admin_client: Client, monkeypatch: Any) -> None:
    _freeze_today(monkeypatch, D(2026, 11, 22))
    response = admin_client.get(reverse("calendar:years"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2027 年节假日安排尚未录入，2027 年的期限按周末计算，为临时结果" in html
    assert "2026 年节假日安排尚未录入" not in html
    rows = {r.year: r for r in response.context["rows"]}
    assert sorted(rows) == list(range(2004, 2028))
    assert (rows[2026].holidays, rows[2026].workdays, rows[2026].entered) == (33, 6, True)
    assert (rows[2027].holidays, rows[2027].workdays, rows[2027].entered) == (0, 0, False)
    assert response.context["warnings"] == ["2027 年节假日安排尚未录入，2027 年的期限按周末计算，为临时结果"]


def test_years_page_warns_for_both_years_when_neither_is_entered(
    admin_client: Client, monkeypatch: Any
) -> None:
    _freeze_today(monkeypatch, D(2027, 1, 5))
    response = admin_client.get(reverse("calendar:years"))
    assert response.context["warnings"] == [
        "2027 年节假日安排尚未录入，2027 年的期限按周末计算，为临时结果",
        "2028 年节假日安排尚未录入，2028 年的期限按周末计算，为临时结果",
    ]


def test_years_page_query_count_is_constant(
    admin_client: Client, django_assert_num_queries: Any, monkeypatch: Any
) -> None:
    _freeze_today(monkeypatch, D(2026, 11, 22))
    admin_client.get(reverse("calendar:years"))  # warm up: the idle clock writes the session once
    # session, the user with unit and roles, years, day counts (all years in one GROUP BY)
    with django_assert_num_queries(4):
        assert admin_client.get(reverse("calendar:years")).status_code == 200
    CalendarYear.objects.create(year=2027, source=Source.ADMIN, notice="x")
    CalendarDay.objects.create(date=D(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    with django_assert_num_queries(4):
        assert admin_client.get(reverse("calendar:years")).status_code == 200


def test_year_page_lists_holidays_and_adjusted_workdays(admin_client: Client) -> None:
    response = admin_client.get(reverse("calendar:year", args=[2026]))
    assert response.status_code == 200
    assert [d.date for d in response.context["workdays"]] == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    assert len(response.context["holidays"]) == 33
    assert "2026-02-15" in response.content.decode()


@pytest.mark.parametrize("name", ["calendar:years"])
def test_only_calendar_managers_get_in(client: Client, handler: User, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    client.force_login(handler)
    assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("calendar:year", args=[2026])).status_code == 403
    day = CalendarDay.objects.get(date=D(2026, 10, 10))
    assert client.post(reverse("calendar:day-delete", args=[day.pk])).status_code == 403
    assert CalendarDay.objects.filter(pk=day.pk).exists()


def test_add_day_is_audited_and_changes_counting_once_the_year_is_entered(admin_client: Client) -> None:
    assert services.add_working_days(D(2026, 12, 31), 1) == services.WorkdayResult(D(2027, 1, 1), True)
    response = admin_client.post(
        reverse("calendar:day-add", args=[2027]), {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("calendar:year", args=[2027])
    day = CalendarDay.objects.get(date=D(2027, 1, 1))
    assert (day.kind, day.name, day.source) == (DayKind.HOLIDAY, "元旦", Source.ADMIN)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="calendar.calendarday")
    assert event.actor_name == "cal_sysadmin"
    assert event.changes["date"] == [None, "2027-01-01"]
    # Not entered yet: still weekends only.
    assert services.add_working_days(D(2026, 12, 31), 1) == services.WorkdayResult(D(2027, 1, 1), True)

    response = admin_client.post(
        reverse("calendar:year-mark"),
        {"year": "2027", "notice": "国务院办公厅关于2027年部分节假日安排的通知"},
    )
    assert response.status_code == 302
    row = CalendarYear.objects.get(year=2027)
    assert (row.source, row.notice) == (Source.ADMIN, "国务院办公厅关于2027年部分节假日安排的通知")
    assert (
        AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="calendar.calendaryear").count() == 1
    )
    # The edit dropped this process's cache at once: no 60 s wait.
    assert services.add_working_days(D(2026, 12, 31), 1) == services.WorkdayResult(D(2027, 1, 4), False)


def test_edit_invalidates_the_cache(admin_client: Client) -> None:
    assert services.add_working_days(D(2026, 9, 30), 3).date == D(2026, 10, 10)
    day = CalendarDay.objects.get(date=D(2026, 10, 10))
    # Turn the adjusted workday Sat 10 Oct into Sun 11 Oct.
    response = admin_client.post(
        reverse("calendar:day-edit", args=[day.pk]),
        {"date": "2026-10-11", "kind": "workday", "name": "国庆节"},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.date, day.source) == (D(2026, 10, 11), Source.ADMIN)
    assert services.add_working_days(D(2026, 9, 30), 3).date == D(2026, 10, 11)
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="calendar.calendarday")
    assert event.changes == {"date": ["2026-10-10", "2026-10-11"], "source": ["package", "admin"]}

    response = admin_client.post(reverse("calendar:day-delete", args=[day.pk]))
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    assert services.add_working_days(D(2026, 9, 30), 3).date == D(2026, 10, 12)
    deleted = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert deleted.changes["date"] == ["2026-10-11", None]


def test_the_cache_expires_for_edits_made_by_other_processes(monkeypatch: Any) -> None:
    clock = [1000.0]
    monkeypatch.setattr("qinqing.calendar.services.time.monotonic", lambda: clock[0])
    assert services.is_working_day(D(2026, 10, 10)) is True
    # Another process deletes the row: no signal reaches this one.
    CalendarDay.objects.filter(date=D(2026, 10, 10))._raw_delete("default")
    clock[0] += 59
    assert services.is_working_day(D(2026, 10, 10)) is True
    clock[0] += 2
    assert services.is_working_day(D(2026, 10, 10)) is False


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date": "2026-10-12", "kind": "workday", "name": ""}, "kind", "调休上班日应为周六或周日"),
        (
            {"date": "2026-02-15", "kind": "holiday", "name": ""},
            "date",
            "2026-02-15 已录入，请修改该日期的记录",
        ),
        ({"date": "2026/10/12", "kind": "holiday", "name": ""}, "date", "日期格式应为 YYYY-MM-DD"),
        ({"date": "", "kind": "holiday", "name": ""}, "date", "请填写日期"),
        ({"date": "2026-10-12", "kind": "party", "name": ""}, "kind", "类型无效"),
        ({"date": "1999-10-12", "kind": "holiday", "name": ""}, "date", "年份应在 2004–2100 年之间"),
    ],
)
def test_bad_day_input_is_refused_with_a_message(
    admin_client: Client, data: dict[str, str], field: str, message: str
) -> None:
    before = CalendarDay.objects.count()
    response = admin_client.post(reverse("calendar:day-add", args=[2026]), data)
    assert response.status_code == 400
    assert response.context["day_form"].errors[field] == [message]
    assert message in response.content.decode()
    assert CalendarDay.objects.count() == before
    assert not AuditEvent.objects.exists()


def test_edit_refuses_a_weekday_as_adjusted_workday(admin_client: Client) -> None:
    day = CalendarDay.objects.get(date=D(2026, 10, 10))
    response = admin_client.post(
        reverse("calendar:day-edit", args=[day.pk]),
        {"date": "2026-10-09", "kind": "workday", "name": "国庆节"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["kind"] == ["调休上班日应为周六或周日"]
    day.refresh_from_db()
    assert (day.date, day.source) == (D(2026, 10, 10), Source.PACKAGE)
    assert not AuditEvent.objects.exists()


def test_mark_year_needs_a_notice(admin_client: Client) -> None:
    response = admin_client.post(reverse("calendar:year-mark"), {"year": "2027", "notice": "  "})
    assert response.status_code == 400
    assert "请填写依据" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    response = admin_client.post(reverse("calendar:year-mark"), {"year": "abc", "notice": "x"})
    assert response.status_code == 400
    assert response.context["year_form"].errors["year"] == ["年份应为整数"]


def test_marking_a_package_year_makes_it_the_administrators(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("calendar:year-mark"), {"year": "2026", "notice": "国办发明电〔2025〕7号"}
    )
    assert response.status_code == 302
    row = CalendarYear.objects.get(year=2026)
    assert (row.source, row.notice) == (Source.ADMIN, "国办发明电〔2025〕7号")
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes["source"] == ["package", "admin"]


def test_services_require_the_capability(handler: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.add_day(handler, date=D(2027, 1, 1), kind="holiday", name="元旦")
    with pytest.raises(PermissionDenied):
        services.mark_year_entered(handler, year=2027, notice="x")
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
