from __future__ import annotations

from typing import Any

from django import forms

from qinqing.accounts.models import User
from qinqing.enterprises.industries import SECTION_CHOICES
from qinqing.investment.models import IndustryCluster, InvestorType, Project, Source
from qinqing.orgs.models import Unit
from qinqing.promotion import rules
from qinqing.promotion.models import (
    PromotionSettings,
    Reception,
    TaskForce,
    Trip,
    YearPlan,
    YearStandard,
)

DATE = {"type": "date"}
FIRM_ROWS = 6
LEG_ROWS = 4


def styled(form: forms.BaseForm) -> None:
    """Bootstrap classes on the widgets (no inline script: the CSP forbids it)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.HiddenInput | forms.CheckboxSelectMultiple):
            continue
        css = (
            "form-select form-select-sm"
            if isinstance(widget, forms.Select)
            else "form-control form-control-sm"
        )
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)


def active_clusters() -> Any:
    return IndustryCluster.objects.filter(is_active=True).order_by("scheme", "ordering", "id")


class ReceptionForm(forms.ModelForm[Reception]):
    class Meta:
        model = Reception
        fields = [
            "title",
            "start_date",
            "end_date",
            "origin",
            "cluster",
            "delegation_size",
            "delegation_leaders",
            "hosts",
            "accompanying_leaders",
            "itinerary",
            "outcome",
            "meal_yuan",
            "lodging_yuan",
            "lodging_nights",
            "transport_yuan",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs=DATE),
            "end_date": forms.DateInput(attrs=DATE),
            "itinerary": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = active_clusters()  # type: ignore[attr-defined]
        styled(self)


class FirmForm(StyledForm):
    name = forms.CharField(label="企业名称", max_length=200, required=False)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    origin = forms.CharField(label="来源地", max_length=40, required=False)


def firm_forms(data: Any = None, initial: list[dict[str, Any]] | None = None) -> list[FirmForm]:
    initial = initial or []
    return [
        FirmForm(data, prefix=f"firm{i}", initial=initial[i] if i < len(initial) else None)
        for i in range(max(FIRM_ROWS, len(initial) + 2))
    ]


class TripForm(forms.ModelForm[Trip]):
    province = forms.ChoiceField(label="目的地省份", choices=[("", "—"), *rules.PROVINCE_CHOICES])

    class Meta:
        model = Trip
        fields = [
            "kind",
            "organiser",
            "task_force",
            "title",
            "province",
            "city",
            "start_date",
            "end_date",
            "participants",
            "participant_names",
            "cluster",
            "summary",
            "transport_yuan",
            "lodging_yuan",
            "other_yuan",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs=DATE),
            "end_date": forms.DateInput(attrs=DATE),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["task_force"].queryset = TaskForce.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["cluster"].queryset = active_clusters()  # type: ignore[attr-defined]
        styled(self)


class LegForm(StyledForm):
    from_date = forms.DateField(label="自（日期）", required=False, widget=forms.DateInput(attrs=DATE))
    province = forms.ChoiceField(
        label="所在省份", required=False, choices=[("", "—"), *rules.PROVINCE_CHOICES]
    )


def leg_forms(data: Any = None, initial: list[dict[str, Any]] | None = None) -> list[LegForm]:
    initial = initial or []
    return [
        LegForm(data, prefix=f"leg{i}", initial=initial[i] if i < len(initial) else None)
        for i in range(max(LEG_ROWS, len(initial) + 1))
    ]


class TaskForceForm(forms.ModelForm[TaskForce]):
    base_province = forms.ChoiceField(label="驻地省份", choices=[("", "—"), *rules.PROVINCE_CHOICES])
    clusters = forms.ModelMultipleChoiceField(
        label="目标产业集群", queryset=IndustryCluster.objects.none(), required=False
    )

    class Meta:
        model = TaskForce
        fields = ["name", "base_province", "base_city", "start_date", "end_date", "leader", "members"]
        widgets = {
            "start_date": forms.DateInput(attrs=DATE),
            "end_date": forms.DateInput(attrs=DATE),
            "members": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clusters"].queryset = active_clusters()  # type: ignore[attr-defined]
        styled(self)


class ActivityForm(StyledForm):
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs=DATE))
    content = forms.CharField(label="工作内容", widget=forms.Textarea(attrs={"rows": 2}))


class ContactForm(StyledForm):
    firm_name = forms.CharField(label="企业名称", max_length=200)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    person = forms.CharField(label="联系人", max_length=50, required=False)
    mobile = forms.CharField(label="联系电话", max_length=20, required=False)
    note = forms.CharField(label="洽谈情况", max_length=300, required=False)


class IntentionForm(StyledForm):
    """An intention: an existing project (by number) or a new lead."""

    intention = forms.CharField(label="投资意向", max_length=300)
    project_number = forms.CharField(
        label="已有项目编号（更新已有项目时填写）", max_length=30, required=False
    )
    name = forms.CharField(label="新线索：项目名称", max_length=200, required=False)
    investor_name = forms.CharField(label="投资主体", max_length=200, required=False)
    investor_origin = forms.CharField(label="投资方来源地", max_length=40, required=False)
    source = forms.ChoiceField(label="资金来源", choices=Source.choices, initial=Source.OTHER_PROVINCE)
    investor_type = forms.ChoiceField(
        label="投资主体类型", choices=InvestorType.choices, initial=InvestorType.PRIVATE
    )
    industry_section = forms.ChoiceField(label="行业门类", choices=SECTION_CHOICES, initial="C")
    cluster = forms.ModelChoiceField(
        label="产业集群", queryset=IndustryCluster.objects.none(), required=False
    )
    location_unit = forms.ModelChoiceField(
        label="落地县市/园区", queryset=Unit.objects.none(), required=False
    )
    planned_investment_wan = forms.DecimalField(
        label="计划总投资（万元）", max_digits=14, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args: Any, user: Any = None, firms: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        scope = getattr(user, "scope_unit", None)
        self.fields["location_unit"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.subtree(scope).filter(kind__in=["county", "park"]) if scope else Unit.objects.none()
        )
        self.fields["cluster"].queryset = active_clusters()  # type: ignore[attr-defined]
        if firms:
            self.fields["investor_name"].widget.attrs["list"] = "visiting-firms"
        self.project: Project | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = (data.get("project_number") or "").strip()
        if number:
            self.project = Project.objects.visible_to(self.user).filter(number=number).first()
            if self.project is None:
                self.add_error("project_number", "未找到该项目，或不在您的数据范围内")
        else:
            for field in ("name", "investor_name", "planned_investment_wan"):
                if not data.get(field):
                    self.add_error(field, "新线索请填写此项")
        return data

    def project_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "investor_name": d["investor_name"],
            "investor_origin": d.get("investor_origin") or "",
            "source": d["source"],
            "investor_type": d["investor_type"],
            "industry_section": d["industry_section"],
            "cluster": d.get("cluster"),
            "location_unit": d.get("location_unit"),
            "planned_investment_wan": d["planned_investment_wan"],
        }


class LinkForm(StyledForm):
    project_number = forms.CharField(label="项目编号", max_length=30)
    intention = forms.CharField(label="洽谈情况", max_length=300, required=False)


def staff_choices(user: Any) -> Any:
    return User.objects.visible_to(user).filter(is_active=True, unit__isnull=False).order_by("username")


class NextStepForm(StyledForm):
    description = forms.CharField(label="下一步工作", max_length=300)
    owner = forms.ModelChoiceField(label="责任人", queryset=User.objects.none())
    due_on = forms.DateField(label="完成期限", widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_choices(user)  # type: ignore[attr-defined]


class CompleteForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="完成情况", max_length=300, required=False)


class StandardForm(forms.ModelForm[YearStandard]):
    class Meta:
        model = YearStandard
        fields = [
            "meal_xqz_yuan",
            "meal_other_yuan",
            "transport_xqz_yuan",
            "transport_other_yuan",
            "reception_meal_yuan",
            "reception_lodging_yuan",
            "reception_transport_yuan",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)


class PlanForm(forms.ModelForm[YearPlan]):
    class Meta:
        model = YearPlan
        fields = [
            "budget_yuan",
            "target_firms",
            "target_people",
            "target_exhibitions_region",
            "target_exhibitions_department",
            "target_task_forces",
            "target_exchange_meetings",
            "target_work_meetings",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)


class SettingsForm(forms.ModelForm[PromotionSettings]):
    class Meta:
        model = PromotionSettings
        fields = ["attribution", "warn_budget_share", "remind_working_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)
