"""Filter forms of the analysis pages: unit (the user's subtree), period; the same defaults as the
statistics page (this year to date, the user's scope unit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from qinqing.orgs.models import Unit


class PeriodForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="单位（含下级）", required=False)
    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Unit.objects.active().subtree(user.scope_unit).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        data["unit"] = data.get("unit") or self.user.scope_unit
        data["start"] = data.get("start") or today.replace(month=1, day=1)
        data["end"] = data.get("end") or today
        if data["end"] < data["start"]:
            raise forms.ValidationError("结束日期不能早于开始日期")
        if (data["end"] - data["start"]).days > 366 * 5:
            raise forms.ValidationError("统计区间不能超过五年")
        return data


def parse_period(data: Any, user: Any) -> tuple[PeriodForm, Unit | None, dt.date | None, dt.date | None]:
    form = PeriodForm(data if data else {}, user=user)
    if not form.is_valid():
        return form, None, None, None
    c = form.cleaned_data
    return form, c["unit"], c["start"], c["end"]


class MonthForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="单位（含下级）")
    month = forms.CharField(label="月份", max_length=7, widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Unit.objects.active().subtree(user.scope_unit).filter(tier__lte=2).order_by("path")

    def clean_month(self) -> dt.date:
        text = (self.cleaned_data.get("month") or "").strip()
        try:
            year, month = int(text[:4]), int(text[5:7])
            value = dt.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError("月份格式应为 2026-03") from None
        if value > timezone.localdate().replace(day=1):
            raise forms.ValidationError("不能生成未来月份的月报")
        return value
