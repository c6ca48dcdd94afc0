"""Official holiday arrangements: rest days and adjusted workdays that differ from Mon–Fri."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日（休息）"
    WORKDAY = "workday", "调休上班日"


class Source(models.TextChoices):
    PACKAGE = "package", "chinesecalendar 数据包"
    ADMIN = "admin", "管理员录入"


class CalendarYear(models.Model):
    """A year whose official arrangement is loaded; computations in other years are provisional."""

    year = models.PositiveIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    notice = models.CharField("依据（国务院办公厅通知）", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "年度节假日安排"
        verbose_name_plural = "年度节假日安排"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=DayKind.choices)
    name = models.CharField("节日", max_length=40, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.ADMIN)

    class Meta:
        verbose_name = "节假日/调休日"
        verbose_name_plural = "节假日/调休日"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"

    def clean(self) -> None:
        if self.date is None:
            return
        weekend = self.date.weekday() >= 5
        if self.kind == DayKind.WORKDAY and not weekend:
            raise ValidationError({"kind": "调休上班日应为周六或周日"})
