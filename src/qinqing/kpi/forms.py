"""Forms of the kpi pages: the self-evaluation's inputs, incidents and maintenance requests, import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from qinqing.core import uploads
from qinqing.kpi.models import BudgetProject, Incident, Indicator, MaintenanceRequest

MAX_IMPORT_BYTES = 10 * uploads.MB


def styled(form: forms.BaseForm) -> None:
    """Bootstrap classes on every visible widget."""
    for field in form.fields.values():
        w = field.widget
        if isinstance(w, forms.HiddenInput):
            continue
        w.attrs.setdefault(
            "class",
            "form-select form-select-sm" if isinstance(w, forms.Select) else "form-control form-control-sm",
        )


DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ExecutionForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = BudgetProject
        fields = ["executed_wan", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class IndicatorEvalForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Indicator
        fields = ["points", "manual_value", "evidence", "judgement", "judged_pct", "deviation"]
        widgets = {"deviation": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ind = self.instance
        if ind.source != "manual":
            del self.fields["manual_value"]
            del self.fields["evidence"]
        if ind.operator != "qual":
            del self.fields["judgement"]
            del self.fields["judged_pct"]
        styled(self)


class IncidentForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Incident
        fields = ["system", "started_at", "ended_at", "detected_by", "affected", "cause", "fix"]
        widgets = {
            "started_at": DT,
            "ended_at": DT,
            "cause": forms.Textarea(attrs={"rows": 2}),
            "fix": forms.Textarea(attrs={"rows": 2}),
        }


class RequestForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = MaintenanceRequest
        fields = [
            "system",
            "title",
            "description",
            "raised_by_name",
            "raised_at",
            "first_response_at",
            "resolved_at",
            "resolution",
        ]
        widgets = {
            "raised_at": DT,
            "first_response_at": DT,
            "resolved_at": DT,
            "description": forms.Textarea(attrs={"rows": 2}),
            "resolution": forms.Textarea(attrs={"rows": 2}),
        }


class ImportForm(forms.Form):
    file = forms.FileField(label="绩效目标表（.xlsx）")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            uploads.check_upload(upload, allowed={"xlsx"}, max_bytes=MAX_IMPORT_BYTES)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["file"]) from None
        return upload
