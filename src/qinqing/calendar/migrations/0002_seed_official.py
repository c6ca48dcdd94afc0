"""Seed the official holiday arrangements 2004–2026 from the chinesecalendar package (source=package).

Reversing deletes the package's rows only; days and years entered by an administrator stay.
"""

from django.db import migrations

FIRST_YEAR = 2004
LAST_YEAR = 2026

# chinese_calendar's English holiday names -> the names used in the State Council's notices.
NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    from chinese_calendar.constants import holidays, workdays

    CalendarDay = apps.get_model("calendar", "CalendarDay")
    CalendarYear = apps.get_model("calendar", "CalendarYear")
    taken = set(CalendarDay.objects.values_list("date", flat=True))
    rows = []
    for kind, table in (("holiday", holidays), ("workday", workdays)):
        for day, name in sorted(table.items()):
            if FIRST_YEAR <= day.year <= LAST_YEAR and day not in taken:
                taken.add(day)
                rows.append(
                    CalendarDay(date=day, kind=kind, name=NAMES_ZH.get(name, name)[:40], source="package")
                )
    CalendarDay.objects.bulk_create(rows, batch_size=500)
    entered = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(
                year=year,
                source="package",
                notice=f"国务院办公厅关于{year}年部分节假日安排的通知（chinesecalendar 数据包）",
            )
            for year in range(FIRST_YEAR, LAST_YEAR + 1)
            if year not in entered
        ]
    )


def unseed(apps, schema_editor):
    apps.get_model("calendar", "CalendarDay").objects.filter(source="package").delete()
    apps.get_model("calendar", "CalendarYear").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [("calendar", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
