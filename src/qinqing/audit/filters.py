"""Filters for the audit log, shared by the page and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from qinqing.audit.models import AuditAction, AuditEvent, AuditResult


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


class AuditEventFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(
        label="起始日期", method="filter_since", help_text="当日及以后，YYYY-MM-DD"
    )
    until = django_filters.DateFilter(
        label="截止日期", method="filter_until", help_text="当日及以前，YYYY-MM-DD"
    )
    actor = django_filters.CharFilter(
        field_name="actor_name", label="账号", help_text="操作人账号（精确匹配）"
    )
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label="类型")
    result = django_filters.ChoiceFilter(choices=AuditResult.choices, label="结果")
    object_type = django_filters.CharFilter(label="对象类型", help_text="如 calendar.calendarday")
    q = django_filters.CharFilter(label="关键词", method="filter_q", help_text="对象、对象编号或说明中包含")

    class Meta:
        model = AuditEvent
        fields = ["since", "until", "actor", "action", "result", "object_type", "q"]

    def filter_since(self, queryset: QuerySet[AuditEvent], name: str, value: dt.date) -> QuerySet[AuditEvent]:
        return queryset.filter(at__gte=_local_midnight(value))

    def filter_until(self, queryset: QuerySet[AuditEvent], name: str, value: dt.date) -> QuerySet[AuditEvent]:
        return queryset.filter(at__lt=_local_midnight(value + dt.timedelta(days=1)))

    def filter_q(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(object_repr__icontains=value) | Q(object_id=value) | Q(detail__icontains=value)
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = (
                "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        self.form.fields["since"].widget.input_type = "date"
        self.form.fields["until"].widget.input_type = "date"
        self.form.fields["object_type"].widget.attrs["list"] = "audit-object-types"
