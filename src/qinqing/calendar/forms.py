from __future__ import annotations

from django import forms

from qinqing.calendar.models import DayKind
from qinqing.calendar.services import MAX_YEAR, MIN_YEAR


class DayForm(forms.Form):
    date = forms.DateField(
        label="日期",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={"required": "请填写日期", "invalid": "日期格式应为 YYYY-MM-DD"},
    )
    kind = forms.ChoiceField(
        label="类型",
        choices=DayKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "请选择类型", "invalid_choice": "类型无效"},
    )
    name = forms.CharField(
        label="节日",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "如 春节、国庆节"}),
        error_messages={"max_length": "节日名称不超过 40 个字"},
    )


class YearForm(forms.Form):
    year = forms.IntegerField(
        label="年份",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        error_messages={
            "required": "请填写年份",
            "invalid": "年份应为整数",
            "min_value": f"年份应在 {MIN_YEAR}–{MAX_YEAR} 年之间",
            "max_value": f"年份应在 {MIN_YEAR}–{MAX_YEAR} 年之间",
        },
    )
    notice = forms.CharField(
        label="依据（国务院办公厅通知）",
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "如 国务院办公厅关于2027年部分节假日安排的通知"}
        ),
        error_messages={"required": "请填写依据（通知名称或文号）", "max_length": "依据不超过 200 个字"},
    )
