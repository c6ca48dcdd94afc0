from __future__ import annotations

from typing import Any

from django import forms

from qinqing.investment.models import (
    ContractType,
    FundsEntry,
    InvestmentSettings,
    Negotiation,
    Project,
    Stage,
)
from qinqing.orgs.models import Unit


class ProjectForm(forms.ModelForm[Project]):
    class Meta:
        model = Project
        fields = [
            "name",
            "investor_name",
            "investor_credit_code",
            "investor_origin",
            "source",
            "investor_type",
            "sector",
            "industry_section",
            "industry_division",
            "cluster",
            "chain",
            "chain_role",
            "location_unit",
            "planned_investment_wan",
            "construction",
            "expected_jobs",
            "responsible_leader",
            "capital_increase_of",
            "increase_amount_wan",
            "is_fiscal_funded",
            "is_second_phase",
            "summary",
        ]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = getattr(user, "scope_unit", None)
        units = (
            Unit.objects.subtree(scope).filter(kind__in=["county", "park"]) if scope else Unit.objects.none()
        )
        self.fields["location_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["capital_increase_of"].queryset = Project.objects.visible_to(user)  # type: ignore[attr-defined]


class StageForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to_stage = forms.ChoiceField(label="变更为", choices=Stage.choices)
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    contract_type = forms.ChoiceField(
        label="签约类型", choices=[("", "—"), *ContractType.choices], required=False
    )
    contract_amount_wan = forms.DecimalField(
        label="签约金额（万元）", required=False, max_digits=14, decimal_places=2
    )
    reason = forms.CharField(label="说明/终止原因", required=False, max_length=200)


class NegotiationForm(forms.ModelForm[Negotiation]):
    class Meta:
        model = Negotiation
        fields = ["held_on", "people", "content", "next_step"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "content": forms.Textarea(attrs={"rows": 2}),
        }


class FundsForm(forms.Form):
    month = forms.DateField(
        label="月份", widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    amount_wan = forms.DecimalField(
        label="本月到位资金（万元）", max_digits=14, decimal_places=2, min_value=0
    )
    outside_amount_wan = forms.DecimalField(
        label="其中区外（万元）", max_digits=14, decimal_places=2, min_value=0
    )
    evidence = forms.FileField(label="到位凭证", required=False)
    evidence_note = forms.CharField(label="凭证说明", required=False, max_length=200)


class FundsEditForm(forms.ModelForm[FundsEntry]):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = FundsEntry
        fields = ["amount_wan", "outside_amount_wan", "evidence_note"]
        widgets = {
            "amount_wan": forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
            "outside_amount_wan": forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
            "evidence_note": forms.TextInput(attrs={"class": "form-control"}),
        }


class PrepareForm(forms.Form):
    month = forms.DateField(
        label="统计月份", widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    remarks = forms.CharField(label="情况说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label="意见/原因", required=False, widget=forms.Textarea(attrs={"rows": 2}))


MAX_IMPORT_BYTES = 10 * 1024 * 1024
IMPORT_KINDS = (("projects", "项目清单"), ("funds", "月度到位资金"))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="导入内容", choices=IMPORT_KINDS)
    file = forms.FileField(
        label="导入文件",
        help_text="Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码），第 1 行为表头，不超过 10 MB",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("仅支持 .xlsx 或 .csv 文件")
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("文件不能超过 10 MB")
        return upload


class SettingsForm(forms.ModelForm[InvestmentSettings]):
    class Meta:
        model = InvestmentSettings
        fields = [
            "count_first_signing_only",
            "count_increase_only",
            "exclude_local_investors",
            "exclude_fiscal_funded",
            "exclude_second_phase",
            "new_signing_industrial_min_wan",
            "new_signing_other_min_wan",
            "report_deadline_working_days",
            "light_yellow_points",
            "light_red_points",
            "stall_days",
            "score_full_marks",
        ]


class ProjectEditForm(ProjectForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AttachmentForm(forms.Form):
    title = forms.CharField(label="附件名称", max_length=100)
    file = forms.FileField(label="文件", help_text="PDF、PNG、JPG、DOCX、XLSX，不超过 20 MB")


class PublishForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[("request", "申请"), ("approve", "通过"), ("reject", "不通过"), ("withdraw", "下架")]
    )
    comment = forms.CharField(label="审核意见", required=False, max_length=200)
