"""Forms of the evaluation pages (choices start from what the user may see)."""

from __future__ import annotations

from typing import Any

from django import forms

from qinqing.evaluation.models import Indicator, IndicatorSystem, Round
from qinqing.evaluation.services import EVALUATED_KINDS
from qinqing.orgs.models import Unit


class IndicatorForm(forms.ModelForm[Indicator]):
    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "weight",
            "unit",
            "better",
            "best",
            "worst",
            "power",
            "source",
            "metric",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class RoundForm(forms.Form):
    name = forms.CharField(label="评价名称", max_length=120)
    year = forms.IntegerField(label="评价年度", min_value=2000, max_value=2100)
    system = forms.ModelChoiceField(label="指标体系", queryset=IndicatorSystem.objects.none())
    units = forms.ModelMultipleChoiceField(
        label="被评价单位", queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    previous = forms.ModelChoiceField(
        label="上一轮评价（同比）", queryset=Round.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = IndicatorSystem.objects.all()  # type: ignore[attr-defined]
        scope = user.scope_unit
        units = Unit.objects.filter(kind__in=EVALUATED_KINDS, path__startswith=scope.path if scope else "-")
        self.fields["units"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        self.fields["previous"].queryset = Round.objects.visible_to(user)  # type: ignore[attr-defined]


class OverrideForm(forms.Form):
    value = forms.CharField(label="修正后数值", required=False, max_length=40)
    reason = forms.CharField(label="修正理由", widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class EvidenceForm(forms.Form):
    file = forms.FileField(label="佐证材料")
    note = forms.CharField(label="说明", required=False, max_length=200)


class MeasureForm(forms.Form):
    topic = forms.CharField(label="一级指标代码", max_length=40)
    title = forms.CharField(label="举措", max_length=120)
    text = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.CharField(label="出处", required=False, max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx 或 .csv）")
